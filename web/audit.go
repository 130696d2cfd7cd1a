package web

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/domain/audit"
	"esenzioni/store"
)

// audit appends rows for the operator (nil for anonymous requests) to the
// GDPR log: a handler fills what it saw (action, target, beneficiary,
// outcome, detail), this adds who and from where. A failure to audit is
// logged loudly: the access has happened.
func (s *Server) audit(c *gin.Context, e audit.Record, op *Operator, more ...audit.Record) {
	s.auditStart(c, e, op, more...)()
}

// auditStart starts writing the entries and returns a function that waits
// for the write: a handler renders its page meanwhile, and waits before
// answering, so that no page leaves without its audit rows committed.
func (s *Server) auditStart(c *gin.Context, e audit.Record, op *Operator, more ...audit.Record) (wait func()) {
	entries := make([]audit.Record, 0, 1+len(more))
	for _, x := range append([]audit.Record{e}, more...) {
		if x.Action == audit.Login && x.Detail["metodo"] == nil {
			// Every LOGIN row names its method; the password login's rows
			// (login.go) are the ones written without it.
			d := make(map[string]any, len(x.Detail)+1)
			for k, v := range x.Detail {
				d[k] = v
			}
			d["metodo"] = store.LoginPassword
			x.Detail = d
		}
		x.Address = c.ClientIP()
		if op != nil {
			x.OperatorFC, x.OperatorRole, x.OperatorASL = op.FiscalCode, string(op.Profile.Role), op.Profile.ASLShort
		} else {
			x.OperatorFC = "ANONIMO"
		}
		entries = append(entries, x)
	}
	// Detached: an access that has happened is logged even if the client
	// went away meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 10*time.Second)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		if err := s.AccessLog.Record(ctx, entries...); err != nil {
			s.Log.Error("audit log write failed", "action", e.Action, "error", err)
		}
	}()
	return func() { <-done }
}
