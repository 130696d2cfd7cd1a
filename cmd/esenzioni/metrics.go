package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/client"

	"esenzioni/internal/app"
	"esenzioni/internal/metrics"
	"esenzioni/internal/requestid"
)

// logger writes text lines, or JSON ones with LOG_FORMAT=json (config
// validates the value); a record logged with a request's context carries its
// request_id.
func logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	switch os.Getenv("LOG_LEVEL") {
	case "debug":
		opts.Level = slog.LevelDebug
	case "warn":
		opts.Level = slog.LevelWarn
	case "error":
		opts.Level = slog.LevelError
	}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if os.Getenv("LOG_FORMAT") == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	return slog.New(requestid.LogHandler(h))
}

// serveMetrics serves, on METRICS_ADDR when it is set, /metrics, /livez
// (the process answers) and /healthz (ready: ready returns nil), until ctx
// ends. Probes and Prometheus reach it; it is the worker's only HTTP.
func serveMetrics(ctx context.Context, a *app.App, ready func(context.Context) error) error {
	addr := a.Config.MetricsAddr
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: cannot listen on %s (is the port taken? set METRICS_ADDR): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		cctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status, code := map[string]string{"status": "up"}, http.StatusOK
		if err := ready(cctx); err != nil {
			status, code = map[string]string{"status": "down", "error": err.Error()}, http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(status)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			a.Log.Error("metrics server stopped", "error", err)
		}
	}()
	a.Log.Info("metrics served", "addr", ln.Addr().String())
	return nil
}

// dependenciesReady checks PostgreSQL and the Temporal frontend.
func dependenciesReady(a *app.App) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := a.DB.PingContext(ctx); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		if _, err := a.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			return fmt.Errorf("temporal: %w", err)
		}
		return nil
	}
}
