package requestid

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
)

func TestValid(t *testing.T) {
	for id, want := range map[string]bool{
		"req-login-00000001": true, New(): true, "abc": false, strings.Repeat("a", 65): false,
		"x\"y-00000000": false, "line\nbreak-0000": false, "RSSMRA80A01H501U ": false,
	} {
		if got := Valid(id); got != want {
			t.Errorf("Valid(%q) = %v, want %v", id, got, want)
		}
	}
	if a, b := New(), New(); a == b || len(a) != 32 {
		t.Errorf("New() = %q, %q", a, b)
	}
}

func TestLogHandlerAddsTheID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "web")
	log.InfoContext(With(context.Background(), "req-0000000000001"), "hello")
	log.InfoContext(context.Background(), "no id")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if !strings.Contains(lines[0], `"request_id":"req-0000000000001"`) || strings.Contains(lines[1], "request_id") {
		t.Errorf("log lines %q", lines)
	}
}

type header map[string]*commonpb.Payload

func (h header) Set(k string, v *commonpb.Payload) { h[k] = v }
func (h header) Get(k string) (*commonpb.Payload, bool) {
	v, ok := h[k]
	return v, ok
}
func (h header) ForEachKey(f func(string, *commonpb.Payload) error) error {
	for k, v := range h {
		if err := f(k, v); err != nil {
			return err
		}
	}
	return nil
}

// The ID crosses a Temporal call's header; a forged one is dropped.
func TestPropagator(t *testing.T) {
	h := header{}
	if err := (Propagator{}).Inject(With(context.Background(), "req-0000000000002"), h); err != nil {
		t.Fatal(err)
	}
	ctx, err := (Propagator{}).Extract(context.Background(), h)
	if err != nil || From(ctx) != "req-0000000000002" {
		t.Fatalf("extracted %q, %v", From(ctx), err)
	}
	_ = inject("bad id\n000000", h)
	ctx, _ = (Propagator{}).Extract(context.Background(), h)
	if From(ctx) != "" {
		t.Errorf("a malformed ID was accepted: %q", From(ctx))
	}
	empty := header{}
	_ = (Propagator{}).Inject(context.Background(), empty)
	if len(empty) != 0 {
		t.Error("no ID, yet a header was written")
	}
}
