package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/adapters/auth"
	"esenzioni/domain/audit"
	"esenzioni/service/sessions"
	"esenzioni/store"
)

// blockedMessage tells the operator, in Italian, that logins are
// temporarily blocked and for how long.
func blockedMessage(b store.LoginBlock, now time.Time) string {
	left := max(b.Until.Sub(now), time.Second)
	var wait string
	switch {
	case left < time.Minute:
		n := int((left + time.Second - 1) / time.Second)
		wait = fmt.Sprintf(waitSeconds, n)
		if n == 1 {
			wait = waitSecond
		}
	default:
		n := int((left + time.Minute - 1) / time.Minute)
		wait = fmt.Sprintf(waitMinutes, n)
		if n == 1 {
			wait = waitMinute
		}
	}
	if strings.HasPrefix(b.Key, "addr:") {
		return fmt.Sprintf(msgBlockedAddress, wait)
	}
	return fmt.Sprintf(msgBlockedAccount, wait)
}

type loginPage struct {
	Base
	Error    string
	Username string
	Next     string
	Methods  loginMethodsView // certificate, SPID, CIE (login_methods.go)
}

// dummyHash equalises the time of a login with an unknown username.
var dummyHash, _ = auth.HashSecret("not-a-real-password")

func (s *Server) loginForm(c *gin.Context) {
	if _, ok := s.sessionOperator(c); ok {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	s.renderLogin(c, http.StatusOK, "", "")
}

func (s *Server) renderLogin(c *gin.Context, status int, msg, username string) {
	s.render(c, status, "login.html", loginPage{
		Base: s.base(c, "Accesso", ""), Error: msg, Username: username,
		Next: safeNext(c.Query("next")), Methods: s.loginMethodsView(),
	})
}

func (s *Server) login(c *gin.Context) {
	ctx := c.Request.Context()
	username := strings.TrimSpace(c.PostForm("username"))
	password, pin := c.PostForm("password"), c.PostForm("pin")
	throttle := sessions.PasswordThrottle(username, c.ClientIP())
	if blk, blocked, err := s.Sessions.Blocked(ctx, throttle); err != nil {
		s.fail(c, err)
		return
	} else if blocked {
		// Credentials are not even checked while blocked.
		s.audit(c, audit.Record{Action: audit.Login, Target: username, Outcome: audit.OutcomeDenied, Detail: map[string]any{"motivo": "rallentato"}}, nil)
		c.Header("Retry-After", strconv.Itoa(int(time.Until(blk.Until).Seconds())+1))
		s.renderLogin(c, http.StatusTooManyRequests, blockedMessage(blk, time.Now()), username)
		return
	}
	op, err := s.Store.OperatorByUsername(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(c, err)
		return
	}
	known := err == nil && op.Active
	// The same work whether the account exists or not: two hash checks.
	pwHash, pinHash := dummyHash, dummyHash
	if known {
		pwHash, pinHash = op.PasswordHash, op.PINHash
	}
	okPw, err1 := auth.CheckSecret(pwHash, password)
	okPIN, err2 := auth.CheckSecret(pinHash, pin)
	if err := errors.Join(err1, err2); err != nil {
		s.fail(c, err)
		return
	}
	var who *Operator
	if known {
		who = &Operator{FiscalCode: op.FiscalCode}
	}
	if !known || !okPw || !okPIN {
		f, err := s.Sessions.RecordFailure(ctx, throttle)
		if err != nil {
			s.fail(c, err)
			return
		}
		motivo := "credenziali"
		if !known {
			motivo = "utente"
		}
		s.audit(c, audit.Record{Action: audit.Login, Target: username, Outcome: audit.OutcomeDenied,
			Detail: map[string]any{"motivo": motivo, "tentativi": f.Count}}, who)
		if f.Delay > 0 {
			c.Header("Retry-After", strconv.Itoa(int(f.Delay.Seconds())))
			s.renderLogin(c, http.StatusTooManyRequests, blockedMessage(f.Block, time.Now()), username)
			return
		}
		s.renderLogin(c, http.StatusUnauthorized, msgLoginFailed, username)
		return
	}
	profiles, err := s.Store.Profiles(ctx, op.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(profiles) == 0 {
		s.audit(c, audit.Record{Action: audit.Login, Target: username, Outcome: audit.OutcomeDenied, Detail: map[string]any{"motivo": "nessun profilo"}}, who)
		s.renderLogin(c, http.StatusForbidden, msgNoProfiles, username)
		return
	}
	if err := s.Sessions.RecordSuccess(ctx, throttle); err != nil {
		s.fail(c, err)
		return
	}
	if !s.openSession(c, op.ID, profiles[0], nil) {
		return
	}
	who.Profile = toProfile(profiles[0])
	s.audit(c, audit.Record{Action: audit.Login, Target: username, Outcome: audit.OutcomeOK}, who)
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
		s.renderError(c, http.StatusBadRequest, titleBadProfile, msgBadProfile)
		return
	}
	if id == op.Profile.ID {
		setFlash(c, "info", msgSameProfile)
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	if err := s.Sessions.SwitchProfile(c.Request.Context(), op.digest, id); err != nil {
		s.fail(c, err)
		return
	}
	setFlash(c, "success", msgProfileChanged)
	c.Redirect(http.StatusSeeOther, "/")
}

// fail answers an unexpected error without details for the user.
func (s *Server) fail(c *gin.Context, err error) {
	if unavailable(err) {
		s.renderUnavailable(c, err)
		return
	}
	s.Log.Error("request failed", "path", c.FullPath(), "error", err)
	s.renderError(c, http.StatusInternalServerError, titleInternal,
		msgInternalPage)
}
