package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"esenzioni/adapters/auth"
	"esenzioni/domain/access"
	"esenzioni/store"
)

// httpSameSite is the SameSite mode of the app's cookies: Lax lets links
// into the app (from an email, from the Temporal UI) carry the session.
const httpSameSite = http.SameSiteLaxMode

const (
	sessionCookie = "esenzioni_sessione"
	ctxOperator   = "operator"
)

// Profile is the profile an operator acts with.
type Profile struct {
	ID       int64
	Role     access.Role
	ASL      string // Ministry code; empty for regional profiles
	ASLShort string
	ASLName  string
	Location string
	District int64
}

// Actor is the profile as the workflows see it.
func (p Profile) Actor(fc string) access.Actor {
	return access.Actor{FiscalCode: fc, Role: p.Role, ASL: p.ASL}
}

// Operator is the logged-in user of a request.
type Operator struct {
	ID         int64
	Username   string
	FiscalCode string
	FirstName  string
	LastName   string
	Profile    Profile
	Profiles   []Profile
	digest     []byte
	unread     int // unread notifications, for the header's badge
}

// Actor is what the workflows record for this operator.
func (o *Operator) Actor() access.Actor { return o.Profile.Actor(o.FiscalCode) }

// InScope reports whether the operator may see records of asl.
func (o *Operator) InScope(asl string) bool {
	return access.InScope(o.Profile.Role, o.Profile.ASL, asl)
}

func toProfile(p store.Profile) Profile {
	out := Profile{ID: p.ID, Role: access.Role(p.Role), Location: p.Location}
	if p.ASLCode != nil {
		out.ASL = *p.ASLCode
	}
	if p.ASLShort != nil {
		out.ASLShort = *p.ASLShort
	}
	if p.ASLName != nil {
		out.ASLName = *p.ASLName
	}
	if p.DistrictID != nil {
		out.District = *p.DistrictID
	}
	return out
}

var errNoSession = errors.New("no session")

// loadSession resolves the session cookie into an operator.
func (s *Server) loadSession(c *gin.Context) (*Operator, error) {
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		return nil, errNoSession
	}
	return s.loadSessionToken(c, token)
}

// loadSessionToken resolves a session token (the cookie's value, or a
// supervisor's bearer token on the codec endpoint) into an operator.
func (s *Server) loadSessionToken(c *gin.Context, token string) (*Operator, error) {
	if token == "" || len(token) > 200 {
		return nil, errNoSession
	}
	digest := auth.Digest(token)
	ctx := c.Request.Context()
	sc, err := s.Store.LoadSession(ctx, digest)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	sess, o, profiles := sc.Session, sc.Operator, sc.Profiles
	op := &Operator{ID: o.ID, Username: o.Username, FiscalCode: o.FiscalCode, FirstName: o.FirstName,
		LastName: o.LastName, digest: digest, unread: sc.Unread}
	for _, p := range profiles {
		pp := toProfile(p)
		op.Profiles = append(op.Profiles, pp)
		if p.ID == sess.ProfileID {
			op.Profile = pp
		}
	}
	if op.Profile.ID == 0 {
		return nil, errNoSession // the profile was removed
	}
	s.Sessions.Touch(ctx, sess) // sliding expiry
	return op, nil
}

// sessionOperator returns the request's operator, loading it if needed.
func (s *Server) sessionOperator(c *gin.Context) (*Operator, bool) {
	if v, ok := c.Get(ctxOperator); ok {
		return v.(*Operator), true
	}
	op, err := s.loadSession(c)
	if err != nil {
		return nil, false
	}
	c.Set(ctxOperator, op)
	return op, true
}

// requireLogin guards the operators' pages: no session, go to the login.
// A session that cannot be read (PostgreSQL down) is not a logout: the
// operator gets a 503 page and keeps the session for when it is back.
func (s *Server) requireLogin(c *gin.Context) {
	if _, ok := c.Get(ctxOperator); !ok {
		op, err := s.loadSession(c)
		switch {
		case err == nil:
			c.Set(ctxOperator, op)
		case !errors.Is(err, errNoSession):
			s.renderUnavailable(c, err)
			return
		}
	}
	if _, ok := s.sessionOperator(c); ok {
		c.Next()
		return
	}
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", "/login")
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(safeNext(c.Request.URL.RequestURI())))
	c.Abort()
}

// openSession starts a session of operatorID acting with profile and
// gives the browser its cookie; login is nil for the password login. False
// when it could not (the error page is written).
func (s *Server) openSession(c *gin.Context, operatorID int64, profile store.Profile, login *store.SessionLogin) bool {
	token, err := s.Sessions.Open(c.Request.Context(), operatorID, profile.ID, c.ClientIP(), login)
	if err != nil {
		s.fail(c, err)
		return false
	}
	c.SetSameSite(httpSameSite)
	c.SetCookie(sessionCookie, token, 0, "/", "", secureCookies(c), true)
	return true
}

// currentOperator is the operator of a request that passed requireLogin.
func currentOperator(c *gin.Context) *Operator {
	return c.MustGet(ctxOperator).(*Operator)
}

// safeNext keeps redirects inside the application: next must be an
// absolute path of this origin, made of printable ASCII only. Browsers
// drop tabs and newlines from a Location ("/\t/evil.example" becomes
// "//evil.example", another host), read a backslash as a slash ("/\\evil")
// and accept "//host": anything with a control character, a space, a
// backslash, non-ASCII, a scheme, a host or a leading "//" gives "/".
func safeNext(next string) string {
	if len(next) == 0 || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if b := next[i]; b <= 0x20 || b >= 0x7f || b == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	// The same rules for the decoded path: whatever decodes it on the way
	// ("/%09/evil.example", "/%5Cevil.example") still finds a path here.
	for i := 0; i < len(u.Path); i++ {
		if b := u.Path[i]; b <= 0x20 || b == 0x7f || b == '\\' {
			return "/"
		}
	}
	return next
}
