package web

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/adapters/auth/cns"
	"esenzioni/domain/audit"
	"esenzioni/store"
)

// Certificate login (CNS / TS-CNS, manual 3.2 "Accesso tramite certificato
// digitale o carta elettronica") in three steps, because only a TLS
// handshake can ask the browser for its certificate:
//
//  1. GET /login/certificato on the application: a login attempt is stored
//     under a random state, which goes into a cookie of the application's
//     origin, and the browser is sent to the certificate endpoint.
//  2. GET /login/certificato/tls?richiesta=STATE, on a dedicated HTTPS
//     listener (CNS_TLS_ADDR) whose handshake requests a client
//     certificate, or behind a TLS-terminating proxy that passes the
//     certificate in a header only it may set (CNS_PROXY_HEADER from
//     CNS_TRUSTED_PROXIES). The certificate is checked (auth/cns) and the
//     outcome written into the attempt; the browser goes back.
//  3. GET /login/certificato/esito?richiesta=STATE on the application: the
//     cookie must hold the same state (so nobody can complete an attempt
//     in someone else's browser), the attempt is taken once, and the
//     account rules apply (completeLogin).

const cnsCookie = "esenzioni_cns"

func (s *Server) certificateStart(c *gin.Context) {
	if s.logins.cns == nil {
		s.renderLogin(c, http.StatusNotFound, msgCertificateOff, "")
		return
	}
	state, err := randomState()
	if err != nil {
		s.fail(c, err)
		return
	}
	a := &store.LoginAttempt{IDHash: stateHash(state), Method: store.LoginCertificate,
		Next: safeNext(c.Query("next")), ExpiresAt: time.Now().Add(attemptTTL)}
	if err := s.Sessions.StartAttempt(c.Request.Context(), a); err != nil {
		s.fail(c, err)
		return
	}
	// Lax: the browser comes back with a top-level navigation from the
	// certificate endpoint, another origin.
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(cnsCookie, state, int(attemptTTL/time.Second), "/login/certificato", "", secureCookies(c), true)
	c.Redirect(http.StatusSeeOther, s.Config.Login.CNSLoginURL+"?richiesta="+url.QueryEscape(state))
}

// certificateCheck is step 2: it runs on the dedicated TLS listener, or on
// the application behind a proxy that passes the certificate.
func (s *Server) certificateCheck(c *gin.Context) {
	back := strings.TrimRight(s.Config.PublicURL, "/") + "/login/certificato/esito?richiesta=" + url.QueryEscape(c.Query("richiesta"))
	if s.logins.cns == nil {
		c.Redirect(http.StatusSeeOther, strings.TrimRight(s.Config.PublicURL, "/")+"/login")
		return
	}
	chain, proxyRefusal := s.presentedChain(c)
	var id cns.Identity
	err := proxyRefusal
	if err == nil {
		id, err = s.logins.cns.Verify(c.Request.Context(), chain)
	}
	reason := ""
	var ce *cns.Error
	if errors.As(err, &ce) {
		reason = ce.Reason
	} else if err != nil {
		s.fail(c, err)
		return
	}
	found, rerr := s.Sessions.RecordCertificateResult(c.Request.Context(), stateHash(c.Query("richiesta")), id.FiscalCode, reason)
	if rerr != nil {
		s.fail(c, rerr)
		return
	}
	if reason != "" {
		fc := ""
		if len(chain) > 0 {
			// The fiscal code of a refused certificate, when it has one,
			// tells the administrator whose card it was.
			fc, _ = cns.FiscalCode(chain[0])
		}
		s.Log.Info("certificate login refused", "reason", reason, "error", err)
		s.auditLogin(c, audit.OutcomeDenied, store.LoginCertificate, "", fc, 0, reason, nil)
	}
	if !found && reason == "" {
		s.Log.Info("certificate login: no live attempt for the state presented")
	}
	c.Redirect(http.StatusSeeOther, back)
}

// presentedChain returns the certificates of the TLS handshake, or those a
// trusted proxy passed in its header.
func (s *Server) presentedChain(c *gin.Context) ([]*x509.Certificate, error) {
	if c.Request.TLS != nil {
		return c.Request.TLS.PeerCertificates, nil
	}
	lc := s.Config.Login
	if lc.CNSProxyHeader == "" {
		return nil, nil
	}
	v := c.GetHeader(lc.CNSProxyHeader)
	if !s.trustedProxy(c.Request.RemoteAddr) {
		if v != "" {
			// Anyone could set the header: it is not trusted, and the
			// attempt is refused rather than silently treated as empty.
			s.Log.Warn("certificate header from an address not in CNS_TRUSTED_PROXIES", "remote", c.Request.RemoteAddr)
			return nil, &cns.Error{Reason: cns.ReasonUntrustedProxy, Message: cns.Message(cns.ReasonUntrustedProxy)}
		}
		return nil, nil
	}
	certs, err := cns.ParseProxyHeader(v)
	if err != nil {
		return nil, err
	}
	return certs, nil
}

// trustedProxy reports whether the direct peer (never a forwarded-for
// address) is one of CNS_TRUSTED_PROXIES.
func (s *Server) trustedProxy(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range s.Config.Login.CNSTrustedProxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// certificateFinish is step 3.
func (s *Server) certificateFinish(c *gin.Context) {
	state := c.Query("richiesta")
	cookie, _ := c.Cookie(cnsCookie)
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(cnsCookie, "", -1, "/login/certificato", "", secureCookies(c), true)
	if state == "" || cookie == "" || subtle.ConstantTimeCompare([]byte(cookie), []byte(state)) != 1 {
		s.refuseLogin(c, loginRefusal{Method: store.LoginCertificate, Reason: "stato", Message: msgCertificateStateInvalid, Status: http.StatusBadRequest})
		return
	}
	a, err := s.Sessions.TakeAttempt(c.Request.Context(), stateHash(state), store.LoginCertificate)
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.FiscalCode == nil && a.Refusal == nil) {
		s.refuseLogin(c, loginRefusal{Method: store.LoginCertificate, Reason: "stato", Message: msgCertificateStateInvalid, Status: http.StatusBadRequest})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if a.Refusal != nil {
		// Audited when the certificate was checked.
		msg := cns.Message(*a.Refusal)
		if msg == "" {
			msg = msgCertificateRefused
		}
		s.renderLogin(c, http.StatusUnauthorized, msg, "")
		return
	}
	s.completeLogin(c, store.LoginCertificate, "", *a.FiscalCode, 0, "", a.Next)
}

// certificateHandler serves the dedicated TLS listener: only the
// certificate check; anything else goes to the application.
func (s *Server) certificateHandler() http.Handler {
	e := gin.New()
	// The same client-address rule as the application (its audit rows),
	// and the same input checks.
	if err := e.SetTrustedProxies(s.Config.TrustedProxies); err != nil {
		panic(err) // checked by New already
	}
	e.Use(s.recovery(), s.securityHeaders(), s.inputGuard)
	e.GET("/login/certificato/tls", s.certificateCheck)
	e.NoRoute(func(c *gin.Context) {
		c.Redirect(http.StatusSeeOther, strings.TrimRight(s.Config.PublicURL, "/")+"/login")
	})
	return e
}

// CertificateTLSConfig is the TLS configuration of the dedicated listener:
// it asks the browser for a certificate but verifies nothing in the
// handshake (RequestClientCert), so that an expired or unknown certificate
// gets an Italian explanation instead of a browser error page; the handler
// verifies it. No CA names are sent: a smart card's certificate whose
// intermediate the browser lacks would otherwise not be offered.
func CertificateTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, errors.New("certificate login listener: CNS_TLS_CERT/CNS_TLS_KEY: " + err.Error())
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequestClientCert,
	}, nil
}

// ServeCertificateTLS serves the dedicated certificate listener on l (a
// plain TCP listener; TLS is added here) until ctx ends.
func (s *Server) ServeCertificateTLS(ctx context.Context, l net.Listener) error {
	lc := s.Config.Login
	cfg, err := CertificateTLSConfig(lc.CNSTLSCert, lc.CNSTLSKey)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.certificateHandler(),
		TLSConfig:         cfg,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		// Browsers open and drop TLS connections while the user chooses a
		// certificate: handshake errors are not worth a line each.
		ErrorLog: slog.NewLogLogger(s.Log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tls.NewListener(l, cfg)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// RunAll serves the application on HTTPAddr and, when configured, the
// certificate listener on CNS_TLS_ADDR, until ctx ends.
func (s *Server) RunAll(ctx context.Context) error {
	addr := s.Config.Login.CNSTLSAddr
	if addr == "" || s.logins.cns == nil {
		return s.Run(ctx, s.Config.HTTPAddr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return errors.New("certificate login: cannot listen on " + addr + " (is the port taken? set CNS_TLS_ADDR): " + err.Error())
	}
	errc := make(chan error, 2)
	go func() { errc <- s.ServeCertificateTLS(ctx, l) }()
	go func() { errc <- s.Run(ctx, s.Config.HTTPAddr) }()
	first := <-errc
	if ctx.Err() == nil {
		return first // one of them failed: the caller stops everything
	}
	second := <-errc
	return errors.Join(first, second)
}
