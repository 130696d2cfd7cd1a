package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	authoidc "esenzioni/adapters/auth/oidc"
	"esenzioni/store"
)

// SPID and CIE login through OpenID Connect providers (auth/oidc): the
// button sends the browser to /login/oidc/NAME, which stores the attempt
// (state, nonce, PKCE verifier) under a hash of the state, puts the state in
// a cookie and redirects to the provider; the provider sends the browser
// back to /login/oidc/NAME/callback with a code, accepted only with the
// cookie's state and only once.

const oidcCookie = "esenzioni_oidc"

// oidcProvider is the request's provider and its login method; false when
// it is not configured (the login page says so).
func (s *Server) oidcProvider(c *gin.Context) (*authoidc.Provider, string, bool) {
	p := s.logins.byName[c.Param("provider")]
	if p == nil {
		s.renderLogin(c, http.StatusNotFound, msgOIDCOff, "")
		return nil, "", false
	}
	return p, methodOfKind(p.Kind), true
}

func (s *Server) oidcStart(c *gin.Context) {
	p, method, ok := s.oidcProvider(c)
	if !ok {
		return
	}
	var vals [3]string
	for i := range vals {
		v, err := randomState()
		if err != nil {
			s.fail(c, err)
			return
		}
		vals[i] = v
	}
	state, nonce, verifier := vals[0], vals[1], vals[2]
	authURL, err := p.AuthURL(state, nonce, verifier)
	if err != nil {
		s.Log.Warn("oidc provider unreachable", "provider", p.Name, "error", err)
		s.refuseLogin(c, loginRefusal{Method: method, Provider: p.Name, Reason: authoidc.ReasonDiscovery,
			Message: fmt.Sprintf(msgOIDCUnreachable, kindLabel(p.Kind)),
			Status:  http.StatusServiceUnavailable})
		return
	}
	a := &store.LoginAttempt{IDHash: stateHash(state), Method: method, Provider: p.Name, Nonce: nonce,
		PKCEVerifier: verifier, Next: safeNext(c.Query("next")), ExpiresAt: time.Now().Add(attemptTTL)}
	if err := s.Sessions.StartAttempt(c.Request.Context(), a); err != nil {
		s.fail(c, err)
		return
	}
	// Lax: the provider sends the browser back with a top-level GET.
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(oidcCookie, state, int(attemptTTL/time.Second), "/login/oidc", "", secureCookies(c), true)
	c.Redirect(http.StatusSeeOther, authURL)
}

func kindLabel(kind string) string {
	if kind == authoidc.KindCIE {
		return "CIE"
	}
	return "SPID"
}

func (s *Server) oidcCallback(c *gin.Context) {
	p, method, ok := s.oidcProvider(c)
	if !ok {
		return
	}
	refusal := loginRefusal{Method: method, Provider: p.Name}
	state := c.Query("state")
	cookie, _ := c.Cookie(oidcCookie)
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(oidcCookie, "", -1, "/login/oidc", "", secureCookies(c), true)
	if state == "" || cookie == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(state)) != 1 {
		refusal.Reason, refusal.Message, refusal.Status = "oidc.stato", msgOIDCStateInvalid, http.StatusBadRequest
		s.refuseLogin(c, refusal)
		return
	}
	a, err := s.Sessions.TakeAttempt(c.Request.Context(), stateHash(state), method)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Provider != p.Name) {
		refusal.Reason, refusal.Message, refusal.Status = "oidc.stato", msgOIDCStateInvalid, http.StatusBadRequest
		s.refuseLogin(c, refusal)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if e := c.Query("error"); e != "" {
		refusal.Reason = authoidc.ReasonProviderError + ":" + truncate(e, 40)
		refusal.Message = fmt.Sprintf(msgOIDCNotCompleted, kindLabel(p.Kind))
		s.refuseLogin(c, refusal)
		return
	}
	res, err := p.Exchange(c.Request.Context(), c.Query("code"), a.PKCEVerifier, a.Nonce)
	if err != nil {
		var oe *authoidc.Error
		if !errors.As(err, &oe) {
			s.fail(c, err)
			return
		}
		s.Log.Info("oidc login refused", "provider", p.Name, "reason", oe.Reason, "error", oe.Err)
		refusal.Reason, refusal.Level, refusal.FiscalCode = oe.Reason, res.Level, res.FiscalCode
		refusal.Message = oidcMessage(oe.Reason, p, res.Level)
		if oe.Reason == authoidc.ReasonDiscovery {
			refusal.Status = http.StatusServiceUnavailable
		}
		s.refuseLogin(c, refusal)
		return
	}
	s.completeLogin(c, method, p.Name, res.FiscalCode, res.Level, res.IDToken, a.Next)
}

func oidcMessage(reason string, p *authoidc.Provider, level int) string {
	kind := kindLabel(p.Kind)
	switch reason {
	case authoidc.ReasonLevel:
		got := msgOIDCLowerLevel
		if level > 0 {
			got = fmt.Sprintf(msgOIDCLevelN, level)
		}
		return fmt.Sprintf(msgOIDCLevel, kind, p.MinLevel, got)
	case authoidc.ReasonExchange:
		return msgOIDCExchange
	case authoidc.ReasonIDToken, authoidc.ReasonNonce:
		return msgOIDCIDToken
	case authoidc.ReasonFiscalNumber:
		return msgOIDCNoFiscalCode
	case authoidc.ReasonFiscalCode:
		return msgOIDCBadFiscalCode
	case authoidc.ReasonDiscovery:
		return fmt.Sprintf(msgOIDCUnreachable, kind)
	}
	return msgOIDCFailed
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
