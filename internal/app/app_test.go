package app

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"esenzioni/adapters/codec"
	"esenzioni/internal/config"
)

// An unreachable dependency is reported in one line that names it.
func TestUnreachableDependencies(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.DatabaseURL = "postgres://esenzioni@" + closed + "/esenzioni?sslmode=disable"
	_, err = Open(context.Background(), cfg, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "postgresql: cannot connect") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want one line naming postgresql, got %q", err)
	}
	cfg.DatabaseURL = ""
	_, err = Open(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("want an error naming DATABASE_URL, got %v", err)
	}
	c, err := codec.New(cfg.CodecKeyID, cfg.CodecKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DialTemporal(context.Background(), config.Config{TemporalAddress: closed, TemporalNamespace: "default"}, c, slog.Default()); err == nil ||
		!strings.HasPrefix(err.Error(), "temporal: cannot connect to "+closed) {
		t.Fatalf("want an error naming temporal, got %v", err)
	}
}
