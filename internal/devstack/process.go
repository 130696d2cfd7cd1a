// Package devstack starts and stops the local infrastructure that `esenzioni
// dev` and the test run need: a PostgreSQL cluster, the Temporal dev server
// (with its Web UI) and a MinIO server. Each runs as a child process in its
// own process group, so stopping the stack (or the parent dying) leaves
// nothing behind.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one supervised child.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set when done is closed
	log  *os.File
}

// startProcess starts cmd in its own process group with its output appended to
// logPath. The child gets SIGKILL if the parent thread dies (Pdeathsig), so a
// crashed `esenzioni dev` does not leave servers running.
func startProcess(name string, cmd *exec.Cmd, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: open log: %w", name, err)
	}
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("%s: start %s: %w", name, cmd.Path, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), log: logFile}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended (and how).
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop asks the process group to terminate with sig, and kills it after grace.
func (p *process) stop(sig syscall.Signal, grace time.Duration) {
	if p == nil {
		return
	}
	if done, _ := p.exited(); done {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// waitReady polls check until it succeeds, the process exits or the timeout
// passes. The error names the component and points at its log.
func waitReady(ctx context.Context, p *process, logPath string, timeout time.Duration, check func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = check(cctx)
		cancel()
		if last == nil {
			return nil
		}
		if done, err := p.exited(); done {
			logTail := tail(logPath, 15)
			if strings.Contains(strings.ToLower(logTail), "address already in use") {
				err = fmt.Errorf("%w: %v", errPortClash, err)
			}
			return fmt.Errorf("%s exited before it was ready (%w); see %s:\n%s", p.name, err, logPath, logTail)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready after %s (%v); see %s", p.name, timeout, last, logPath)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := 0
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			lines++
			if lines > n {
				return string(b[i+1:])
			}
		}
	}
	return string(b)
}

// errPortClash marks a child that died because a port it was to listen on was
// taken: a free port is only free when asked, and the Temporal dev server
// picks its internal services' ports itself, so a busy machine (CI running
// three servers at once) can hand the same port to two of them.
var errPortClash = errors.New("port taken between choosing and binding it")

// retryPortClash calls start again, three attempts in all, while it fails
// with errPortClash; start chooses fresh free ports on every call.
func retryPortClash[T any](name string, start func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := start()
		if err == nil || !errors.Is(err, errPortClash) || attempt == 3 {
			return v, err
		}
		fmt.Fprintf(os.Stderr, "%s: a port was taken while it started; starting it again on other ports\n", name)
	}
}

// ErrPortInUse is returned when a fixed port is already taken.
var ErrPortInUse = errors.New("port already in use")

// checkPortFree fails with a clear message when something already listens on
// addr, which otherwise shows up as an obscure crash of the child.
func checkPortFree(component, envVar string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("%s: %w: 127.0.0.1:%d is taken by another program; stop it or choose another port with %s", component, ErrPortInUse, port, envVar)
	}
	return l.Close()
}

// choosePort returns port once checkPortFree passes, or a free port when
// port is 0.
func choosePort(component, envVar string, port int) (int, error) {
	if port == 0 {
		return FreePort()
	}
	return port, checkPortFree(component, envVar, port)
}

var portMu sync.Mutex

// FreePort asks the kernel for a free TCP port on the loopback interface.
// The port is left in TIME_WAIT by a connection this side closes first: the
// kernel then does not hand it out again to another bind(:0) for a minute
// (such as the ports the Temporal dev server picks for its own services),
// while our child, which listens with SO_REUSEADDR, can still bind it.
func FreePort() (int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr := l.Addr().(*net.TCPAddr)
	client, err := net.DialTCP("tcp", nil, addr)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	server, err := l.Accept()
	if err != nil {
		return 0, err
	}
	server.Close() // the listening side closes first and keeps the TIME_WAIT
	return addr.Port, nil
}

// findExecutable looks for name in the given directories, then in PATH.
func findExecutable(name string, dirs ...string) (string, error) {
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return exec.LookPath(name)
}
