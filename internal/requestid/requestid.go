// Package requestid carries the ID of an HTTP request (header X-Request-Id,
// made up when the caller sent none or an unusable one) through the context:
// into the access log and every log line written with that context, into the
// audit rows the request writes, and into the Temporal calls it makes (a
// workflow context propagator puts it in the call's header, where workflow
// and activity code find it again). An ID is random: it carries no personal
// data.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// Header is the HTTP header that carries the ID, in and out.
const Header = "X-Request-Id"

// temporalHeader is the key of the ID in Temporal call headers.
const temporalHeader = "esenzioni-request-id"

type ctxKey struct{}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the ID ctx carries, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// New makes a random ID (32 hex digits).
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Valid reports whether a caller's ID may be kept: 8 to 64 characters,
// letters, digits, '-', '_' and '.' only (nothing that could forge a log
// line or smuggle data).
func Valid(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// LogHandler adds request_id to every record logged with a context that
// carries one.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := From(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }

// Propagator carries the ID from a client call (start, signal, update) into
// the workflow's context, and from there into the activities it schedules.
type Propagator struct{}

var _ workflow.ContextPropagator = Propagator{}

type workflowKey struct{}

// Inject puts the ID of ctx into an outgoing call's header.
func (Propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return inject(From(ctx), w)
}

// Extract reads the ID of an incoming task (activity) into its context.
func (Propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	if id := extract(r); id != "" {
		return With(ctx, id), nil
	}
	return ctx, nil
}

// InjectFromWorkflow puts the workflow context's ID into a call the
// workflow makes (activity, child workflow).
func (Propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	id, _ := ctx.Value(workflowKey{}).(string)
	return inject(id, w)
}

// ExtractToWorkflow reads the ID of an incoming call into the workflow
// context.
func (Propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	if id := extract(r); id != "" {
		return workflow.WithValue(ctx, workflowKey{}, id), nil
	}
	return ctx, nil
}

func inject(id string, w workflow.HeaderWriter) error {
	if id == "" {
		return nil
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(id)
	if err != nil {
		return err
	}
	w.Set(temporalHeader, p)
	return nil
}

func extract(r workflow.HeaderReader) string {
	p, ok := r.Get(temporalHeader)
	if !ok {
		return ""
	}
	var id string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &id); err != nil || !Valid(id) {
		return ""
	}
	return id
}
