// Package faults is the fault suite of `esenzioni faults`: it runs the
// system as separate processes (PostgreSQL, the Temporal dev server on its
// SQLite file store, MinIO, two web servers and a worker), drives it over
// HTTP with concurrent clients as operators and submitters would, kills one
// process at a time with SIGKILL while requests are in flight, restarts it,
// and then checks that the read model, the audit log and the registry show
// exactly what the workflows' histories hold, and that every action a
// client saw succeed is there exactly once and nothing it saw refused was
// applied.
package faults

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	tclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"esenzioni/domain/exemption"
	"esenzioni/domain/fiscalcode"
	"esenzioni/internal/app"
	"esenzioni/internal/config"
	"esenzioni/store"
)

var rome = exemption.Rome

// Options configure a run.
type Options struct {
	// Dir is the run's data directory, emptied at the start.
	Dir string
	// Binary is the esenzioni binary run as web and worker.
	Binary string
	// ToolsDir holds the temporal and minio binaries ("" = searched as
	// `esenzioni dev` does).
	ToolsDir string
	// Practices is how many practices each fault kind drives at least
	// (more while its kills are not done).
	Practices int
	// Kills is how many kills each kind performs; KillsByKind overrides it
	// for the kinds it names.
	Kills       int
	KillsByKind map[string]int
	// Clients is how many concurrent clients drive the system.
	Clients int
	// Kinds are the fault kinds to run, in order (default: all).
	Kinds []string
	// Seed makes the clients' and the driver's choices repeatable (timing
	// is not).
	Seed uint64
	// SettleTimeout bounds the wait for the workflows to finish their
	// effects after a phase.
	SettleTimeout time.Duration
	// Out receives the tables; Log the progress lines.
	Out, Log io.Writer
}

// kind is a fault kind: what it kills, and when.
type kind struct {
	Name    string
	Target  string
	Trigger []string // request kinds whose sending arms the kill
	// MinDelay..MaxDelay is how long after the request is written the
	// process is killed.
	MinDelay, MaxDelay time.Duration
	// AttachProb is the share of intakes that upload a document first.
	AttachProb float64
	// Recovery are the request kinds whose success ends the recovery
	// (those that need the killed process; default: every action but
	// uploads, which need MinIO only).
	Recovery []string
	// Outage keeps the target down that long before it is restarted (the
	// outages of issue 11: Temporal 5 minutes, PostgreSQL 10); MaxKills
	// caps the kills of such a kind (each costs the outage). Outage kinds
	// are not in the default run: name them with -kinds.
	Outage   time.Duration
	MaxKills int
	Help     string
}

var operatorActions = []string{actTake, actValidate, actReject, actNote, actRenew, actRevoke}

// Kinds are the fault kinds, in their default order.
var Kinds = []kind{
	{Name: "temporal-targeted", Target: procTemporal, Trigger: []string{actTake, actValidate},
		MinDelay: 15 * time.Millisecond, MaxDelay: 30 * time.Millisecond, AttachProb: 0.2,
		Help: "the Temporal server killed 15-30 ms after a take or validate POST was sent"},
	{Name: "temporal", Target: procTemporal, Trigger: append([]string{actIntake, actCancel}, operatorActions...),
		MinDelay: 0, MaxDelay: 300 * time.Millisecond, AttachProb: 0.2,
		Help: "the Temporal server killed at a random moment (0-300 ms) during any action"},
	{Name: "worker", Target: procWorker, Trigger: append([]string{actCancel}, operatorActions...),
		Recovery: append([]string{actCancel}, operatorActions...), // an intake needs no worker
		MinDelay: 15 * time.Millisecond, MaxDelay: 30 * time.Millisecond, AttachProb: 0.2,
		Help: "the worker killed 15-30 ms after an action POST was sent"},
	{Name: "web", Target: procWeb, Trigger: append([]string{actIntake, actCancel}, operatorActions...),
		MinDelay: 15 * time.Millisecond, MaxDelay: 30 * time.Millisecond, AttachProb: 0.2,
		Help: "the web process that received an action POST killed 15-30 ms after it was sent"},
	{Name: "postgres", Target: procPostgres, Trigger: append([]string{actIntake, actCancel}, operatorActions...),
		MinDelay: 15 * time.Millisecond, MaxDelay: 30 * time.Millisecond, AttachProb: 0.2,
		Help: "PostgreSQL (the whole server) killed 15-30 ms after an action POST was sent"},
	{Name: "minio", Target: procMinIO, Trigger: []string{actUpload}, Recovery: []string{actUpload},
		MinDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, AttachProb: 0.9,
		Help: "MinIO killed 5-20 ms after a document upload was sent"},
	{Name: "temporal-outage", Target: procTemporal, Trigger: append([]string{actIntake, actCancel}, operatorActions...),
		MinDelay: 0, MaxDelay: 300 * time.Millisecond, AttachProb: 0.2, Outage: 5 * time.Minute, MaxKills: 1,
		Help: "the Temporal server killed during an action and kept down 5 minutes (not in the default run)"},
	{Name: "postgres-outage", Target: procPostgres, Trigger: append([]string{actIntake, actCancel}, operatorActions...),
		MinDelay: 15 * time.Millisecond, MaxDelay: 30 * time.Millisecond, AttachProb: 0.2, Outage: 10 * time.Minute, MaxKills: 1,
		Help: "PostgreSQL killed during an action and kept down 10 minutes (not in the default run)"},
}

// KindNames lists the kinds' names.
func KindNames() []string {
	var out []string
	for _, k := range Kinds {
		if k.Outage == 0 {
			out = append(out, k.Name)
		}
	}
	return out
}

// AllKindNames lists every kind's name, the outages included.
func AllKindNames() []string {
	var out []string
	for _, k := range Kinds {
		out = append(out, k.Name)
	}
	return out
}

func kindByName(name string) (kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return kind{}, false
}

// harness is a run: the cluster, the clients' shared state and the
// checker's connections.
type harness struct {
	opts    Options
	c       *cluster
	cfg     config.Config
	app     *app.App
	db      *bun.DB // owner role: reads everything
	st      *store.Store
	tc      tclient.Client
	dc      converter.DataConverter
	logFile io.Writer

	ops         []*operatorAccount
	apiToken    string
	apiClientID int64
	links       []store.DiagnosisLink
	signed      []byte
	birthPlace  string

	ledger ledger
	trig   trigger
	// people counts beneficiaries made up so far (each practice its own).
	people atomic.Int64
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.opts.Log, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

// Run performs a whole run and returns its report; the caller decides the
// exit status (Report.Failed).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Practices <= 0 {
		opts.Practices = 200
	}
	if opts.Kills < 0 {
		opts.Kills = 0
	}
	if opts.Clients <= 0 {
		opts.Clients = 4
	}
	if len(opts.Kinds) == 0 {
		opts.Kinds = KindNames()
	}
	if opts.SettleTimeout <= 0 {
		opts.SettleTimeout = 5 * time.Minute
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.Log == nil {
		opts.Log = os.Stderr
	}
	var kinds []kind
	for _, n := range opts.Kinds {
		k, ok := kindByName(n)
		if !ok {
			return nil, fmt.Errorf("unknown fault kind %q (kinds: %s)", n, strings.Join(AllKindNames(), ", "))
		}
		kinds = append(kinds, k)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := freshDir(dir); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "faults.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	h := &harness{opts: opts, logFile: logFile,
		c: &cluster{dir: dir, bin: opts.Binary, tools: opts.ToolsDir}}
	h.c.logf = h.logf
	defer func() {
		h.logf("stopping the system")
		if h.app != nil {
			h.app.Close()
		}
		if h.db != nil {
			h.db.Close()
		}
		h.c.stop()
	}()

	start := time.Now()
	h.logf("starting PostgreSQL, Temporal (file store) and MinIO in %s", dir)
	if err := h.c.startInfra(ctx); err != nil {
		return nil, err
	}
	if err := h.prepare(ctx); err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	h.logf("starting the worker and two web servers (%s)", opts.Binary)
	if err := h.c.startWorker(ctx); err != nil {
		return nil, err
	}
	if err := h.pauseReconciliation(ctx); err != nil {
		return nil, fmt.Errorf("pause the reconciliation schedule: %w", err)
	}
	for i := range h.c.webPorts {
		if err := h.c.startWeb(ctx, i); err != nil {
			return nil, err
		}
	}
	h.logf("system ready in %s: web %s and %s, temporal %s", time.Since(start).Round(100*time.Millisecond),
		h.c.webURL(0), h.c.webURL(1), h.c.temporalAddress())

	clients := make([]*client, opts.Clients)
	for i := range clients {
		clients[i] = newClient(h, h.ops[i], opts.Seed*1000+uint64(i)+1)
		if err := clients[i].login(ctx); err != nil {
			return nil, err
		}
	}
	rep := &Report{Options: opts}
	for _, k := range kinds {
		ph, err := h.phase(ctx, k, clients)
		if err != nil {
			return rep, err
		}
		rep.Phases = append(rep.Phases, ph)
		fmt.Fprint(opts.Out, ph.Table())
	}
	// Everything once more at the end: later faults must not have
	// disturbed what earlier phases left.
	h.logf("final check of every practice of the run")
	if err := h.settle(ctx, h.ledger.of("")); err != nil {
		h.logf("settle: %v", err)
	}
	final, err := h.check(ctx, "", h.ledger.of(""))
	if err != nil {
		return rep, err
	}
	rep.Final = &final
	rep.Elapsed = time.Since(start)
	fmt.Fprint(opts.Out, rep.Totals())
	return rep, nil
}

// phase runs one fault kind: the clients drive practices while the driver
// kills and restarts the target, then the system settles and is checked.
func (h *harness) phase(ctx context.Context, k kind, clients []*client) (PhaseReport, error) {
	kills := h.opts.Kills
	if n, ok := h.opts.KillsByKind[k.Name]; ok {
		kills = n
	}
	if k.MaxKills > 0 && kills > k.MaxKills {
		kills = k.MaxKills
	}
	ph := PhaseReport{Kind: k.Name, Help: k.Help, Kills: kills}
	h.logf("== %s: %s; %d kills, at least %d practices", k.Name, k.Help, kills, h.opts.Practices)
	start := time.Now()
	var started atomic.Int64
	var killsDone atomic.Bool
	lctx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	var wg sync.WaitGroup
	var loadErr error
	var errOnce sync.Once
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lctx.Err() == nil {
				if killsDone.Load() && started.Load() >= int64(h.opts.Practices) {
					return
				}
				started.Add(1)
				if err := cl.runPractice(lctx, k); err != nil && lctx.Err() == nil {
					errOnce.Do(func() { loadErr = err })
				}
			}
		}()
	}

	rng := rand.New(rand.NewPCG(h.opts.Seed, uint64(len(k.Name))))
	for i := 0; i < kills && ctx.Err() == nil; i++ {
		ko := h.killOnce(ctx, k, rng, i, kills)
		ph.KillLog = append(ph.KillLog, ko)
		if ko.Err != nil {
			killsDone.Store(true)
			cancelLoad()
			wg.Wait()
			return ph, ko.Err
		}
	}
	killsDone.Store(true)
	wg.Wait()
	if loadErr != nil {
		h.logf("client error: %v", loadErr)
		ph.ClientErrors = append(ph.ClientErrors, loadErr.Error())
	}
	ph.Practices = int(started.Load())
	ph.LoadTime = time.Since(start)
	h.logf("%s: load done (%d practices in %s); settling", k.Name, ph.Practices, ph.LoadTime.Round(time.Second))
	acts := h.ledger.of(k.Name)
	if err := h.settle(ctx, acts); err != nil {
		h.logf("settle: %v", err)
		ph.ClientErrors = append(ph.ClientErrors, "settle: "+err.Error())
	}
	res, err := h.check(ctx, k.Name, acts)
	if err != nil {
		return ph, err
	}
	ph.Check = res
	return ph, nil
}

// KillOutcome is one kill of a phase.
type KillOutcome struct {
	// InFlight: a request of the trigger's kinds was on the wire when the
	// process was killed (otherwise it was killed after waiting in vain).
	InFlight bool
	Request  string // the request's kind
	Delay    time.Duration
	Down     time.Duration // kill to restarted
	Recovery time.Duration // kill to the first action (of the kind's recovery kinds) sent after it that succeeded
	Err      error
}

// killOnce arms the trigger, waits for a matching request on the wire,
// sleeps the kind's delay, kills the target, restarts it and waits until an
// action sent after the kill succeeds.
func (h *harness) killOnce(ctx context.Context, k kind, rng *rand.Rand, i, of int) KillOutcome {
	// A moment of load between kills.
	_ = sleepCtx(ctx, time.Duration(300+rng.IntN(700))*time.Millisecond)
	delay := k.MinDelay
	if k.MaxDelay > k.MinDelay {
		delay += time.Duration(rng.Int64N(int64(k.MaxDelay - k.MinDelay)))
	}
	armed := h.trig.set(k.Trigger...)
	ko := KillOutcome{Delay: delay}
	web := rng.IntN(len(h.c.webPorts))
	select {
	case f := <-armed.fired:
		ko.InFlight, ko.Request, web = true, f.kind, f.web
		if d := time.Until(f.at.Add(delay)); d > 0 {
			time.Sleep(d)
		}
	case <-time.After(2 * time.Minute):
		h.trig.clear()
	case <-ctx.Done():
		h.trig.clear()
		return KillOutcome{Err: ctx.Err()}
	}
	at, err := h.c.kill(k.Target, web)
	if err != nil {
		return KillOutcome{Err: err}
	}
	if k.Outage > 0 {
		h.logf("%s: %s down for %s while the clients go on", k.Name, k.Target, k.Outage)
		if err := sleepCtx(ctx, k.Outage); err != nil {
			return KillOutcome{Err: err}
		}
	}
	if err := h.c.restart(ctx, k.Target, web); err != nil {
		return KillOutcome{Err: fmt.Errorf("restart %s: %w", k.Target, err)}
	}
	ko.Down = time.Since(at)
	recovery := map[string]bool{}
	for _, r := range k.Recovery {
		recovery[r] = true
	}
	if len(recovery) == 0 {
		for _, r := range append([]string{actIntake, actCancel}, operatorActions...) {
			recovery[r] = true
		}
	}
	if k.Target == procPostgres {
		// The checker's own connections died with the server.
		if err := h.reopenDB(ctx); err != nil {
			return KillOutcome{Err: err}
		}
	}
	for {
		if end, ok := h.ledger.firstSuccessAfter(at, recovery); ok {
			ko.Recovery = end.Sub(at)
			break
		}
		if time.Since(at) > k.Outage+10*time.Minute {
			ko.Recovery = -1 // never, within the bound
			break
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return KillOutcome{Err: err}
		}
	}
	target := k.Target
	if target == procWeb {
		target = fmt.Sprintf("web%d", web+1)
	}
	how := "after waiting for a request in vain"
	if ko.InFlight {
		how = fmt.Sprintf("%s +%dms", ko.Request, ko.Delay.Milliseconds())
	}
	h.logf("%s kill %d/%d: %s (%s), back in %s, an action succeeded %s after the kill",
		k.Name, i+1, of, target, how, ko.Down.Round(10*time.Millisecond), ko.Recovery.Round(10*time.Millisecond))
	return ko
}

// runPractice drives one practice from intake to a scenario's end.
func (c *client) runPractice(ctx context.Context, k kind) error {
	phase := k.Name
	idx := c.h.people.Add(1)
	p := c.h.person(idx)
	link := c.h.links[c.rng.IntN(len(c.h.links))]
	var docs []string
	if c.rng.Float64() < k.AttachProb {
		if id := c.upload(ctx, phase); id != "" {
			docs = append(docs, id)
		}
	}
	number, a := c.intake(ctx, phase, p, link.ExemptionCode, link.DiagnosisCode, docs)
	if number == "" {
		if a.Outcome == outRefused {
			return fmt.Errorf("intake refused: %s", a.Last)
		}
		return nil
	}
	think := func() { _ = sleepCtx(ctx, time.Duration(50+c.rng.IntN(250))*time.Millisecond) }
	act := func(kind string, fields map[string][]string) bool {
		think()
		a := c.practiceAction(ctx, phase, number, kind, fields, false, false)
		return a.Outcome == outOK
	}
	// Now and then a request built to be refused, before the real ones.
	if c.rng.Float64() < 0.15 {
		think()
		switch c.rng.IntN(3) {
		case 0:
			c.practiceAction(ctx, phase, number, actTake, nil, true, true) // stale version
		case 1:
			c.practiceAction(ctx, phase, number, actReject, nil, false, true) // no reason
		case 2:
			c.practiceAction(ctx, phase, number, actNote, map[string][]string{"nota_interna": {"nota con \x00 NUL"}}, false, true)
		}
	}
	note := func() bool {
		return act(actNote, map[string][]string{"nota_interna": {fmt.Sprintf("verifica %d", c.rng.IntN(1000))},
			"nota_beneficiario": {"in lavorazione"}})
	}
	validate := func() bool {
		if !act(actValidate, nil) {
			return false
		}
		id, err := c.exemptionOf(ctx, number)
		if err != nil {
			return false
		}
		lifecycle := c.rng.IntN(4) // none, renew, revoke, renew then revoke
		if c.rng.Float64() < 0.1 {
			think()
			c.modifica(ctx, phase, number, id, actRenew, true, true) // stale version
		}
		if lifecycle == 1 || lifecycle == 3 {
			think()
			if c.modifica(ctx, phase, number, id, actRenew, false, false).Outcome != outOK {
				return false
			}
		}
		if lifecycle >= 2 {
			think()
			c.modifica(ctx, phase, number, id, actRevoke, false, false)
		}
		return true
	}
	switch s := c.rng.IntN(100); {
	case s < 30:
		_ = act(actTake, nil) && validate()
	case s < 45:
		_ = note() && act(actTake, nil) && validate()
	case s < 55:
		validate() // from INVIATA: two rows
	case s < 72:
		if act(actTake, nil) {
			reason, err := c.rejectReason(ctx, number)
			if err == nil {
				act(actReject, map[string][]string{"motivazione": {reason}, "nota_beneficiario": {"documentazione insufficiente"}})
			}
		}
	case s < 84:
		if note() {
			think()
			c.cancel(ctx, phase, number, p, "rinuncia", false)
		}
	default:
		if act(actTake, nil) {
			think()
			c.cancel(ctx, phase, number, p, "", false)
		}
	}
	return nil
}

// person makes up the beneficiary of practice idx: a unique fiscal code
// (birth date from idx).
func (h *harness) person(idx int64) person {
	first := []string{"MARIA", "GIUSEPPE", "ANNA", "LUCA", "GIULIA", "MARCO", "SARA", "PAOLO"}[idx%8]
	last := []string{"ROSSI", "BIANCHI", "FERRERO", "GIACHINO", "CERRUTI", "BALBO", "DALMASSO", "VIGNA"}[(idx/8)%8]
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(idx))
	sex := byte('M')
	if idx%2 == 0 {
		sex = 'F'
	}
	return person{FC: fiscalcode.Generate(last, first, birth, sex, h.birthPlace), First: first, Last: last}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
