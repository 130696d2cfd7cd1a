package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"esenzioni/domain/exemption"
	"esenzioni/internal/app"
	"esenzioni/internal/config"
	"esenzioni/internal/devstack"
	"esenzioni/workflows"
	"esenzioni/workflows/searchattr"
)

// TimersReport measures live exemption workflows holding timers.
type TimersReport struct {
	Steps []TimerStep `json:"steps"`
	// RSSRatio is the worker's RSS at the largest count over the smallest.
	RSSRatio float64 `json:"rssRatio"`
	Note     string  `json:"note,omitempty"`
}

// TimerStep is one count of live workflows.
type TimerStep struct {
	Live              int     `json:"live"`
	StartSeconds      float64 `json:"startSeconds"`
	StartsPerSec      float64 `json:"startsPerSec"`
	WorkerRSSMB       float64 `json:"workerRssMb"`
	ServerRSSMB       float64 `json:"serverRssMb"`
	FirstTasksSeconds float64 `json:"firstTasksSeconds"`    // after the last start, until every first task ran
	SettleSeconds     float64 `json:"settleSeconds"`        // until the server's queues drained
	ServerIdleCPU     float64 `json:"serverIdleCpuPercent"` // while the timers wait
	WorkerIdleCPU     float64 `json:"workerIdleCpuPercent"`
	// What the worker's runtime says of its memory at the same time.
	WorkerHeapInuseMB  float64 `json:"workerHeapInuseMb"`
	WorkerStackInuseMB float64 `json:"workerStackInuseMb"`
	WorkerGoroutines   int     `json:"workerGoroutines"`
	Complete           bool    `json:"complete"`
}

// timers starts exemption workflows (each waits on a reminder timer a year
// away) up to each count, with the worker in a process of its own so its
// memory can be read, and measures memory and idle CPU.
func (e *env) timers(ctx context.Context) (*TimersReport, error) {
	url, _, err := e.database(ctx, "bench_timers", true)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	cfg.DatabaseURL, cfg.TemporalAddress, cfg.S3Endpoint = url, e.stack.Temporal.Address(), e.stack.MinIO.Endpoint()
	cfg.S3AccessKey, cfg.S3SecretKey, cfg.TaskQueue = "bench", "bench-secret-key", "bench-timers"
	a, err := app.Open(ctx, cfg, e.log)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	if err := a.RegisterSearchAttributes(ctx); err != nil {
		return nil, err
	}

	logFile, err := os.Create(filepath.Join(e.opts.DataDir, "bench-worker.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	debugPort, err := devstack.FreePort()
	if err != nil {
		return nil, err
	}
	debugAddr := fmt.Sprintf("127.0.0.1:%d", debugPort)
	wcmd := exec.Command(e.opts.WorkerBinary, "worker")
	wcmd.Env = append(os.Environ(), "ESENZIONI_DEBUG_ADDR="+debugAddr, "DATABASE_URL="+url, "TEMPORAL_ADDRESS="+cfg.TemporalAddress, "S3_ENDPOINT="+cfg.S3Endpoint,
		"S3_ACCESS_KEY=bench", "S3_SECRET_KEY=bench-secret-key", "TEMPORAL_TASK_QUEUE="+cfg.TaskQueue, "LOG_LEVEL=warn")
	wcmd.Stdout, wcmd.Stderr = logFile, logFile
	wcmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := wcmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = syscall.Kill(-wcmd.Process.Pid, syscall.SIGTERM)
		_ = wcmd.Wait()
	}()
	serverPid := e.stack.Temporal.PID()

	rep := &TimersReport{}
	started := 0
	deadline := time.Now().Add(e.opts.TimerBudget)
	end := exemption.DateOf(time.Now()).AddDate(1, 0, 0)
	var next atomic.Int64
	next.Store(10_000_000)
	for _, target := range e.opts.TimerCounts {
		step := TimerStep{Live: target}
		progress(e.opts.Out, "timers: starting exemption workflows up to %d", target)
		t0 := time.Now()
		n, err := startExemptions(ctx, a.Temporal, cfg.TaskQueue, target-started, end, &next, deadline)
		started += n
		step.StartSeconds = round2(time.Since(t0).Seconds())
		if n > 0 {
			step.StartsPerSec = round2(float64(n) / time.Since(t0).Seconds())
		}
		if err != nil {
			return nil, err
		}
		step.Live = started
		step.Complete = started >= target
		// Measure once every workflow has run its first task (it publishes
		// the exemption to the registry, one row each) and the worker and
		// the server have gone quiet: the server drains its queues (the
		// visibility records of every start) for a while after the last.
		t1 := time.Now()
		for time.Since(t1) < 30*time.Minute {
			var published int
			if err := a.DB.NewRaw("SELECT count(*) FROM registry_exemption").Scan(ctx, &published); err != nil {
				return nil, err
			}
			if published >= started {
				break
			}
			time.Sleep(2 * time.Second)
		}
		step.FirstTasksSeconds = round2(time.Since(t1).Seconds())
		for time.Since(t1) < 30*time.Minute {
			if server, worker := cpuPercent([]int{serverPid, wcmd.Process.Pid}, 5*time.Second); server < 25 && worker < 5 {
				break
			}
		}
		step.SettleSeconds = round2(time.Since(t1).Seconds())
		// RSS moves with the garbage collector's cycles: the median of a
		// few samples over 20 seconds.
		var wr, sr []float64
		for k := 0; k < 11; k++ {
			wr, sr = append(wr, rssMB(wcmd.Process.Pid)), append(sr, rssMB(serverPid))
			time.Sleep(2 * time.Second)
		}
		step.WorkerRSSMB, step.ServerRSSMB = median(wr), median(sr)
		if err := workerMemory(debugAddr, filepath.Join(e.opts.DataDir, fmt.Sprintf("worker-heap-%d.pb.gz", started)), &step); err != nil {
			progress(e.opts.Out, "timers: worker memory statistics not read: %v", err)
		}
		step.ServerIdleCPU, step.WorkerIdleCPU = cpuPercent([]int{serverPid, wcmd.Process.Pid}, 20*time.Second)
		rep.Steps = append(rep.Steps, step)
		progress(e.opts.Out, "timers: %d live, worker RSS %.0f MB, server idle CPU %.1f%%", started, step.WorkerRSSMB, step.ServerIdleCPU)
		if !step.Complete {
			rep.Note = fmt.Sprintf("the start budget of %s ran out at %d workflows", e.opts.TimerBudget, started)
			break
		}
	}
	if len(rep.Steps) >= 2 {
		rep.RSSRatio = ratio(rep.Steps[len(rep.Steps)-1].WorkerRSSMB, rep.Steps[0].WorkerRSSMB)
	}
	return rep, nil
}

// startExemptions starts n exemption workflows with 32 callers.
func startExemptions(ctx context.Context, tc client.Client, queue string, n int, end time.Time, next *atomic.Int64, deadline time.Time) (int, error) {
	var done atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan struct{})
	for k := 0; k < 32; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				id := next.Add(1)
				d := end
				st := workflows.ExemptionState{ID: id, ASL: "010203", ASLShort: "TO3", BeneficiaryFC: "RSSMRA80A01H501U",
					ExemptionCode: "044", DiagnosisCode: "2960", IssuedOn: exemption.DateOf(time.Now()), EndDate: &d,
					State: exemption.Valida, Version: 1, Seq: 1} // publishes in its first task, as a new exemption does
				_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
					ID: exemption.WorkflowID(id), TaskQueue: queue,
					TypedSearchAttributes: temporalAttrs(),
				}, workflows.ExemptionWorkflowName, st)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				done.Add(1)
			}
		}()
	}
	for i := 0; i < n && time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	return int(done.Load()), firstErr
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// workerMemory reads the worker's runtime statistics from its profile
// endpoint and saves its heap profile (go tool pprof FILE) next to the
// report.
func workerMemory(addr, heapFile string, step *TimerStep) error {
	get := func(path string) ([]byte, error) {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", path, res.Status)
		}
		return io.ReadAll(res.Body)
	}
	text, err := get("/debug/pprof/heap?debug=1")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(text), "\n") {
		var v float64
		if _, err := fmt.Sscanf(line, "# HeapInuse = %g", &v); err == nil {
			step.WorkerHeapInuseMB = round2(v / (1 << 20))
		} else if _, err := fmt.Sscanf(line, "# Stack = %g", &v); err == nil {
			step.WorkerStackInuseMB = round2(v / (1 << 20))
		}
	}
	g, err := get("/debug/pprof/goroutine?debug=1")
	if err != nil {
		return err
	}
	_, _ = fmt.Sscanf(string(g), "goroutine profile: total %d", &step.WorkerGoroutines)
	prof, err := get("/debug/pprof/heap")
	if err != nil {
		return err
	}
	return os.WriteFile(heapFile, prof, 0o644)
}

// rssMB reads a process's resident set size.
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.Atoi(f[1])
				return round2(float64(kb) / 1024)
			}
		}
	}
	return 0
}

// cpuPercent samples the CPU time of processes over a window (percent of
// one core).
func cpuPercent(pids []int, window time.Duration) (float64, float64) {
	before := make([]float64, len(pids))
	for i, p := range pids {
		before[i], _, _ = procStat(p)
	}
	time.Sleep(window)
	out := make([]float64, len(pids))
	for i, p := range pids {
		now, _, _ := procStat(p)
		out[i] = round2((now - before[i]) / window.Seconds() * 100)
	}
	return out[0], out[1]
}

func temporalAttrs() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		searchattr.RecordKind.ValueSet(searchattr.KindExemption),
		searchattr.ExemptionState.ValueSet(string(exemption.Valida)),
		searchattr.AslCode.ValueSet("TO3"),
		searchattr.ExemptionCode.ValueSet("044"),
	)
}

func (t *TimersReport) markdown() string {
	var b strings.Builder
	b.WriteString("\n### Live exemption workflows holding timers\n\n| live workflows | start time s | starts/s | first tasks done after s | quiet after s | worker RSS MB | worker heap in use MB | worker stacks MB | worker goroutines | server RSS MB | server idle CPU % | worker idle CPU % |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range t.Steps {
		fmt.Fprintf(&b, "| %d%s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %d | %.0f | %.1f | %.1f |\n", s.Live, map[bool]string{true: "", false: " (incomplete)"}[s.Complete],
			s.StartSeconds, s.StartsPerSec, s.FirstTasksSeconds, s.SettleSeconds, s.WorkerRSSMB, s.WorkerHeapInuseMB, s.WorkerStackInuseMB, s.WorkerGoroutines, s.ServerRSSMB, s.ServerIdleCPU, s.WorkerIdleCPU)
	}
	if len(t.Steps) >= 2 {
		fmt.Fprintf(&b, "\nWorker RSS ratio largest/smallest: %.2f (target <= 1.2: %s)\n", t.RSSRatio, mark(t.RSSRatio <= 1.2))
	}
	if t.Note != "" {
		b.WriteString("\n" + t.Note + "\n")
	}
	return b.String()
}
