package faults

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"esenzioni/internal/devstack"
	"esenzioni/workflows/searchattr"
)

// Processes of the system under test, the targets of the faults.
const (
	procWeb      = "web"
	procWorker   = "worker"
	procTemporal = "temporal"
	procPostgres = "postgres"
	procMinIO    = "minio"
)

// Credentials of the run's MinIO (local, loopback only).
const (
	s3AccessKey = "esenzioni-faults"
	s3SecretKey = "esenzioni-faults-secret"
)

// cluster runs the system as separate processes in one data directory:
// PostgreSQL, the Temporal dev server on its SQLite file store, MinIO (all
// three through devstack), two `esenzioni web` and one `esenzioni worker`.
// Every process can be killed with SIGKILL (its whole process group) and
// started again on the same ports and data.
type cluster struct {
	dir   string
	bin   string // the esenzioni binary
	tools string // where the temporal and minio binaries are ("" = search)
	logf  func(format string, args ...any)

	pgPort, temporalPort, minioPort int
	webPorts                        []int
	trustDir                        string

	mu       sync.Mutex
	pg       *devstack.Postgres
	temporal *devstack.Temporal
	minio    *devstack.MinIO
	webs     []*child
	worker   *child
	// workerStarts counts the worker's "Started Worker" log lines seen.
	workerStarts int
}

// child is one application process (web or worker).
type child struct {
	name    string
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string
}

func (c *cluster) appEnv(extra ...string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DATABASE_URL", "MIGRATE_DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "S3_ENDPOINT",
			"S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_BUCKET", "S3_USE_SSL", "SMTP_ADDR", "HTTP_ADDR", "PUBLIC_URL",
			"TRUST_STORE_DIR", "ESENZIONI_DEMO_DATA", "ESENZIONI_DEBUG_ADDR", "ESENZIONI_DATA_DIR":
			continue // the run's own values below
		}
		env = append(env, kv)
	}
	env = append(env,
		"DATABASE_URL="+c.databaseURL(), "MIGRATE_DATABASE_URL="+c.ownerURL(),
		"TEMPORAL_ADDRESS="+c.temporalAddress(),
		"S3_ENDPOINT="+c.s3Endpoint(),
		"S3_ACCESS_KEY="+s3AccessKey, "S3_SECRET_KEY="+s3SecretKey,
		"TRUST_STORE_DIR="+c.trustDir,
		"ESENZIONI_DEMO_DATA=false",
		"ESENZIONI_DATA_DIR="+c.dir,
	)
	return append(env, extra...)
}

// databaseURL is the application's connection (its least-privileged
// role); ownerURL the schema owner's (migrations, and the checker's reads).
func (c *cluster) databaseURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pg.AppURL("esenzioni")
}

func (c *cluster) ownerURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pg.OwnerURL("esenzioni")
}

func (c *cluster) temporalAddress() string { return "127.0.0.1:" + strconv.Itoa(c.temporalPort) }

func (c *cluster) s3Endpoint() string { return "127.0.0.1:" + strconv.Itoa(c.minioPort) }

func (c *cluster) webURL(i int) string { return "http://127.0.0.1:" + strconv.Itoa(c.webPorts[i]) }

// startInfra starts PostgreSQL, Temporal and MinIO on ports chosen now and
// kept for every restart.
func (c *cluster) startInfra(ctx context.Context) error {
	var err error
	for _, p := range []*int{&c.pgPort, &c.temporalPort, &c.minioPort} {
		if *p, err = devstack.FreePort(); err != nil {
			return err
		}
	}
	c.webPorts = make([]int, 2)
	for i := range c.webPorts {
		if c.webPorts[i], err = devstack.FreePort(); err != nil {
			return err
		}
	}
	c.webs = make([]*child, 2)
	if err := c.startPostgres(ctx); err != nil {
		return err
	}
	// Least privilege, as `esenzioni dev`: the owner role migrates, the
	// application's role owns nothing.
	if err := c.pg.ProvisionDatabase(ctx, "esenzioni"); err != nil {
		return err
	}
	if err := c.startTemporal(ctx); err != nil {
		return err
	}
	return c.startMinIO(ctx)
}

func (c *cluster) startPostgres(ctx context.Context) error {
	// Durable settings (fsync on): a SIGKILL of the whole server must lose
	// no committed transaction, as in production.
	// The roles' passwords are kept in the run's directory: a restarted
	// server must accept the same ones.
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(c.dir, "postgres"), Port: c.pgPort,
		CredentialsFile: filepath.Join(c.dir, "postgres-credentials.json")})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.pg = pg
	c.mu.Unlock()
	if !strings.HasPrefix(pg.Dir, c.dir) {
		return os.WriteFile(markerFile(c.dir), []byte(pg.Dir), 0o644)
	}
	return nil
}

func (c *cluster) startTemporal(ctx context.Context) error {
	bin, err := devstack.Tool(c.tools, "temporal")
	if err != nil {
		return err
	}
	t, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		Binary: bin, DBFile: filepath.Join(c.dir, "temporal.db"), Port: c.temporalPort, UIPort: -1,
		SearchAttributes: searchattr.Definitions(), LogDir: c.dir,
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.temporal = t
	c.mu.Unlock()
	return nil
}

func (c *cluster) startMinIO(ctx context.Context) error {
	bin, err := devstack.Tool(c.tools, "minio")
	if err != nil {
		return err
	}
	m, err := devstack.StartMinIO(ctx, devstack.MinIOOptions{
		Binary: bin, Dir: filepath.Join(c.dir, "minio"), Port: c.minioPort, ConsolePort: 0,
		AccessKey: s3AccessKey, SecretKey: s3SecretKey, LogDir: c.dir,
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.minio = m
	c.mu.Unlock()
	return nil
}

// startWorker starts `esenzioni worker` and waits until its Temporal
// worker polls.
func (c *cluster) startWorker(ctx context.Context) error {
	logPath := filepath.Join(c.dir, "worker.log")
	before := countLines(logPath, "Started Worker")
	ch, err := startChild("worker", c.bin, []string{"worker"}, c.appEnv(), logPath)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.worker = ch
	c.mu.Unlock()
	deadline := time.Now().Add(90 * time.Second)
	for countLines(logPath, "Started Worker") <= before {
		if ch.exited() {
			return fmt.Errorf("worker exited at start; see %s", logPath)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("worker not started after 90s; see %s", logPath)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// startWeb starts web process i and waits until it answers HTTP.
func (c *cluster) startWeb(ctx context.Context, i int) error {
	logPath := filepath.Join(c.dir, fmt.Sprintf("web%d.log", i+1))
	addr := "127.0.0.1:" + strconv.Itoa(c.webPorts[i])
	ch, err := startChild(fmt.Sprintf("web%d", i+1), c.bin, []string{"web"},
		c.appEnv("HTTP_ADDR="+addr, "PUBLIC_URL=http://"+addr), logPath)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.webs[i] = ch
	c.mu.Unlock()
	deadline := time.Now().Add(90 * time.Second)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get(c.webURL(i) + "/login")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		if ch.exited() {
			return fmt.Errorf("web%d exited at start; see %s", i+1, logPath)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("web%d not answering after 90s; see %s", i+1, logPath)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// kill sends SIGKILL to the process group of target (web: web i) and waits
// until it is gone; it returns the kill's instant.
func (c *cluster) kill(target string, i int) (time.Time, error) {
	c.mu.Lock()
	var pid int
	var wait func()
	switch target {
	case procWeb:
		ch := c.webs[i]
		pid, wait = ch.cmd.Process.Pid, func() { <-ch.done }
	case procWorker:
		ch := c.worker
		pid, wait = ch.cmd.Process.Pid, func() { <-ch.done }
	case procTemporal:
		t := c.temporal
		pid, wait = t.PID(), t.Stop
	case procPostgres:
		pg := c.pg
		pid, wait = pg.PID(), pg.Stop
	case procMinIO:
		m := c.minio
		pid, wait = m.PID(), m.Stop
	default:
		c.mu.Unlock()
		return time.Time{}, fmt.Errorf("unknown process %q", target)
	}
	c.mu.Unlock()
	// The whole server: its process group and every descendant (the
	// PostgreSQL backends must not outlive their postmaster, or the
	// restart finds their shared memory in use).
	tree := descendants(pid)
	at := time.Now()
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return at, fmt.Errorf("kill %s: %w", target, err)
	}
	for _, p := range tree {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	wait() // reaps it (Stop on a dead group returns once it is reaped)
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range tree {
		for alive(p) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return at, nil
}

// descendants lists the processes below pid (children, their children...).
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := ppidOf(p); ok {
			parent[p] = pp
		}
	}
	var out []int
	for p := range parent {
		for q, hops := parent[p], 0; q != 0 && hops < 64; q, hops = parent[q], hops+1 {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// ppidOf reads a process's parent from /proc/<pid>/stat.
func ppidOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// alive reports whether pid still runs (a zombie holds nothing: not alive).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// restart starts target again on its ports and data.
func (c *cluster) restart(ctx context.Context, target string, i int) error {
	switch target {
	case procWeb:
		return c.startWeb(ctx, i)
	case procWorker:
		return c.startWorker(ctx)
	case procTemporal:
		return c.startTemporal(ctx)
	case procPostgres:
		return c.startPostgres(ctx)
	case procMinIO:
		return c.startMinIO(ctx)
	}
	return fmt.Errorf("unknown process %q", target)
}

// stop stops everything: the application first, its dependencies last.
func (c *cluster) stop() {
	c.mu.Lock()
	webs, worker := c.webs, c.worker
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, ch := range append(append([]*child{}, webs...), worker) {
		if ch == nil {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); ch.stop() }()
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.minio.Stop()
	c.temporal.Stop()
	c.pg.Stop()
}

func startChild(name, bin string, args, env []string, logPath string) (*child, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logFile, "\n=== %s started %s ===\n", name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group, killed with the run if the run dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	ch := &child{name: name, cmd: cmd, done: make(chan struct{}), logPath: logPath}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(ch.done)
	}()
	return ch, nil
}

func (ch *child) exited() bool {
	select {
	case <-ch.done:
		return true
	default:
		return false
	}
}

func (ch *child) stop() {
	if ch.exited() {
		return
	}
	_ = syscall.Kill(-ch.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-ch.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-ch.cmd.Process.Pid, syscall.SIGKILL)
		<-ch.done
	}
}

// countLines counts the lines of a file containing s.
func countLines(path, s string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			n++
		}
	}
	return n
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
