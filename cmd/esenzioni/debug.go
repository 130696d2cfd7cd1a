package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// serveDebug serves Go's profiles (heap, goroutines, CPU) on
// ESENZIONI_DEBUG_ADDR when it is set, for whoever runs the process: off by
// default, and meant for a loopback address. The benchmark reads the
// worker's heap through it.
func serveDebug(ctx context.Context, log *slog.Logger) error {
	addr := os.Getenv("ESENZIONI_DEBUG_ADDR")
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() { _ = srv.Serve(ln) }()
	log.Info("profiles served", "addr", ln.Addr().String())
	return nil
}
