package faults

import (
	"sync"
	"time"
)

// outcome is how a client saw an action end.
type outcome string

const (
	outOK      outcome = "ok"      // the application said it was done
	outRefused outcome = "refused" // the application refused it (4xx with a reason)
	// outUnknown: no final answer (still "in progress" when the client gave
	// up): it may or may not have been applied, at most once.
	outUnknown outcome = "unknown"
)

// Kinds of client requests.
const (
	actUpload   = "upload"
	actIntake   = "intake"
	actTake     = "take"
	actValidate = "validate"
	actReject   = "reject"
	actNote     = "note"
	actCancel   = "cancel" // through the API, as the submitter
	actRenew    = "renew"
	actRevoke   = "revoke"
)

// action is one request of a client, with every retry it took.
type action struct {
	Phase     string
	Kind      string
	Practice  string // practice number (every kind but upload)
	Exemption int64  // renew, revoke
	// RequestID is the idempotency key as the workflow sees it (the update
	// ID): web:<operator>:<chiave>, api:<client>:<Idempotency-Key>.
	RequestID string
	// WantRefusal marks a request built to be refused (stale version, bad
	// characters, no reason): it must change nothing.
	WantRefusal bool
	Outcome     outcome
	Attempts    int
	Start, End  time.Time
	// Last is what the last attempt got (status or error), for reports.
	Last string
}

// ledger records every action of a run, and when attempts succeeded (for
// the recovery times).
type ledger struct {
	mu        sync.Mutex
	actions   []*action
	successes []success
}

type success struct {
	kind       string
	start, end time.Time
}

func (l *ledger) add(a *action) {
	l.mu.Lock()
	l.actions = append(l.actions, a)
	l.mu.Unlock()
}

// succeeded records an attempt of kind that succeeded.
func (l *ledger) succeeded(kind string, start, end time.Time) {
	l.mu.Lock()
	l.successes = append(l.successes, success{kind, start, end})
	l.mu.Unlock()
}

// firstSuccessAfter returns when the first attempt of one of kinds sent at
// or after t succeeded.
func (l *ledger) firstSuccessAfter(t time.Time, kinds map[string]bool) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var best time.Time
	for i := len(l.successes) - 1; i >= 0; i-- {
		s := l.successes[i]
		if s.end.Before(t) {
			break // appended in order of completion
		}
		if kinds[s.kind] && !s.start.Before(t) && (best.IsZero() || s.end.Before(best)) {
			best = s.end
		}
	}
	return best, !best.IsZero()
}

// of returns the actions of a phase ("" = all).
func (l *ledger) of(phase string) []*action {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*action
	for _, a := range l.actions {
		if phase == "" || a.Phase == phase {
			out = append(out, a)
		}
	}
	return out
}

// trigger lets the fault driver kill a process a chosen delay after a
// client has written a request of a chosen kind to the wire.
type trigger struct {
	mu    sync.Mutex
	armed *arm
}

type arm struct {
	kinds map[string]bool
	fired chan firing
}

// firing says which request fired the trigger.
type firing struct {
	kind string
	web  int // the web process the request went to
	at   time.Time
}

// claim is a request that may fire the trigger once written.
type claim struct {
	t    *trigger
	a    *arm
	kind string
	web  int
	once sync.Once
	done bool
}

func (t *trigger) set(kinds ...string) *arm {
	a := &arm{kinds: map[string]bool{}, fired: make(chan firing, 1)}
	for _, k := range kinds {
		a.kinds[k] = true
	}
	t.mu.Lock()
	t.armed = a
	t.mu.Unlock()
	return a
}

func (t *trigger) clear() {
	t.mu.Lock()
	t.armed = nil
	t.mu.Unlock()
}

// take claims the armed trigger for a request of kind about to be sent to
// web (nil when not armed for it).
func (t *trigger) take(kind string, web int) *claim {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.armed == nil || !t.armed.kinds[kind] {
		return nil
	}
	c := &claim{t: t, a: t.armed, kind: kind, web: web}
	t.armed = nil
	return c
}

// wrote fires the trigger: the request is on the wire.
func (c *claim) wrote() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		c.done = true
		c.a.fired <- firing{kind: c.kind, web: c.web, at: time.Now()}
	})
}

// release gives the trigger back when the request was never written (its
// connection was refused).
func (c *claim) release() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		c.t.mu.Lock()
		if c.t.armed == nil {
			c.t.armed = c.a
		}
		c.t.mu.Unlock()
	})
}
