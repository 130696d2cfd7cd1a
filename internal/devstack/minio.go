package devstack

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// MinIOOptions configures the local S3 server.
type MinIOOptions struct {
	Binary      string
	Dir         string
	Port        int // S3 API; 0 = a free port
	ConsolePort int // web console; 0 = a free port
	AccessKey   string
	SecretKey   string
	LogDir      string
}

// MinIO is a running S3 server.
type MinIO struct {
	Port        int
	ConsolePort int
	proc        *process
}

// Endpoint is the S3 API address (host:port).
func (m *MinIO) Endpoint() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.Port)) }

// ConsoleURL is the MinIO console address.
func (m *MinIO) ConsoleURL() string { return "http://localhost:" + strconv.Itoa(m.ConsolePort) }

// StartMinIO starts `minio server` on dir.
func StartMinIO(ctx context.Context, opts MinIOOptions) (*MinIO, error) {
	return retryPortClash("minio", func() (*MinIO, error) { return startMinIOOnce(ctx, opts) })
}

func startMinIOOnce(ctx context.Context, opts MinIOOptions) (*MinIO, error) {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	port, err := choosePort("minio", "ESENZIONI_MINIO_PORT", opts.Port)
	if err != nil {
		return nil, err
	}
	cport, err := choosePort("minio console", "ESENZIONI_MINIO_CONSOLE_PORT", opts.ConsolePort)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(opts.Binary, "server", opts.Dir,
		"--address", "127.0.0.1:"+strconv.Itoa(port),
		"--console-address", "127.0.0.1:"+strconv.Itoa(cport), "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+opts.AccessKey,
		"MINIO_ROOT_PASSWORD="+opts.SecretKey,
		"MINIO_UPDATE=off",
		"MINIO_BROWSER_REDIRECT=off",
	)
	logPath := filepath.Join(opts.LogDir, "minio.log")
	proc, err := startProcess("minio", cmd, logPath)
	if err != nil {
		return nil, err
	}
	m := &MinIO{Port: port, ConsolePort: cport, proc: proc}
	err = waitReady(ctx, proc, logPath, 60*time.Second, func(ctx context.Context) error {
		return httpOK(ctx, "http://"+m.Endpoint()+"/minio/health/ready")
	})
	if err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

// PID is the server process's id (its process group: the fault suite kills
// it with SIGKILL).
func (m *MinIO) PID() int { return m.proc.cmd.Process.Pid }

// Stop stops the server.
func (m *MinIO) Stop() {
	if m != nil {
		m.proc.stop(syscall.SIGTERM, 10*time.Second)
	}
}
