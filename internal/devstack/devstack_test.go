package devstack

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"esenzioni/internal/testenv"
)

func TestPortTakenIsOneClearError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = StartPostgres(context.Background(), PostgresOptions{Dir: t.TempDir() + "/pg", Port: port})
	if err == nil {
		t.Fatal("started PostgreSQL on a taken port")
	}
	msg := err.Error()
	for _, want := range []string{"postgresql", strconv.Itoa(port), "ESENZIONI_PG_PORT"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans several lines: %q", msg)
	}
}

func TestMissingPostgresBinaries(t *testing.T) {
	t.Setenv("PG_BIN", t.TempDir())
	_, err := StartPostgres(context.Background(), PostgresOptions{Dir: t.TempDir() + "/pg"})
	if err == nil || !strings.Contains(err.Error(), "PG_BIN") {
		t.Fatalf("want an error naming PG_BIN, got %v", err)
	}
}

func TestMissingToolNamesTheCommandToRun(t *testing.T) {
	t.Setenv("ESENZIONI_TOOLS_DIR", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	t.Chdir(t.TempDir())
	_, err := Tool(t.TempDir(), "temporal-that-does-not-exist")
	if err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Fatalf("want an error pointing at `make tools`, got %v", err)
	}
}

// TestFailureLeavesNoChildBehind starts PostgreSQL, makes MinIO fail on a
// taken port, and checks that the already started PostgreSQL is gone.
func TestFailureLeavesNoChildBehind(t *testing.T) {
	testenv.Load(t) // needs the built tools and the PostgreSQL binaries, like the test run
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	pgPort, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "devstack-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), Options{
		DataDir: dir, Ephemeral: true, PGPort: pgPort, SkipTemporal: true,
		MinIOPort: taken, S3AccessKey: "k", S3SecretKey: "secret-key",
	})
	if err == nil || !strings.Contains(err.Error(), "minio") {
		t.Fatalf("want a MinIO error, got %v", err)
	}
	// PostgreSQL was started first and must have been stopped.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(pgPort), 200*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("PostgreSQL is still running after the failed start")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
