// Package web is the HTTP side of the application: the operators' pages
// (server-rendered Gin templates with htmx and Bootstrap Italia), the intake
// API for submitter systems, the health endpoint and the payload codec
// endpoint of the Temporal Web UI.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/minio/minio-go/v7"
	"go.temporal.io/sdk/client"

	"esenzioni/adapters/attachments"
	"esenzioni/adapters/codec"
	"esenzioni/internal/config"
	"esenzioni/service/accesslog"
	"esenzioni/service/exemptions"
	"esenzioni/service/idempotency"
	"esenzioni/service/notifications"
	"esenzioni/service/practices"
	"esenzioni/service/sessions"
)

// Deps are the web server's collaborators.
type Deps struct {
	Config config.Config
	Log    *slog.Logger
	// Store is read only: every write goes through the services below.
	Store       Reader
	Temporal    client.Client
	S3          *minio.Client
	Codec       *codec.Codec
	Practices   *practices.Service
	Exemptions  *exemptions.Service
	Attachments *attachments.Service
	// Sessions, AccessLog, Notifications and Idempotency write the records
	// of the web's own (sessions and logins, the audit rows of reads,
	// notifications read, the API's kept answers).
	Sessions      *sessions.Service
	AccessLog     *accesslog.Service
	Notifications *notifications.Service
	Idempotency   *idempotency.Service
	// OIDCHTTPClient is the HTTP client of the OpenID Connect back channel
	// (discovery, keys, token endpoint); nil = http.DefaultClient.
	OIDCHTTPClient *http.Client
}

// Server serves every HTTP endpoint.
type Server struct {
	Deps
	engine  *gin.Engine
	codes   codeLists
	logins  loginMethods
	proxies []*net.IPNet // TRUSTED_PROXIES
	// codecOrigin is the Temporal UI's origin (scheme://host:port), the
	// only one the codec endpoint answers.
	codecOrigin string
	csp         string // Content-Security-Policy (headers.go)
	// codecDenials: who was already denied the codec (one audit row each).
	codecDenials denialSet
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	gin.SetMode(gin.ReleaseMode)
	if d.Store == nil || d.Practices == nil || d.Exemptions == nil || d.Sessions == nil || d.AccessLog == nil ||
		d.Notifications == nil || d.Idempotency == nil {
		return nil, errors.New("web: a store reader and every write service are needed")
	}
	s := &Server{Deps: d}
	var err error
	if s.proxies, err = parseProxies(d.Config.TrustedProxies); err != nil {
		return nil, fmt.Errorf("web: TRUSTED_PROXIES: %w", err)
	}
	if s.codecOrigin, err = originOf(d.Config.TemporalUIURL); err != nil {
		return nil, fmt.Errorf("web: TEMPORAL_UI_URL: %w", err)
	}
	var providers []string
	for _, p := range d.Config.Login.Providers {
		o, err := originOf(p.Issuer)
		if err != nil {
			return nil, fmt.Errorf("web: issuer of provider %s: %w", p.Name, err)
		}
		if o != "" && !slices.Contains(providers, o) {
			providers = append(providers, o)
		}
	}
	s.csp = policyWithFormTargets(providers)
	e := gin.New()
	// The client address (audit log, sessions) comes from X-Forwarded-For or
	// X-Real-IP only when the request arrives from a trusted proxy; by
	// default none is, and it is the connection's address.
	if err := e.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		return nil, fmt.Errorf("web: TRUSTED_PROXIES: %w", err)
	}
	e.Use(s.observe(), s.recovery(), s.securityHeaders(), s.inputGuard, s.crossOrigin())
	e.HandleMethodNotAllowed = true
	e.NoRoute(s.pageNotFound)
	e.NoMethod(s.methodNotAllowed)
	s.engine = e
	if err := s.initLogin(); err != nil {
		return nil, err
	}

	e.GET("/healthz", s.health)
	s.routeCodec(e)
	s.routeAPI(e)
	s.routeUI(e)
	s.routeLogin(e)
	return s, nil
}

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists every route (for the authorization matrix test).
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

// Run serves on addr until ctx is cancelled, then shuts down gracefully.
func (s *Server) Run(ctx context.Context, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return errors.New("web: cannot listen on " + addr + " (is the port taken? set HTTP_ADDR): " + err.Error())
	}
	return s.Serve(ctx, l)
}

// Serve serves on l until ctx is cancelled.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
