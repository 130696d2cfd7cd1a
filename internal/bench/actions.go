package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"esenzioni/adapters/auth"
	"esenzioni/domain/access"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/domain/practice"
	"esenzioni/internal/app"
	"esenzioni/internal/config"
	"esenzioni/store"
	"esenzioni/web"
	"esenzioni/worker"
	"esenzioni/workflows"
)

// ActionsReport compares operator actions with the bare workflow.
type ActionsReport struct {
	Levels []ActionLevel `json:"levels"`
}

// ActionLevel is one concurrency level.
type ActionLevel struct {
	Callers int `json:"callers"`
	Flows   int `json:"flows"`  // practices per system, over all rounds
	Rounds  int `json:"rounds"` // alternating bare/full runs pooled
	// Bare: start, take, validate; Full: intake (API), take, validate (UI).
	BareStart, BareTake, BareValidate   Stats
	FullIntake, FullTake, FullValidate  Stats
	BareStartsPerSec, FullIntakesPerSec float64
	BareTakesPerSec, FullTakesPerSec    float64
	// CPU per operation of each phase (the phase's asynchronous tail
	// included: the wait for the exemption workflows after validate).
	BareCPU, FullCPU map[string]CPU
	// Ratios full/bare.
	TakeP50Ratio, TakeP95Ratio, ValidateP50Ratio, ValidateP95Ratio, IntakeThroughputRatio float64
}

const (
	benchPassword = "Bench.2026!"
	benchPIN      = "246810"
	benchToken    = "bench-token-0123456789"
	bareQueue     = "bench-bare"
)

func (e *env) actions(ctx context.Context) (*ActionsReport, error) {
	url, _, err := e.database(ctx, "bench_app", true)
	if err != nil {
		return nil, err
	}
	a, base, stop, err := e.serve(ctx, url)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := a.RegisterSearchAttributes(ctx); err != nil {
		return nil, err
	}
	// The product's cache size, which the bare worker shares (process-wide).
	w := worker.New(a.Temporal, a.Config.TaskQueue, a.Activities(), a.Config.WorkflowCacheSize)
	if err := w.Start(); err != nil {
		return nil, err
	}
	defer w.Stop()
	bare := sdkworker.New(a.Temporal, bareQueue, sdkworker.Options{MaxConcurrentWorkflowTaskExecutionSize: 64})
	bare.RegisterWorkflowWithOptions(BareWorkflow, workflow.RegisterOptions{Name: BareWorkflowName})
	if err := bare.Start(); err != nil {
		return nil, err
	}
	defer bare.Stop()

	const warmup = 24
	rounds := max(e.opts.Rounds, 1)
	perRound := max(e.opts.Flows/rounds, 1)
	total := warmup + perRound*rounds*len(e.opts.Concurrency)
	people, err := benchFixtures(ctx, a.Store, total)
	if err != nil {
		return nil, err
	}
	// Warm both paths (connection pools, caches, the server's lazily
	// loaded state) so the first level does not pay for them.
	progress(e.opts.Out, "actions: warm-up, %d practices each system", warmup)
	if err := e.bareLevel(ctx, a.Temporal, 4, people[:warmup], &systemRun{}); err != nil {
		return nil, err
	}
	if err := e.fullLevel(ctx, a.Store, a.Temporal, base, 4, people[:warmup], &systemRun{}); err != nil {
		return nil, err
	}
	rep := &ActionsReport{}
	next := warmup
	for _, c := range e.opts.Concurrency {
		progress(e.opts.Out, "actions: %d callers, %d rounds of %d practices each system", c, rounds, perRound)
		var bare, full systemRun
		// Rounds alternate which system goes first, so that neither always
		// runs on a cooler (or warmer) server; the machine's noise then
		// spreads over both.
		for r := 0; r < rounds; r++ {
			persons := people[next : next+perRound]
			next += perRound
			runBare := func() error { return e.bareLevel(ctx, a.Temporal, c, persons, &bare) }
			runFull := func() error { return e.fullLevel(ctx, a.Store, a.Temporal, base, c, persons, &full) }
			first, second := runBare, runFull
			if r%2 == 1 {
				first, second = runFull, runBare
			}
			if err := first(); err != nil {
				return nil, err
			}
			if err := second(); err != nil {
				return nil, err
			}
		}
		lvl := ActionLevel{Callers: c, Flows: perRound * rounds, Rounds: rounds}
		lvl.BareStart, lvl.BareTake, lvl.BareValidate = bare.start.Stats(), bare.take.Stats(), bare.validate.Stats()
		lvl.FullIntake, lvl.FullTake, lvl.FullValidate = full.start.Stats(), full.take.Stats(), full.validate.Stats()
		lvl.BareStartsPerSec, lvl.BareTakesPerSec = bare.startRate(), bare.takeRate()
		lvl.FullIntakesPerSec, lvl.FullTakesPerSec = full.startRate(), full.takeRate()
		lvl.BareCPU, lvl.FullCPU = bare.cpuPerOp(), full.cpuPerOp()
		lvl.TakeP50Ratio = ratio(lvl.FullTake.P50MS, lvl.BareTake.P50MS)
		lvl.TakeP95Ratio = ratio(lvl.FullTake.P95MS, lvl.BareTake.P95MS)
		lvl.ValidateP50Ratio = ratio(lvl.FullValidate.P50MS, lvl.BareValidate.P50MS)
		lvl.ValidateP95Ratio = ratio(lvl.FullValidate.P95MS, lvl.BareValidate.P95MS)
		lvl.IntakeThroughputRatio = ratio(lvl.FullIntakesPerSec, lvl.BareStartsPerSec)
		rep.Levels = append(rep.Levels, lvl)
	}
	return rep, nil
}

// serve opens the application on database url and serves its web
// interface on a loopback port, as `esenzioni web` would.
func (e *env) serve(ctx context.Context, url string) (*app.App, string, func(), error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, "", nil, err
	}
	cfg.DatabaseURL, cfg.TemporalAddress, cfg.S3Endpoint = url, e.stack.Temporal.Address(), e.stack.MinIO.Endpoint()
	cfg.S3AccessKey, cfg.S3SecretKey, cfg.TaskQueue = "bench", "bench-secret-key", "bench-app"
	cfg.SMTPAddr, cfg.DemoData = "", false
	a, err := app.Open(ctx, cfg, e.log)
	if err != nil {
		return nil, "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return nil, "", nil, err
	}
	cfg.HTTPAddr = l.Addr().String()
	deps := a.WebDeps(e.log)
	deps.Config = cfg // with the listener's address
	srv, err := web.New(deps)
	if err != nil {
		a.Close()
		return nil, "", nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	go func() { _ = srv.Serve(sctx, l) }()
	return a, "http://" + cfg.HTTPAddr, func() { cancel(); a.Close() }, nil
}

// benchFixtures creates the operator, the API client and n people of TO3.
func benchFixtures(ctx context.Context, st *store.Store, n int) ([]string, error) {
	torino, _ := places.Default().Find("TORINO", "TO")
	asl := "010203"
	if err := benchOperator(ctx, st, asl); err != nil {
		return nil, err
	}
	doctor := fiscalcode.Generate("MEDICO", "BENCH", time.Date(1965, 5, 5, 0, 0, 0, 0, time.UTC), 'M', torino.Code)
	if err := st.UpsertAPIClient(ctx, &store.APIClient{Name: "bench", TokenHash: auth.Digest(benchToken),
		SubmitterKinds: []string{string(practice.SubmitterDoctor)}, FiscalCode: &doctor}); err != nil {
		return nil, err
	}
	var out []string
	for i := 0; len(out) < n; i++ {
		birth := time.Date(1930+i%80, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
		surname := fmt.Sprintf("BENCH%c%c%c", 'A'+i%26, 'A'+(i/26)%26, 'A'+(i/676)%26)
		fc := fiscalcode.Generate(surname, "PERSONA", birth, 'F', torino.Code)
		b := &store.Beneficiary{FiscalCode: fc, FirstName: "PERSONA", LastName: surname, BirthDate: birth,
			BirthPlaceCode: torino.Code, BirthPlaceName: torino.Name, Sex: "F", ASLCode: asl, UpdatedAt: time.Now()}
		if err := st.InsertBeneficiaryIfMissing(ctx, b); err != nil {
			return nil, err
		}
		out = append(out, fc)
	}
	return out, nil
}

// benchOperator creates the operator of asl the benchmarks log in as
// (bench.ASL, benchPassword, benchPIN), once per database.
func benchOperator(ctx context.Context, st *store.Store, asl string) error {
	username := "bench." + asl
	if _, err := st.OperatorByUsername(ctx, username); err == nil {
		return nil
	}
	pw, pin, err := auth.HashCredentials(benchPassword, benchPIN)
	if err != nil {
		return err
	}
	torino, _ := places.Default().Find("TORINO", "TO")
	op := &store.Operator{Username: username, FiscalCode: fiscalcode.Generate("BENCH", "OPERATORE", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 'M', torino.Code),
		FirstName: "OPERATORE", LastName: "BENCH", PasswordHash: pw, PINHash: pin, Active: true}
	return st.CreateOperator(ctx, op, []store.OperatorProfile{{Role: string(access.OperatoreASL), ASLCode: &asl, Location: "BENCH"}})
}

// phase runs work for every item with c callers and returns the wall time.
func phase(c int, items int, work func(i int)) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	ch := make(chan int)
	for k := 0; k < c; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				work(i)
			}
		}()
	}
	for i := 0; i < items; i++ {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return time.Since(start)
}

func randomKey() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// systemRun pools the samples of one system at one concurrency level over
// the rounds.
type systemRun struct {
	start, take, validate Sample
	n                     int
	startWall, takeWall   time.Duration
	cpu                   map[string]CPU // sums over rounds, ms
}

func (r *systemRun) addCPU(phase string, c CPU) {
	if r.cpu == nil {
		r.cpu = map[string]CPU{}
	}
	x := r.cpu[phase]
	x.TemporalMS += c.TemporalMS
	x.PostgresMS += c.PostgresMS
	x.AppMS += c.AppMS
	r.cpu[phase] = x
}

func (r *systemRun) cpuPerOp() map[string]CPU {
	out := map[string]CPU{}
	for k, c := range r.cpu {
		n := float64(max(r.n, 1))
		out[k] = CPU{TemporalMS: round2(c.TemporalMS / n), PostgresMS: round2(c.PostgresMS / n), AppMS: round2(c.AppMS / n)}
	}
	return out
}

func (r *systemRun) startRate() float64 { return round2(float64(r.n) / r.startWall.Seconds()) }
func (r *systemRun) takeRate() float64  { return round2(float64(r.n) / r.takeWall.Seconds()) }

// waitFirstTask waits until a workflow has completed its first workflow
// task (its handlers are registered).
func waitFirstTask(ctx context.Context, tc client.Client, id string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		d, err := tc.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			return err
		}
		if d.PendingWorkflowTask == nil && d.WorkflowExecutionInfo.GetHistoryLength() >= 4 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("workflow %s: first task not completed in time", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) bareLevel(ctx context.Context, tc client.Client, c int, persons []string, run *systemRun) error {
	n := len(persons)
	ids := make([]string, n)
	prefix := randomKey()
	start, take, validate := &run.start, &run.take, &run.validate
	run.n += n
	mark := e.cpuMark()
	wall := phase(c, n, func(i int) {
		ids[i] = fmt.Sprintf("bench-bare-%s-%d", prefix, i)
		t := time.Now()
		_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: bareQueue}, BareWorkflowName, ids[i])
		if err != nil {
			start.Fail()
			return
		}
		start.Add(time.Since(t))
	})
	run.startWall += wall
	// Like the operator, who opens a practice once it is listed: take
	// only after the workflow has run its first task.
	for _, id := range ids {
		if err := waitFirstTask(ctx, tc, id); err != nil {
			return err
		}
	}
	run.addCPU("start", e.cpuSince(mark, 1))
	update := func(s *Sample, action practice.Action, version int) func(int) {
		return func(i int) {
			cmd := workflows.PracticeCommand{Command: practice.Command{Action: action, ExpectedVersion: version, RequestID: randomKey()}}
			t := time.Now()
			h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: ids[i], UpdateID: cmd.RequestID,
				UpdateName: workflows.ActionMessages[action], Args: []any{cmd}, WaitForStage: client.WorkflowUpdateStageCompleted})
			var res workflows.ActionResult
			if err == nil {
				err = h.Get(ctx, &res)
			}
			if err != nil {
				s.Fail()
				return
			}
			s.Add(time.Since(t))
		}
	}
	mark = e.cpuMark()
	run.takeWall += phase(c, n, update(take, practice.Take, 1))
	run.addCPU("take", e.cpuSince(mark, 1))
	mark = e.cpuMark()
	phase(c, n, update(validate, practice.Validate, 2))
	for _, id := range ids {
		if err := tc.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			return err
		}
	}
	run.addCPU("validate", e.cpuSince(mark, 1))
	return nil
}

// session is an operator logged in through the login form.
type session struct {
	http *http.Client
}

func login(base string) (*session, error) { return loginAs(base, "bench.010203") }

func loginAs(base, username string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: 64}}
	resp, err := hc.PostForm(base+"/login", url.Values{"username": {username}, "password": {benchPassword}, "pin": {benchPIN}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("login: %s", resp.Status)
	}
	return &session{http: hc}, nil
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return ""
}

func (e *env) fullLevel(ctx context.Context, st *store.Store, tc client.Client, base string, c int, persons []string, run *systemRun) error {
	n := len(persons)
	numbers := make([]string, n)
	sessions := make(chan *session, c)
	for k := 0; k < c; k++ {
		s, err := login(base)
		if err != nil {
			return err
		}
		sessions <- s
	}
	api := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	intake, take, validate := &run.start, &run.take, &run.validate
	run.n += n
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	mark := e.cpuMark()
	wall := phase(c, n, func(i int) {
		body, _ := json.Marshal(map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
			"beneficiary": map[string]any{"fiscalCode": persons[i]}, "exemptionCode": "044", "diagnosisCode": "2960"})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/practices", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+benchToken)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", randomKey())
		t := time.Now()
		resp, err := api.Do(req)
		if err != nil {
			intake.Fail()
			fail(err)
			return
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			intake.Fail()
			fail(fmt.Errorf("intake: %s %s", resp.Status, raw))
			return
		}
		intake.Add(time.Since(t))
		var out struct{ Number string }
		_ = json.Unmarshal(raw, &out)
		numbers[i] = out.Number
	})
	run.startWall += wall
	if firstErr != nil {
		return firstErr
	}
	// The operator opens a practice once it is listed (first projection).
	deadline := time.Now().Add(2 * time.Minute)
	for _, num := range numbers {
		for {
			if _, err := st.PracticeByNumber(ctx, num); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return errors.New("practices not projected in time")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	run.addCPU("start", e.cpuSince(mark, 1))
	act := func(s *Sample, path string, version int) func(int) {
		return func(i int) {
			sess := <-sessions
			defer func() { sessions <- sess }()
			form := url.Values{"versione": {fmt.Sprint(version)}, "chiave": {randomKey()}}
			t := time.Now()
			resp, err := sess.http.PostForm(base+"/pratiche/"+numbers[i]+"/azioni/"+path, form)
			if err != nil {
				s.Fail()
				fail(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				s.Fail()
				fail(fmt.Errorf("%s %s: %s", path, numbers[i], resp.Status))
				return
			}
			s.Add(time.Since(t))
		}
	}
	mark = e.cpuMark()
	run.takeWall += phase(c, n, act(take, "prendi", 1))
	run.addCPU("take", e.cpuSince(mark, 1))
	mark = e.cpuMark()
	phase(c, n, act(validate, "valida", 2))
	// The validation's tail: each practice workflow starts its exemption
	// workflow and completes.
	for _, num := range numbers {
		if err := tc.GetWorkflow(ctx, practice.WorkflowID(num), "").Get(ctx, nil); err != nil {
			return err
		}
	}
	run.addCPU("validate", e.cpuSince(mark, 1))
	return firstErr
}
