package devstack

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"esenzioni/internal/httpcheck"
)

// TemporalOptions configures the Temporal dev server.
type TemporalOptions struct {
	Binary string // path to the `temporal` CLI
	DBFile string // SQLite file store; empty keeps everything in memory
	Port   int    // gRPC frontend; 0 = a free port
	UIPort int    // Web UI; 0 = a free port; -1 = no UI
	// SearchAttributes registered at start (name -> type, e.g. "Keyword").
	SearchAttributes map[string]string
	Namespaces       []string
	CodecEndpoint    string // remote codec the Web UI calls to decode payloads
	LogDir           string
}

// Temporal is a running dev server.
type Temporal struct {
	Port   int
	UIPort int // 0 when headless
	proc   *process
}

// Address is the gRPC frontend address.
func (t *Temporal) Address() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(t.Port)) }

// UIURL is the Web UI address, empty when headless.
func (t *Temporal) UIURL() string {
	if t.UIPort == 0 {
		return ""
	}
	return "http://localhost:" + strconv.Itoa(t.UIPort)
}

// StartTemporal starts `temporal server start-dev` with the WAL pragmas that
// make its SQLite store several times faster than the defaults.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*Temporal, error) {
	return retryPortClash("temporal", func() (*Temporal, error) { return startTemporalOnce(ctx, opts) })
}

func startTemporalOnce(ctx context.Context, opts TemporalOptions) (*Temporal, error) {
	port, err := choosePort("temporal", "ESENZIONI_TEMPORAL_PORT", opts.Port)
	if err != nil {
		return nil, err
	}
	uiPort := opts.UIPort
	if uiPort >= 0 { // negative: no UI
		if uiPort, err = choosePort("temporal web ui", "ESENZIONI_TEMPORAL_UI_PORT", uiPort); err != nil {
			return nil, err
		}
	}
	httpPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	metricsPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := []string{"server", "start-dev",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(port),
		"--http-port", strconv.Itoa(httpPort), "--metrics-port", strconv.Itoa(metricsPort),
		"--log-level", "warn",
		// One partition per task queue: with a few pollers, several
		// partitions make tasks wait in a backlog or hop between partitions.
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
		"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
		"--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000",
		"--dynamic-config-value", "history.visibilityProcessorMaxPollRPS=1000",
		"--dynamic-config-value", "history.timerProcessorMaxPollRPS=1000",
		// An activity scheduled by a workflow task goes straight back to
		// the worker that completed the task (no trip through matching):
		// the projection after every operator action.
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
	}
	if opts.DBFile != "" {
		args = append(args, "--db-filename", opts.DBFile,
			"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")
	}
	if uiPort > 0 {
		args = append(args, "--ui-port", strconv.Itoa(uiPort), "--ui-ip", "127.0.0.1")
		if opts.CodecEndpoint != "" {
			args = append(args, "--ui-codec-endpoint", opts.CodecEndpoint)
		}
	} else {
		args = append(args, "--headless")
		uiPort = 0
	}
	names := make([]string, 0, len(opts.SearchAttributes))
	for k := range opts.SearchAttributes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		args = append(args, "--search-attribute", k+"="+opts.SearchAttributes[k])
	}
	for _, ns := range opts.Namespaces {
		args = append(args, "--namespace", ns)
	}
	logPath := filepath.Join(opts.LogDir, "temporal.log")
	proc, err := startProcess("temporal", exec.Command(opts.Binary, args...), logPath)
	if err != nil {
		return nil, err
	}
	t := &Temporal{Port: port, UIPort: uiPort, proc: proc}
	err = waitReady(ctx, proc, logPath, 90*time.Second, func(ctx context.Context) error {
		c, err := client.DialContext(ctx, client.Options{HostPort: t.Address(), Logger: quietLogger{}})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	})
	if err == nil && uiPort > 0 {
		err = waitReady(ctx, proc, logPath, 30*time.Second, func(ctx context.Context) error {
			return httpOK(ctx, t.UIURL())
		})
	}
	if err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

// PID is the server process's id (for resource measurements).
func (t *Temporal) PID() int { return t.proc.cmd.Process.Pid }

// Stop stops the dev server.
func (t *Temporal) Stop() {
	if t != nil {
		t.proc.stop(syscall.SIGTERM, 15*time.Second)
	}
}

// httpOK: url answers, with any status but a server error.
func httpOK(ctx context.Context, url string) error {
	return httpcheck.Get(ctx, url, func(code int) bool { return code < 500 })
}

// quietLogger drops the SDK's connection warnings while we poll for readiness.
type quietLogger struct{}

func (quietLogger) Debug(string, ...interface{}) {}
func (quietLogger) Info(string, ...interface{})  {}
func (quietLogger) Warn(string, ...interface{})  {}
func (quietLogger) Error(string, ...interface{}) {}
