package devstack

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A child that dies on a bind error is recognised as a port clash, which is
// what makes StartTemporal and the others try again on fresh ports.
func TestBindFailureIsAPortClash(t *testing.T) {
	for _, tc := range []struct {
		say  string
		want bool
	}{
		{`error="listen tcp 127.0.0.1:45705: bind: address already in use"`, true},
		{`LOG:  could not bind IPv4 address "127.0.0.1": Address already in use`, true},
		{`panic: out of memory`, false},
	} {
		logPath := filepath.Join(t.TempDir(), "child.log")
		p, err := startProcess("child", exec.Command("sh", "-c", "echo '"+tc.say+"'; exit 2"), logPath)
		if err != nil {
			t.Fatal(err)
		}
		err = waitReady(context.Background(), p, logPath, 10*time.Second, func(context.Context) error {
			return errors.New("not ready")
		})
		if err == nil {
			t.Fatalf("%q: a dead child was reported ready", tc.say)
		}
		if got := errors.Is(err, errPortClash); got != tc.want {
			t.Errorf("%q: port clash = %v, want %v (%v)", tc.say, got, tc.want, err)
		}
	}
}

func TestPortClashIsRetriedThreeTimesInAll(t *testing.T) {
	calls := 0
	_, err := retryPortClash("x", func() (int, error) {
		calls++
		if calls < 3 {
			return 0, errPortClash
		}
		return 42, nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("after two clashes: err %v, %d calls; want success on the third", err, calls)
	}

	calls = 0
	_, err = retryPortClash("x", func() (int, error) { calls++; return 0, errPortClash })
	if !errors.Is(err, errPortClash) || calls != 3 {
		t.Fatalf("clashing for ever: err %v after %d calls; want the clash after 3", err, calls)
	}

	calls = 0
	other := errors.New("initdb failed")
	_, err = retryPortClash("x", func() (int, error) { calls++; return 0, other })
	if !errors.Is(err, other) || calls != 1 {
		t.Fatalf("another failure: err %v after %d calls; want it at once", err, calls)
	}
}
