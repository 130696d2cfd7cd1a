//go:build cluster

// Package clustertest runs the system in its production form (Temporal as
// separate frontend, history x2, matching and worker processes on
// PostgreSQL; two web and two worker processes of the application) and
// checks that a crash of a worker and of a history process in the middle of
// the load loses and doubles nothing. It takes minutes and needs the
// Temporal server binaries (scripts/build-tools.sh temporal-server
// temporal-sql-tool), so it is not part of `make test`:
//
//	make cluster-test     # = go test -tags cluster -v ./clustertest/
//
// CLUSTER_PRACTICES sets the load (default 60 practices).
package clustertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/internal/devstack"
	"esenzioni/store"
	"esenzioni/workflows/searchattr"
)

const (
	aslTO3      = "010203"
	doctorToken = "demo-medico-0123456789abcdef" // demo data
	operator    = "operatore.to3"
	password    = "Esenzioni2026!"
	pin         = "123456"
)

func TestKillWorkerAndHistoryUnderLoad(t *testing.T) {
	n := 60
	if v, err := strconv.Atoi(os.Getenv("CLUSTER_PRACTICES")); err == nil && v > 0 {
		n = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "esenzioni")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/esenzioni")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	dataDir, err := os.MkdirTemp("/var/tmp", "esenzioni-cluster-")
	require.NoError(t, err)
	// PostgreSQL runs as its own user when the test runs as root: it must
	// reach its data directory inside.
	require.NoError(t, os.Chmod(dataDir, 0o755))
	defer os.RemoveAll(dataDir)
	start := time.Now()
	p, err := devstack.StartProduction(ctx, devstack.ProductionOptions{
		Binary: bin, DataDir: dataDir, BasePort: 27200, Progress: testWriter{t},
		RegisterSearchAttributes: func(ctx context.Context, o client.Options) error {
			c, err := client.DialContext(ctx, o)
			if err != nil {
				return err
			}
			defer c.Close()
			return searchattr.Register(ctx, c, o.Namespace)
		},
	})
	require.NoError(t, err)
	defer p.Stop()
	t.Logf("production form up in %s: %v, web %v", time.Since(start).Round(time.Second), p.Cluster.Services(), p.WebURLs)

	db, err := store.Open(ctx, p.Postgres.URL("esenzioni"), store.OpenOptions{})
	require.NoError(t, err)
	defer db.Close()
	people := makePeople(t, ctx, db, n)

	checkSecurity(t, ctx, p)

	// Practice workflows before the load (the demo data's).
	admin, err := p.Cluster.ClientOptions(p.Cluster.Namespace(), "admin", true)
	require.NoError(t, err)
	tc, err := client.Dial(admin)
	require.NoError(t, err)
	defer tc.Close()
	countPractices := func() int64 {
		resp, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: p.Cluster.Namespace(),
			Query: "RecordKind = 'pratica'"})
		require.NoError(t, err)
		return resp.GetCount()
	}
	baseline := countPractices()

	webs := p.WebURLs
	var retries, submitted, taken, validated atomic.Int64
	ops := make([]*session, len(webs))
	for i, u := range webs {
		ops[i] = login(t, u)
	}

	// The load: each practice is submitted through one web replica, taken
	// in charge through the other, and every second one validated through
	// the first. Every call is retried with the same idempotency key until
	// it succeeds, as a client facing a crash would.
	numbers := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	killAt := n / 3
	var killOnce sync.Once
	var killed time.Time
	var failover atomic.Int64 // ms from the kill to the first success after it
	for i := range n {
		if i == killAt {
			killOnce.Do(func() {
				killed = time.Now()
				require.NoError(t, p.KillApp("worker-1"))
				require.NoError(t, p.Cluster.Kill("history-1"))
				t.Logf("killed worker-1 and history-1 (SIGKILL) after %d practices were started", i)
			})
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			a, b := webs[i%len(webs)], webs[(i+1)%len(webs)]
			key := fmt.Sprintf("cluster-%d", i)
			var number string
			retry(t, ctx, &retries, "submit "+key, func() (bool, error) {
				num, err := submit(a, people[i], key)
				number = num
				return err == nil, err
			})
			submitted.Add(1)
			numbers[i] = number
			noteFailover(killed, &failover)
			retry(t, ctx, &retries, "take "+number, func() (bool, error) {
				return ops[(i+1)%len(webs)].act(b, number, "prendi", 1, key+"-take")
			})
			taken.Add(1)
			if i%2 == 0 {
				retry(t, ctx, &retries, "validate "+number, func() (bool, error) {
					return ops[i%len(webs)].act(a, number, "valida", 2, key+"-validate")
				})
				validated.Add(1)
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	// The crashed history process comes back (as its supervisor would
	// restart it); shards move back.
	require.NoError(t, p.Cluster.Restart("history-1"))
	t.Logf("load done: %d submitted, %d taken, %d validated, %d retried calls; first success %d ms after the kill",
		submitted.Load(), taken.Load(), validated.Load(), retries.Load(), failover.Load())

	// Nothing lost, nothing doubled.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var rows []row
		err := db.NewRaw(`SELECT p.number, p.state,
			(SELECT count(*) FROM practice_event e WHERE e.practice_number = p.number AND e.state = 'IN_LAVORAZIONE') AS takes,
			(SELECT count(*) FROM practice_event e WHERE e.practice_number = p.number AND e.state = 'VALIDATA') AS valids
			FROM practice p WHERE p.number IN (?)`, bun.In(numbers)).Scan(ctx, &rows)
		require.NoError(t, err)
		problems := check(rows, numbers)
		var exemptions int
		require.NoError(t, db.NewRaw(`SELECT count(*) FROM exemption WHERE practice_number IN (?)`, bun.In(numbers)).Scan(ctx, &exemptions))
		if exemptions != (n+1)/2 {
			problems = append(problems, fmt.Sprintf("%d exemptions, want %d", exemptions, (n+1)/2))
		}
		if len(problems) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the crash: %s", strings.Join(problems, "; "))
		}
		time.Sleep(time.Second)
	}
	// Temporal agrees: one practice workflow per practice, none failed.
	var got int64
	for range 60 {
		if got = countPractices() - baseline; got == int64(n) {
			break
		}
		time.Sleep(time.Second)
	}
	require.EqualValues(t, n, got, "new practice workflows in visibility")
	resp, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: p.Cluster.Namespace(),
		Query: "ExecutionStatus = 'Failed' OR ExecutionStatus = 'Terminated'"})
	require.NoError(t, err)
	require.Zero(t, resp.GetCount(), "failed or terminated workflows")
	t.Logf("verified in %s: %d practices, each taken once, %d validated once with one exemption each; total %s",
		time.Since(start)-elapsed, n, (n+1)/2, time.Since(start).Round(time.Second))
}

// checkSecurity: the frontend speaks mTLS only, and its JWT authorizer lets
// the application and the named supervisors act on the namespace, nobody
// else: a supervisor without a token, or with a token for another
// namespace, is refused.
func checkSecurity(t *testing.T, ctx context.Context, p *devstack.Production) {
	ns := p.Cluster.Namespace()
	count := func(o client.Options) error {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := client.DialContext(cctx, o)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CountWorkflow(cctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: ns})
		return err
	}
	denied := func(err error) bool {
		var pd *serviceerror.PermissionDenied
		return errors.As(err, &pd)
	}
	for _, who := range append([]string{"app"}, devstack.Supervisors...) {
		o, err := p.Cluster.ClientOptions(ns, who, true)
		require.NoError(t, err)
		require.NoError(t, count(o), "%s with its token", who)
	}
	o, err := p.Cluster.ClientOptions(ns, devstack.Supervisors[0], false)
	require.NoError(t, err)
	err = count(o)
	require.True(t, denied(err), "a supervisor without a token must be refused, got %v", err)
	o, err = p.Cluster.ClientOptions(ns, "estraneo", true)
	require.NoError(t, err)
	err = count(o)
	require.True(t, denied(err), "a token for another namespace must be refused, got %v", err)
	// Without a client certificate the TLS handshake fails.
	o, err = p.Cluster.ClientOptions(ns, devstack.Supervisors[0], true)
	require.NoError(t, err)
	o.ConnectionOptions.TLS.Certificates = nil
	require.Error(t, count(o), "no client certificate")
	o.ConnectionOptions.TLS = nil
	require.Error(t, count(o), "no TLS at all")
	t.Log("security: mTLS required; app and supervisors with tokens allowed; no token, foreign token, no certificate refused")
}

type row struct {
	Number string `bun:"number"`
	State  string `bun:"state"`
	Takes  int    `bun:"takes"`
	Valids int    `bun:"valids"`
}

func check(rows []row, numbers []string) []string {
	var problems []string
	if len(rows) != len(numbers) {
		problems = append(problems, fmt.Sprintf("%d practices in the read model, want %d", len(rows), len(numbers)))
	}
	want := map[string]string{}
	for i, num := range numbers {
		want[num] = "IN_LAVORAZIONE"
		if i%2 == 0 {
			want[num] = "VALIDATA"
		}
	}
	for _, r := range rows {
		if r.State != want[r.Number] {
			problems = append(problems, fmt.Sprintf("%s is %s, want %s", r.Number, r.State, want[r.Number]))
		}
		if r.Takes != 1 {
			problems = append(problems, fmt.Sprintf("%s taken %d times", r.Number, r.Takes))
		}
		if wantValids := map[bool]int{true: 1, false: 0}[want[r.Number] == "VALIDATA"]; r.Valids != wantValids {
			problems = append(problems, fmt.Sprintf("%s validated %d times", r.Number, r.Valids))
		}
	}
	return problems
}

func noteFailover(killed time.Time, ms *atomic.Int64) {
	if !killed.IsZero() {
		ms.CompareAndSwap(0, time.Since(killed).Milliseconds())
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// retry calls f until it reports success, for at most 3 minutes.
func retry(t *testing.T, ctx context.Context, retries *atomic.Int64, what string, f func() (bool, error)) {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ok, err := f()
		if ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Errorf("%s: still failing after 3 minutes: %v", what, err)
			return
		}
		retries.Add(1)
		time.Sleep(time.Duration(200+rand.IntN(300)) * time.Millisecond)
	}
}

// makePeople adds n residents of ASL TO3 to the registry of people.
func makePeople(t *testing.T, ctx context.Context, db *bun.DB, n int) []string {
	torino, ok := places.Default().Find("TORINO", "TO")
	require.True(t, ok)
	var out []string
	for i := range n {
		birth := time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC)
		last := "CLUSTER" + strings.Repeat("X", i/26%3) + string(rune('A'+i%26))
		fc := fiscalcode.Generate(last, "PROVA", birth, 'M', torino.Code)
		_, err := db.ExecContext(ctx, `INSERT INTO beneficiary (fiscal_code, first_name, last_name, birth_date, birth_place_code,
			birth_place_name, sex, residence_comune, asl_code) VALUES (?, 'PROVA', ?, ?, ?, 'TORINO', 'M', 'TORINO', ?)
			ON CONFLICT DO NOTHING`, fc, last, birth, torino.Code, aslTO3)
		require.NoError(t, err)
		out = append(out, fc)
	}
	return out
}

// submit sends a practice through the intake API.
func submit(base, fc, key string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"submitter":   map[string]any{"kind": "MEDICO"},
		"beneficiary": map[string]any{"fiscalCode": fc}, "exemptionCode": "044", "diagnosisCode": "2960",
	})
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/practices", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+doctorToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("submit: %s %s", resp.Status, data)
	}
	var out struct {
		Number string `json:"number"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Number == "" {
		return "", fmt.Errorf("submit: %s", data)
	}
	return out.Number, nil
}

type session struct {
	c *http.Client
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

// login opens an operator session on one web replica.
func login(t *testing.T, base string) *session {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"username": {operator}, "password": {password}, "pin": {pin}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "login on %s", base)
	return &session{c: c}
}

// act posts an operator action on a practice; a 409 because the action
// already happened (an earlier attempt went through) counts as done only if
// the same key answers it, which the server guarantees by idempotency.
func (s *session) act(base, number, action string, version int, key string) (bool, error) {
	resp, err := s.c.PostForm(base+"/pratiche/"+number+"/azioni/"+action, url.Values{
		"versione": {strconv.Itoa(version)}, "chiave": {key}})
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusOK {
		if strings.Contains(string(body), "alert-danger") {
			return false, fmt.Errorf("%s %s: refused: %s", action, number, between(string(body), "alert-danger", "</div>"))
		}
		return true, nil
	}
	return false, fmt.Errorf("%s %s: %s %s", action, number, resp.Status, tail(string(body)))
}

func tail(s string) string {
	if len(s) > 300 {
		return s[len(s)-300:]
	}
	return s
}
