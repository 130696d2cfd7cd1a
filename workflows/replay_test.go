package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"esenzioni/access"
	"esenzioni/codec"
	"esenzioni/exemption"
	"esenzioni/internal/apptest"
	"esenzioni/internal/config"
	"esenzioni/practice"
	"esenzioni/worker"
	"esenzioni/workflows"
)

// Recorded histories of released workflow code live in testdata/histories;
// every change to the workflows must still replay them (add a version marker
// with workflow.GetVersion otherwise). Record new ones with
//
//	ESENZIONI_RECORD_HISTORIES=1 make test ARGS=-run=TestRecordHistories ./workflows/
//
// which runs real scenarios on the test server and writes them here.
const historiesDir = "testdata/histories"

func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in %s", historiesDir)
	key, err := config.Load()
	require.NoError(t, err)
	c, err := codec.New(key.CodecKeyID, key.CodecKey) // histories are recorded with the dev key
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: c.DataConverter()})
			require.NoError(t, err)
			worker.RegisterWorkflows(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

func TestRecordHistories(t *testing.T) {
	if os.Getenv("ESENZIONI_RECORD_HISTORIES") != "1" {
		t.Skip("records histories only on request (ESENZIONI_RECORD_HISTORIES=1)")
	}
	e := apptest.New(t, apptest.Options{Configure: func(c *config.Config) {
		// A reminder a few seconds from now on an exemption ending today.
		now := time.Now().In(exemption.Rome)
		c.ReminderOffsets = []time.Duration{exemption.EndOfDay(exemption.DateOf(now)).Sub(now) - 3*time.Second}
	}})
	ctx := context.Background()
	op := access.Actor{FiscalCode: "LBRCRD53H10D205E", Role: access.OperatoreASL, ASL: apptest.ASLTO3}
	person := e.Person("MARIA", "STORICA", apptest.ASLTO3, "")
	require.NoError(t, os.MkdirAll(historiesDir, 0o755))

	// Take, then validate with an end date of today: the exemption reminds
	// and expires... at midnight, so it is revoked instead once the reminder
	// has fired.
	validated := e.Submit(person, "044", "2960")
	e.Act(validated, practice.Take, op, func(c *workflows.PracticeCommand) { c.BeneficiaryNote, c.InternalNote = "b", "i" })
	today := exemption.DateOf(time.Now())
	res := e.Act(validated, practice.Validate, op, func(c *workflows.PracticeCommand) { c.Validate.EndDate = &today })
	waitClosed(t, e.App.Temporal, practice.WorkflowID(validated))
	time.Sleep(5 * time.Second) // the reminder fires
	_, err := e.App.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: exemption.WorkflowID(res.Exemption.ID), UpdateName: workflows.MsgChangeEndDate, UpdateID: "renew",
		Args:         []any{workflows.ChangeEndDate{Actor: op, EndDate: ptr(today.AddDate(1, 0, 0)), RequestID: "renew"}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	require.NoError(t, err)
	_, err = e.App.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: exemption.WorkflowID(res.Exemption.ID), UpdateName: workflows.MsgChangeEndDate, UpdateID: "revoke",
		Args:         []any{workflows.ChangeEndDate{Actor: op, EndDate: &today, RequestID: "revoke"}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	require.NoError(t, err)
	waitClosed(t, e.App.Temporal, exemption.WorkflowID(res.Exemption.ID))

	rejected := e.Submit(person, "042", "5771")
	require.NoError(t, e.App.Temporal.SignalWorkflow(ctx, practice.WorkflowID(rejected), "", workflows.MsgTake,
		workflows.PracticeCommand{Command: practice.Command{Actor: access.Actor{Role: access.OperatoreASL, ASL: apptest.ASLCN2}, RequestID: "bad"}}))
	e.Act(rejected, practice.Reject, op, func(c *workflows.PracticeCommand) { c.ReasonCode = "REQUISITI_NON_SUFFICIENTI" })
	waitClosed(t, e.App.Temporal, practice.WorkflowID(rejected))

	for name, id := range map[string]string{
		"practice-take-validate":         practice.WorkflowID(validated),
		"exemption-remind-renew-revoke":  exemption.WorkflowID(res.Exemption.ID),
		"practice-signal-refused-reject": practice.WorkflowID(rejected),
	} {
		writeHistory(t, e.App.Temporal, id, filepath.Join(historiesDir, fmt.Sprintf("v1-%s.json", name)))
	}
}

func ptr[T any](v T) *T { return &v }

func waitClosed(t *testing.T, c client.Client, id string) {
	t.Helper()
	run := c.GetWorkflow(context.Background(), id, "")
	var out json.RawMessage
	require.NoError(t, run.Get(context.Background(), &out))
}

func writeHistory(t *testing.T, c client.Client, id, path string) {
	t.Helper()
	iter := c.GetWorkflowHistory(context.Background(), id, "", false, 0)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	t.Logf("recorded %s (%d events)", path, len(h.Events))
	require.False(t, strings.Contains(string(b), "STORICA"), "histories hold no personal data in clear")
}
