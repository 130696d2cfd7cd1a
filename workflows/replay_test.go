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
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"esenzioni/adapters/codec"
	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/config"
	"esenzioni/internal/testenv"
	"esenzioni/service/practices"
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
			dc := codec.Strict{Codec: c}.DataConverter()
			r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: dc,
				FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})})
			require.NoError(t, err)
			worker.RegisterWorkflows(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// release names the histories TestRecordHistories writes: the code they
// were recorded with. Bump it when a workflow change is released.
const release = "v3"

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
	supervisor := access.Actor{FiscalCode: "AAAAAA00A11D000L", Role: access.Amministratore}
	person := e.Person("MARIA", "STORICA", apptest.ASLTO3, "maria@example.it")
	require.NoError(t, os.MkdirAll(historiesDir, 0o755))
	histories := map[string]string{}
	webAudit := &workflows.AuditContext{Action: "AZIONE_PRATICA", Address: "127.0.0.1", OperatorASL: "TO3", Channel: "web"}

	// Take (with notes and audit), then validate with an end date of today:
	// the exemption is issued first, then the practice closes and starts
	// the exemption's workflow. The exemption reminds (an email), gets
	// documents with the same end date, is renewed, refuses a signal
	// without a caller, and is revoked.
	validated := e.Submit(person, "044", "2960")
	e.Act(validated, practice.Take, op, func(c *workflows.PracticeCommand) {
		c.BeneficiaryNote, c.InternalNote, c.Audit = "b", "i", webAudit
	})
	today := exemption.DateOf(time.Now())
	res := e.Act(validated, practice.Validate, op, func(c *workflows.PracticeCommand) { c.Validate.EndDate, c.Audit = &today, webAudit })
	waitClosed(t, e.App.Temporal, practice.WorkflowID(validated))
	time.Sleep(5 * time.Second) // the reminder fires
	change := func(id string, key string, cmd workflows.ChangeEndDate) {
		t.Helper()
		cmd.Actor, cmd.RequestID = op, key
		_, err := e.App.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: workflows.MsgChangeEndDate, UpdateID: key,
			Args: []any{cmd}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		require.NoError(t, err)
	}
	exID := exemption.WorkflowID(res.Exemption.ID)
	change(exID, "documents", workflows.ChangeEndDate{EndDate: &today, Note: "referto aggiornato"})
	change(exID, "renew", workflows.ChangeEndDate{EndDate: ptr(today.AddDate(1, 0, 0))})
	require.NoError(t, e.App.Temporal.SignalWorkflow(ctx, exID, "", workflows.MsgChangeEndDate,
		workflows.ChangeEndDate{Actor: op, EndDate: &today, RequestID: "no-caller"}))
	change(exID, "revoke", workflows.ChangeEndDate{EndDate: &today})
	waitClosed(t, e.App.Temporal, exID)
	histories["practice-take-validate"] = practice.WorkflowID(validated)
	histories["exemption-remind-documents-renew-refused-revoke"] = exID

	// Signals: one in clear (refused), one of an operator of another ASL
	// stamped as the caller (refused), one that is not a command
	// (refused), then a supervisor's reject (accepted, audited).
	rejected := e.Submit(person, "042", "5771")
	plain := testenv.Client(t, e.Namespace, client.Options{})
	require.NoError(t, plain.SignalWorkflow(ctx, practice.WorkflowID(rejected), "", workflows.MsgTake,
		map[string]any{"actor": supervisor, "requestId": "clear"}))
	cn2 := access.Actor{FiscalCode: "VNTRLA92B26C688M", Role: access.OperatoreASL, ASL: apptest.ASLCN2}
	require.NoError(t, e.App.Temporal.SignalWorkflow(ctx, practice.WorkflowID(rejected), "", workflows.MsgTake,
		workflows.PracticeCommand{Command: practice.Command{RequestID: "other-asl"}, Caller: &cn2}))
	require.NoError(t, e.App.Temporal.SignalWorkflow(ctx, practice.WorkflowID(rejected), "", workflows.MsgTake, "not a command"))
	require.NoError(t, e.App.Temporal.SignalWorkflow(ctx, practice.WorkflowID(rejected), "", workflows.MsgReject,
		workflows.PracticeCommand{Command: practice.Command{RequestID: "supervisor-reject", ReasonCode: "REQUISITI_NON_SUFFICIENTI"}, Caller: &supervisor}))
	waitClosed(t, e.App.Temporal, practice.WorkflowID(rejected))
	histories["practice-signals-refused-then-reject"] = practice.WorkflowID(rejected)

	// A note, then a cancellation through the API channel.
	cancelled := e.Submit(person, "067", "7109")
	e.Act(cancelled, practice.AddNote, op, func(c *workflows.PracticeCommand) { c.InternalNote, c.Audit = "in attesa di referto", webAudit })
	e.Act(cancelled, practice.Cancel, op, func(c *workflows.PracticeCommand) {
		c.Audit = &workflows.AuditContext{Action: "ANNULLAMENTO_API", Address: "127.0.0.1", Channel: "api"}
	})
	waitClosed(t, e.App.Temporal, practice.WorkflowID(cancelled))
	histories["practice-note-cancel"] = practice.WorkflowID(cancelled)

	// The new-exemption wizard: update-with-start, validated at once,
	// without end date.
	wizard := e.Person("LUCA", "STORICO", apptest.ASLTO3, "")
	wres, err := e.Practices.SubmitAndValidate(ctx, practices.Submission{
		Source: "wizard", Key: "record-" + release, SubmitterKind: practice.SubmitterOperator,
		SubmitterFC: op.FiscalCode, SubmitterRole: op.Role,
		Beneficiary:   practices.BeneficiaryData{FiscalCode: wizard.FiscalCode},
		ExemptionCode: "044", DiagnosisCode: "2960",
	}, workflows.PracticeCommand{Command: practice.Command{Actor: op}, Validate: workflows.ValidateOptions{NoEndDate: true}, Audit: webAudit})
	require.NoError(t, err)
	waitClosed(t, e.App.Temporal, practice.WorkflowID(wres.Number))
	histories["practice-update-with-start"] = practice.WorkflowID(wres.Number)

	// An exemption that continues as new (a small event budget) while the
	// registry is down: the publication is pending across the runs, then
	// published once the registry is back.
	can := e.Person("ANNA", "STORICA", apptest.ASLTO3, "")
	cres := e.Act(e.Submit(can, "044", "2960"), practice.Validate, op)
	end := today.AddDate(2, 0, 0)
	canID := exemption.WorkflowID(cres.Exemption.ID) + "-can"
	require.NoError(t, e.Registry().SetAvailable(ctx, false))
	run, err := e.App.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: canID, TaskQueue: e.App.Config.TaskQueue},
		workflows.ExemptionWorkflowName, workflows.ExemptionState{
			ID: cres.Exemption.ID, ASL: apptest.ASLTO3, ASLShort: "TO3", BeneficiaryFC: can.FiscalCode,
			ExemptionCode: "044", DiagnosisCode: "2960", IssuedOn: today, EndDate: &end,
			State: exemption.Valida, Version: 1, Seq: 1, RunEventBudget: 2, PublishedVersion: 0,
		})
	require.NoError(t, err)
	for i := 1; i <= 3; i++ {
		d := end.AddDate(0, 0, i)
		change(canID, fmt.Sprintf("can-%d", i), workflows.ChangeEndDate{EndDate: &d})
	}
	require.NoError(t, e.Registry().SetAvailable(ctx, true))
	e.Eventually(60*time.Second, "published after the outage", func() (bool, error) {
		v, err := e.App.Temporal.QueryWorkflow(ctx, canID, "", workflows.QueryState)
		if err != nil {
			return false, err
		}
		var st workflows.ExemptionState
		return v.Get(&st) == nil && st.PublishedVersion == st.Version, nil
	})
	// The first run ended with continue-as-new after the budget; the
	// second starts from its state.
	writeHistory(t, e.App.Temporal, canID, run.GetRunID(), filepath.Join(historiesDir, release+"-exemption-continue-as-new-pending-publication-first-run.json"))
	histories["exemption-continue-as-new-pending-publication-next-run"] = canID

	for name, id := range histories {
		writeHistory(t, e.App.Temporal, id, "", filepath.Join(historiesDir, fmt.Sprintf("%s-%s.json", release, name)))
	}
}

// TestReplayCatchesNonDeterminism is the control of the replay test: a
// workflow whose code changed without a version marker must fail to replay
// a recorded history. Without it, a replay test that always passes would
// prove nothing.
func TestReplayCatchesNonDeterminism(t *testing.T) {
	key, err := config.Load()
	require.NoError(t, err)
	c, err := codec.New(key.CodecKeyID, key.CodecKey)
	require.NoError(t, err)
	dc := codec.Strict{Codec: c}.DataConverter()
	r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: dc,
		FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})})
	require.NoError(t, err)
	// The practice workflow, changed: a timer before anything else, which
	// no recorded history holds.
	changed := func(ctx workflow.Context, st workflows.PracticeState) (workflows.PracticeState, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return st, err
		}
		return workflows.PracticeWorkflow(ctx, st)
	}
	r.RegisterWorkflowWithOptions(changed, workflow.RegisterOptions{Name: workflows.PracticeWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ExemptionWorkflow, workflow.RegisterOptions{Name: workflows.ExemptionWorkflowName})
	files, err := filepath.Glob(filepath.Join(historiesDir, release+"-practice-*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		err := r.ReplayWorkflowHistoryFromJSONFile(nil, f)
		require.Error(t, err, "%s replayed with non-deterministic code", filepath.Base(f))
		// TMPRL1100 is the SDK's code for a non-determinism error.
		msg := strings.ToLower(err.Error())
		require.True(t, strings.Contains(msg, "nondetermin") || strings.Contains(msg, "tmprl1100"), "%s: %v", filepath.Base(f), err)
	}
}

func ptr[T any](v T) *T { return &v }

func waitClosed(t *testing.T, c client.Client, id string) {
	t.Helper()
	run := c.GetWorkflow(context.Background(), id, "")
	var out json.RawMessage
	require.NoError(t, run.Get(context.Background(), &out))
}

func writeHistory(t *testing.T, c client.Client, id, runID, path string) {
	t.Helper()
	iter := c.GetWorkflowHistory(context.Background(), id, runID, false, 0)
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
