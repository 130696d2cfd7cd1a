package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/adapters/auth/cns"
	authoidc "esenzioni/adapters/auth/oidc"
	"esenzioni/domain/audit"
	"esenzioni/store"
)

// The ways in besides username, password and PIN (manual 3.2): a CNS/TS-CNS
// certificate presented by the browser (login_certificate.go) and SPID or
// CIE through an OpenID Connect provider (login_oidc.go). Both end in
// completeLogin, which applies the account rules of the password login: an
// active operator account for the fiscal code, with at least one profile.
// There is no PIN step: the card's PIN, or the identity provider's
// authentication, was the second factor.

// loginMethods holds what the extra logins need.
type loginMethods struct {
	cns       *cns.Verifier
	providers []*authoidc.Provider
	byName    map[string]*authoidc.Provider
}

// attemptTTL bounds a login in progress (the user at the identity
// provider, the browser choosing its certificate).
const attemptTTL = 10 * time.Minute

// initLogin prepares the configured login methods.
func (s *Server) initLogin() error {
	lc := s.Config.Login
	s.logins = loginMethods{byName: map[string]*authoidc.Provider{}}
	if lc.CertificateLogin() {
		v, err := cns.NewVerifier(cns.Options{CADir: lc.CNSCADir, CRLDir: lc.CNSCRLDir, OCSPURL: lc.CNSOCSPURL})
		if err != nil {
			return fmt.Errorf("certificate login: %w", err)
		}
		s.logins.cns = v
	}
	base := strings.TrimRight(s.Config.PublicURL, "/")
	for _, pc := range lc.Providers {
		p := authoidc.New(authoidc.Config{
			Name: pc.Name, Kind: pc.Kind, Label: pc.Label, Issuer: pc.Issuer, ClientID: pc.ClientID,
			ClientSecret: pc.ClientSecret, MinLevel: pc.MinLevel, Scopes: pc.Scopes,
		}, base+"/login/oidc/"+pc.Name+"/callback", s.OIDCHTTPClient)
		s.logins.providers = append(s.logins.providers, p)
		s.logins.byName[pc.Name] = p
	}
	return nil
}

// routeLogin mounts the certificate and SPID/CIE login endpoints.
func (s *Server) routeLogin(e *gin.Engine) {
	e.GET("/login/certificato", s.certificateStart)
	e.GET("/login/certificato/tls", s.certificateCheck)
	e.GET("/login/certificato/esito", s.certificateFinish)
	e.GET("/login/oidc/:provider", s.oidcStart)
	e.GET("/login/oidc/:provider/callback", s.oidcCallback)
}

// loginMethodsView is what the login page shows of the extra methods.
type loginMethodsView struct {
	Certificate bool
	Providers   []providerView
}

type providerView struct {
	Name, Kind, Label string
	MinLevel          int
}

func (s *Server) loginMethodsView() loginMethodsView {
	v := loginMethodsView{Certificate: s.logins.cns != nil}
	for _, p := range s.logins.providers {
		v.Providers = append(v.Providers, providerView{Name: p.Name, Kind: p.Kind, Label: p.Label, MinLevel: p.MinLevel})
	}
	return v
}

// randomState is a random value for a state, nonce or PKCE verifier.
func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// stateHash is how the database keys an attempt: the state itself travels
// only in the URL and the browser's cookie.
func stateHash(state string) []byte {
	sum := sha256.Sum256([]byte("login-attempt:" + state))
	return sum[:]
}

// methodLabel names a method for the audit log.
func methodOfKind(kind string) string {
	if kind == authoidc.KindCIE {
		return store.LoginCIE
	}
	return store.LoginSPID
}

// loginRefusal is a refused certificate or SPID/CIE login.
type loginRefusal struct {
	Method     string
	Provider   string
	FiscalCode string
	Level      int
	Reason     string // machine code, in the audit log
	Message    string // Italian, on the login page
	Status     int
	Who        *Operator // the account, when one was found
}

// refuseLogin records the refusal and shows the login page with its message.
func (s *Server) refuseLogin(c *gin.Context, r loginRefusal) {
	s.auditLogin(c, audit.OutcomeDenied, r.Method, r.Provider, r.FiscalCode, r.Level, r.Reason, r.Who)
	status := r.Status
	if status == 0 {
		status = http.StatusUnauthorized
	}
	s.renderLogin(c, status, r.Message, "")
}

// audit.Login writes a LOGIN row: the method, the fiscal code and, for a
// refusal, the reason; the SPID level when there is one. Nothing else of the
// certificate or the tokens is stored.
func (s *Server) auditLogin(c *gin.Context, outcome audit.Outcome, method, provider, fc string, level int, reason string, who *Operator) {
	d := map[string]any{"metodo": method}
	if provider != "" {
		d["provider"] = provider
	}
	if level > 0 {
		d["livello"] = fmt.Sprintf("SpidL%d", level)
	}
	if reason != "" {
		d["motivo"] = reason
	}
	if fc != "" {
		d["codice_fiscale"] = fc
	}
	s.audit(c, audit.Record{Action: audit.Login, Target: fc, Outcome: outcome, Detail: d}, who)
}

// completeLogin opens a session for the operator with fiscal code fc, as
// the password login does once the credentials are right.
func (s *Server) completeLogin(c *gin.Context, method, provider, fc string, level int, idToken, next string) {
	ctx := c.Request.Context()
	refusal := loginRefusal{Method: method, Provider: provider, FiscalCode: fc, Level: level}
	ops, err := s.Store.OperatorsByFiscalCode(ctx, fc)
	if err != nil {
		s.fail(c, err)
		return
	}
	var active []store.Operator
	for _, o := range ops {
		if o.Active {
			active = append(active, o)
		}
	}
	// Every refusal is a 403; all but "no account" name the person.
	refusal.Status = http.StatusForbidden
	switch {
	case len(ops) == 0:
		refusal.Reason = "nessuna utenza"
		refusal.Message = fmt.Sprintf(msgNoAccount, fc)
	case len(active) == 0:
		refusal.Reason = "utenza disattivata"
		refusal.Message = msgAccountInactive
	case len(active) > 1:
		refusal.Reason = "utenze multiple"
		refusal.Message = msgAccountsMultiple
	}
	if refusal.Reason != "" {
		if len(ops) > 0 {
			refusal.Who = &Operator{FiscalCode: fc}
		}
		s.refuseLogin(c, refusal)
		return
	}
	op := active[0]
	who := &Operator{FiscalCode: op.FiscalCode}
	profiles, err := s.Store.Profiles(ctx, op.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(profiles) == 0 {
		refusal.Reason = "nessun profilo"
		refusal.Message = msgNoProfiles
		refusal.Who = who
		s.refuseLogin(c, refusal)
		return
	}
	if !s.openSession(c, op.ID, profiles[0], &store.SessionLogin{Method: method, Provider: provider, IDTokenHint: idToken}) {
		return
	}
	who.Profile = toProfile(profiles[0])
	s.auditLogin(c, audit.OutcomeOK, method, provider, fc, level, "", who)
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

// endSession is the logout of every method: the local session ends, and
// for a SPID/CIE session the browser goes on to the provider's end-session
// endpoint (RP-initiated logout) when it has one, which brings it back to
// the login page.
func (s *Server) endSession(c *gin.Context) {
	op := currentOperator(c)
	ctx := c.Request.Context()
	login, err := s.Store.SessionLoginByToken(ctx, op.digest)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Sessions.Close(ctx, op.digest); err != nil {
		s.fail(c, err)
		return
	}
	d := map[string]any{"metodo": login.Method}
	if login.Provider != "" {
		d["provider"] = login.Provider
	}
	s.audit(c, audit.Record{Action: audit.Logout, Outcome: audit.OutcomeOK, Detail: d}, op)
	c.SetSameSite(httpSameSite)
	c.SetCookie(sessionCookie, "", -1, "/", "", secureCookies(c), true)
	if p := s.logins.byName[login.Provider]; p != nil {
		back := strings.TrimRight(s.Config.PublicURL, "/") + "/login"
		if u := p.LogoutURL(login.IDTokenHint, back, ""); u != "" {
			c.Redirect(http.StatusSeeOther, u)
			return
		}
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
