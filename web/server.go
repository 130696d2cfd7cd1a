// Package web is the HTTP side of the application: the operators' pages
// (server-rendered Gin templates with htmx and Bootstrap Italia), the intake
// API for submitter systems, the health endpoint and the payload codec
// endpoint of the Temporal Web UI.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/minio/minio-go/v7"
	"go.temporal.io/sdk/client"

	"esenzioni/attachments"
	"esenzioni/codec"
	"esenzioni/exemptions"
	"esenzioni/internal/config"
	"esenzioni/practices"
	"esenzioni/store"
)

// Deps are the web server's collaborators.
type Deps struct {
	Config      config.Config
	Log         *slog.Logger
	Store       *store.Store
	Temporal    client.Client
	S3          *minio.Client
	Codec       *codec.Codec
	Practices   *practices.Service
	Exemptions  *exemptions.Service
	Attachments *attachments.Service
	// OIDCHTTPClient is the HTTP client of the OpenID Connect back channel
	// (discovery, keys, token endpoint); nil = http.DefaultClient.
	OIDCHTTPClient *http.Client
}

// Server serves every HTTP endpoint.
type Server struct {
	Deps
	engine *gin.Engine
	codes  codeLists
	logins loginMethods
	// codecDenials: who was already denied the codec (one audit row each).
	codecDenials denialSet
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{Deps: d}
	e := gin.New()
	e.Use(s.observe(), gin.CustomRecovery(s.recovered), s.securityHeaders())
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

// securityHeaders sets conservative headers on every answer.
func (s *Server) securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		c.Next()
	}
}
