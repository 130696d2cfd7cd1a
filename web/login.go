package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/auth"
	"esenzioni/store"
)

const (
	loginCSRFCookie = "esenzioni_login"
	// maxLoginFailures in a row lock the account for lockDuration.
	maxLoginFailures = 5
	lockDuration     = 15 * time.Minute
)

// loginFailed is the one message for every failed login: it does not tell
// which of username, password and PIN was wrong, nor whether the account
// exists or is locked.
const loginFailed = "Accesso non riuscito: verifica nome utente, password e PIN. Dopo 5 tentativi errati consecutivi l'utenza viene bloccata per 15 minuti."

type loginPage struct {
	Base
	Error    string
	Username string
	Next     string
	Token    string
	Methods  loginMethodsView // certificate, SPID, CIE (login_methods.go)
}

// dummyHash equalises the time of a login with an unknown username.
var dummyHash, _ = auth.HashSecret("not-a-real-password")

// secureCookies reports whether cookies must be marked Secure (HTTPS, or
// HTTPS terminated by a proxy in front of the app).
func secureCookies(c *gin.Context) bool {
	return c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

func (s *Server) loginForm(c *gin.Context) {
	if _, ok := s.sessionOperator(c); ok {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	s.renderLogin(c, http.StatusOK, "", "")
}

func (s *Server) renderLogin(c *gin.Context, status int, msg, username string) {
	// Login CSRF: a double-submitted random token, since there is no
	// session yet to bind a token to.
	token, _, err := auth.NewToken()
	if err != nil {
		s.renderError(c, http.StatusInternalServerError, "Errore interno", "Riprova più tardi.")
		return
	}
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(loginCSRFCookie, token, 1800, "/login", "", secureCookies(c), true)
	s.render(c, status, "login.html", loginPage{
		Base: s.base(c, "Accesso", ""), Error: msg, Username: username,
		Next: safeNext(c.Query("next")), Token: token, Methods: s.loginMethodsView(),
	})
}

func (s *Server) login(c *gin.Context) {
	ctx := c.Request.Context()
	cookie, _ := c.Cookie(loginCSRFCookie)
	form := c.PostForm("_csrf")
	if cookie == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(form)) != 1 {
		s.audit(c, auditEntry{Action: "CSRF", Target: "/login", Outcome: "NEGATO"}, nil)
		s.renderLogin(c, http.StatusForbidden, "La sessione del modulo di accesso è scaduta: riprova.", "")
		return
	}
	username := strings.TrimSpace(c.PostForm("username"))
	password, pin := c.PostForm("password"), c.PostForm("pin")
	op, err := s.Store.OperatorByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !op.Active) {
		_, _ = auth.CheckSecret(dummyHash, password)
		s.audit(c, auditEntry{Action: auditLogin, Target: username, Outcome: "NEGATO", Detail: map[string]any{"motivo": "utente"}}, nil)
		s.renderLogin(c, http.StatusUnauthorized, loginFailed, username)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	who := &Operator{FiscalCode: op.FiscalCode}
	if op.LockedUntil != nil && op.LockedUntil.After(time.Now()) {
		_, _ = auth.CheckSecret(dummyHash, password)
		s.audit(c, auditEntry{Action: auditLogin, Target: username, Outcome: "NEGATO", Detail: map[string]any{"motivo": "bloccato"}}, who)
		s.renderLogin(c, http.StatusUnauthorized, loginFailed, username)
		return
	}
	okPw, err1 := auth.CheckSecret(op.PasswordHash, password)
	okPIN, err2 := auth.CheckSecret(op.PINHash, pin)
	if err := errors.Join(err1, err2); err != nil {
		s.fail(c, err)
		return
	}
	if !okPw || !okPIN {
		n, err := s.Store.RecordLoginFailure(ctx, op.ID, maxLoginFailures, lockDuration)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.audit(c, auditEntry{Action: auditLogin, Target: username, Outcome: "NEGATO",
			Detail: map[string]any{"motivo": "credenziali", "tentativi": n}}, who)
		s.renderLogin(c, http.StatusUnauthorized, loginFailed, username)
		return
	}
	profiles, err := s.Store.Profiles(ctx, op.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(profiles) == 0 {
		s.audit(c, auditEntry{Action: auditLogin, Target: username, Outcome: "NEGATO", Detail: map[string]any{"motivo": "nessun profilo"}}, who)
		s.renderLogin(c, http.StatusForbidden, "La tua utenza non ha profili abilitati al servizio: rivolgiti all'amministratore.", username)
		return
	}
	if err := s.Store.ResetLoginFailures(ctx, op.ID); err != nil {
		s.fail(c, err)
		return
	}
	token, digest, err := auth.NewToken()
	if err != nil {
		s.fail(c, err)
		return
	}
	csrf, _, err := auth.NewToken()
	if err != nil {
		s.fail(c, err)
		return
	}
	sess := &store.Session{TokenHash: digest, OperatorID: op.ID, ProfileID: profiles[0].ID, CSRFToken: csrf,
		Address: c.ClientIP(), ExpiresAt: time.Now().Add(sessionIdle)}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		s.fail(c, err)
		return
	}
	c.SetSameSite(httpSameSite)
	c.SetCookie(sessionCookie, token, 0, "/", "", secureCookies(c), true)
	c.SetCookie(loginCSRFCookie, "", -1, "/login", "", secureCookies(c), true)
	who.Profile = toProfile(profiles[0])
	s.audit(c, auditEntry{Action: auditLogin, Target: username, Outcome: "OK"}, who)
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("next")))
}

// logout ends the session of any login method (endSession, in
// login_methods.go: SPID/CIE sessions also end at the provider).
func (s *Server) logout(c *gin.Context) { s.endSession(c) }

// switchProfile is "Cambia": act with another of the operator's profiles.
func (s *Server) switchProfile(c *gin.Context) {
	op := currentOperator(c)
	id, err := strconv.ParseInt(c.PostForm("profilo"), 10, 64)
	found := false
	for _, p := range op.Profiles {
		if p.ID == id {
			found = true
		}
	}
	if err != nil || !found {
		s.renderError(c, http.StatusBadRequest, "Profilo non valido", "Il profilo scelto non appartiene alla tua utenza.")
		return
	}
	if id == op.Profile.ID {
		setFlash(c, "info", "Il profilo scelto è già quello in uso: nessun cambiamento.")
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	if err := s.Store.SetSessionProfile(c.Request.Context(), op.digest, id); err != nil {
		s.fail(c, err)
		return
	}
	setFlash(c, "success", "Profilo di accesso cambiato.")
	c.Redirect(http.StatusSeeOther, "/")
}

// fail answers an unexpected error without details for the user.
func (s *Server) fail(c *gin.Context, err error) {
	if unavailable(err) {
		s.renderUnavailable(c, err)
		return
	}
	s.Log.Error("request failed", "path", c.FullPath(), "error", err)
	s.renderError(c, http.StatusInternalServerError, "Errore interno",
		"Si è verificato un errore imprevisto. Riprova tra qualche istante; se il problema persiste contatta l'assistenza.")
}
