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
	"google.golang.org/protobuf/encoding/protojson"

	"esenzioni/access"
	"esenzioni/codec"
	"esenzioni/exemption"
	"esenzioni/internal/apptest"
	"esenzioni/internal/config"
	"esenzioni/practice"
	"esenzioni/practices"
	"esenzioni/store"
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
const release = "v2"

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
	histories := map[string]string{}

	// Take, then validate with an end date of today: the exemption reminds
	// and expires... at midnight, so it is revoked instead once the reminder
	// has fired; before that, documents are added (same end date) and it is
	// renewed.
	validated := e.Submit(person, "044", "2960")
	e.Act(validated, practice.Take, op, func(c *workflows.PracticeCommand) { c.BeneficiaryNote, c.InternalNote = "b", "i" })
	today := exemption.DateOf(time.Now())
	res := e.Act(validated, practice.Validate, op, func(c *workflows.PracticeCommand) { c.Validate.EndDate = &today })
	waitClosed(t, e.App.Temporal, practice.WorkflowID(validated))
	time.Sleep(5 * time.Second) // the reminder fires
	change := func(id int64, key string, cmd workflows.ChangeEndDate) {
		t.Helper()
		cmd.Actor, cmd.RequestID = op, key
		_, err := e.App.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: exemption.WorkflowID(id), UpdateName: workflows.MsgChangeEndDate, UpdateID: key,
			Args: []any{cmd}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		require.NoError(t, err)
	}
	change(res.Exemption.ID, "documents", workflows.ChangeEndDate{EndDate: &today, Note: "referto aggiornato"})
	change(res.Exemption.ID, "renew", workflows.ChangeEndDate{EndDate: ptr(today.AddDate(1, 0, 0))})
	// A supervisor's signal from another ASL is refused and recorded.
	require.NoError(t, e.App.Temporal.SignalWorkflow(ctx, exemption.WorkflowID(res.Exemption.ID), "", workflows.MsgChangeEndDate,
		workflows.ChangeEndDate{Actor: access.Actor{Role: access.OperatoreASL, ASL: apptest.ASLCN2}, EndDate: &today, RequestID: "bad"}))
	change(res.Exemption.ID, "revoke", workflows.ChangeEndDate{EndDate: &today})
	waitClosed(t, e.App.Temporal, exemption.WorkflowID(res.Exemption.ID))
	histories["practice-take-validate"] = practice.WorkflowID(validated)
	histories["exemption-remind-documents-renew-refused-revoke"] = exemption.WorkflowID(res.Exemption.ID)

	// A refused signal, then a rejection.
	rejected := e.Submit(person, "042", "5771")
	require.NoError(t, e.App.Temporal.SignalWorkflow(ctx, practice.WorkflowID(rejected), "", workflows.MsgTake,
		workflows.PracticeCommand{Command: practice.Command{Actor: access.Actor{Role: access.OperatoreASL, ASL: apptest.ASLCN2}, RequestID: "bad"}}))
	e.Act(rejected, practice.Reject, op, func(c *workflows.PracticeCommand) { c.ReasonCode = "REQUISITI_NON_SUFFICIENTI" })
	waitClosed(t, e.App.Temporal, practice.WorkflowID(rejected))
	histories["practice-signal-refused-reject"] = practice.WorkflowID(rejected)

	// A supervisor's accepted signal (take), then a cancellation.
	cancelled := e.Submit(person, "067", "7109")
	require.NoError(t, e.App.Temporal.SignalWorkflow(ctx, practice.WorkflowID(cancelled), "", workflows.MsgTake,
		workflows.PracticeCommand{Command: practice.Command{Actor: op, RequestID: "signal-take"}}))
	e.WaitPractice(cancelled, func(p store.Practice) bool { return p.State == string(practice.InLavorazione) })
	e.Act(cancelled, practice.Cancel, op)
	waitClosed(t, e.App.Temporal, practice.WorkflowID(cancelled))
	histories["practice-signal-take-cancel"] = practice.WorkflowID(cancelled)

	// The new-exemption wizard: update-with-start, validated at once,
	// without end date.
	wizard := e.Person("LUCA", "STORICO", apptest.ASLTO3, "")
	wres, err := e.Practices.SubmitAndValidate(ctx, practices.Submission{
		Source: "wizard", Key: "record-" + release, SubmitterKind: practice.SubmitterOperator,
		SubmitterFC: op.FiscalCode, SubmitterRole: op.Role,
		Beneficiary:   practices.BeneficiaryData{FiscalCode: wizard.FiscalCode},
		ExemptionCode: "044", DiagnosisCode: "2960",
	}, workflows.PracticeCommand{Command: practice.Command{Actor: op}, Validate: workflows.ValidateOptions{NoEndDate: true}})
	require.NoError(t, err)
	waitClosed(t, e.App.Temporal, practice.WorkflowID(wres.Number))
	histories["practice-update-with-start"] = practice.WorkflowID(wres.Number)

	// An exemption that continues as new (a small event budget) while a
	// change is made in each run.
	can := e.Person("ANNA", "STORICA", apptest.ASLTO3, "")
	cres := e.Act(e.Submit(can, "044", "2960"), practice.Validate, op)
	end := today.AddDate(2, 0, 0)
	canID := exemption.WorkflowID(cres.Exemption.ID) + "-can"
	run, err := e.App.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: canID, TaskQueue: e.App.Config.TaskQueue},
		workflows.ExemptionWorkflowName, workflows.ExemptionState{
			ID: cres.Exemption.ID, ASL: apptest.ASLTO3, ASLShort: "TO3", BeneficiaryFC: can.FiscalCode,
			ExemptionCode: "044", DiagnosisCode: "2960", IssuedOn: today, EndDate: &end,
			State: exemption.Valida, Version: 1, Seq: 1, RunEventBudget: 2, PublishedVersion: 1,
		})
	require.NoError(t, err)
	for i := 1; i <= 3; i++ {
		d := end.AddDate(0, 0, i)
		_, err := e.App.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: canID, UpdateName: workflows.MsgChangeEndDate, UpdateID: fmt.Sprintf("can-%d", i),
			Args:         []any{workflows.ChangeEndDate{Actor: op, EndDate: &d, RequestID: fmt.Sprintf("can-%d", i)}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		require.NoError(t, err)
	}
	// The first run ended with continue-as-new after the budget; the
	// second starts from its state.
	writeHistory(t, e.App.Temporal, canID, run.GetRunID(), filepath.Join(historiesDir, release+"-exemption-continue-as-new-first-run.json"))
	histories["exemption-continue-as-new-next-run"] = canID

	for name, id := range histories {
		writeHistory(t, e.App.Temporal, id, "", filepath.Join(historiesDir, fmt.Sprintf("%s-%s.json", release, name)))
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
