package practices_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"esenzioni/adapters/codec"
	"esenzioni/domain/access"
	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
	"esenzioni/internal/apptest"
	"esenzioni/internal/devstack"
	"esenzioni/internal/testenv"
	"esenzioni/service"
	"esenzioni/store"
	"esenzioni/workflows"
)

var (
	operatorTO3 = func(fc string) access.Actor {
		return access.Actor{FiscalCode: fc, Role: access.OperatoreASL, ASL: apptest.ASLTO3}
	}
)

// listByQuery returns the workflow IDs a supervisor's visibility query finds.
func listByQuery(t *testing.T, e *apptest.Env, query string) []string {
	resp, err := e.App.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
	require.NoError(t, err)
	var ids []string
	for _, ex := range resp.GetExecutions() {
		ids = append(ids, ex.GetExecution().GetWorkflowId())
	}
	return ids
}

func TestIntakeTakeValidateEndToEnd(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	person := e.Person("MARIA", "BIANCHI", apptest.ASLTO3, "")
	op := operatorTO3("LBRCRD53H10D205E")

	number := e.Submit(person, "044", "2960")
	p := e.WaitPractice(number, func(store.Practice) bool { return true })
	require.Equal(t, string(practice.Inviata), p.State)
	require.Equal(t, apptest.ASLTO3, p.ASLCode)
	require.Equal(t, "BIANCHI", p.BeneficiaryLastName)
	num, err := practice.ParseNumber(number)
	require.NoError(t, err)
	require.Equal(t, apptest.ASLTO3, num.ASLCode)

	res := e.Act(number, practice.Take, op, func(c *workflows.PracticeCommand) {
		c.ExpectedVersion = 1
		c.BeneficiaryNote, c.InternalNote = "Presa in carico", "Verificare certificato"
	})
	require.Equal(t, practice.InLavorazione, res.State)
	// Read-your-writes: the read model shows the action when it returns.
	p, err = e.Store().PracticeByNumber(ctx, number)
	require.NoError(t, err)
	require.Equal(t, string(practice.InLavorazione), p.State)
	require.Equal(t, 2, p.Version)

	res = e.Act(number, practice.Validate, op, func(c *workflows.PracticeCommand) { c.ExpectedVersion = 2 })
	require.Equal(t, practice.Validata, res.State)
	require.NotNil(t, res.Exemption)
	p, err = e.Store().PracticeByNumber(ctx, number)
	require.NoError(t, err)
	require.Equal(t, string(practice.Validata), p.State)
	require.NotNil(t, p.ValidUntil)
	// 044 lasts 3 years in the demo catalogue.
	today := exemption.DateOf(time.Now())
	require.Equal(t, today.AddDate(3, 0, -1), *p.ValidUntil)

	events, err := e.Store().PracticeEvents(ctx, number)
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.Equal(t, "Verificare certificato", events[1].InternalNote)
	require.Equal(t, op.FiscalCode, events[0].ActorFC)
	require.Equal(t, string(access.OperatoreASL), events[0].ActorRole)

	// The exemption reaches the registry.
	e.Eventually(20*time.Second, "publication to the registry", func() (bool, error) {
		ex, err := e.Store().ExemptionByID(ctx, res.Exemption.ID)
		return err == nil && ex.PublicationState == store.PublicationDone, err
	})
	var regVersion int
	require.NoError(t, e.DB.NewRaw("SELECT version FROM registry_exemption WHERE exemption_id = ?", res.Exemption.ID).Scan(ctx, &regVersion))
	require.Equal(t, 1, regVersion)

	// Supervisors find both workflows by search attribute.
	e.Eventually(20*time.Second, "visibility of the validated practice", func() (bool, error) {
		ids := listByQuery(t, e, fmt.Sprintf("PracticeNumber = '%s' AND PracticeState = 'VALIDATA' AND AslCode = 'TO3'", number))
		return len(ids) == 1 && ids[0] == practice.WorkflowID(number), nil
	})
	e.Eventually(20*time.Second, "visibility of the exemption", func() (bool, error) {
		ids := listByQuery(t, e, fmt.Sprintf("RecordKind = 'esenzione' AND ExemptionState = 'VALIDA' AND PracticeNumber = '%s' AND ExemptionCode = '044'", number))
		return len(ids) == 1 && ids[0] == exemption.WorkflowID(res.Exemption.ID), nil
	})
}

func TestRejectAndCancel(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	person := e.Person("ANNA", "VERDI", apptest.ASLTO3, "")
	op := operatorTO3("LBRCRD53H10D205E")

	rejected := e.Submit(person, "042", "5771")
	_, err := e.Practices.Act(ctx, rejected, workflows.PracticeCommand{Command: practice.Command{
		Action: practice.Reject, Actor: op, RequestID: "r-1", ReasonCode: "INESISTENTE"}})
	var refusal *refusal.Refusal
	require.ErrorAs(t, err, &refusal)
	require.Equal(t, practice.CodeReasonUnknown, refusal.Code)

	e.Act(rejected, practice.Reject, op, func(c *workflows.PracticeCommand) {
		c.ReasonCode = "REQUISITI_NON_SUFFICIENTI"
		c.BeneficiaryNote = "Allegare certificazione aggiornata"
	})
	p, err := e.Store().PracticeByNumber(ctx, rejected)
	require.NoError(t, err)
	require.Equal(t, string(practice.Respinta), p.State)
	require.Equal(t, "REQUISITI_NON_SUFFICIENTI", *p.RejectReasonCode)
	require.NotNil(t, p.ClosedAt)

	// A closed practice refuses further actions with a clear message.
	_, err = e.Practices.Act(ctx, rejected, workflows.PracticeCommand{Command: practice.Command{
		Action: practice.Validate, Actor: op, RequestID: "v-after"}})
	require.ErrorAs(t, err, &refusal)
	require.Equal(t, practice.CodeWrongState, refusal.Code)

	cancelled := e.Submit(person, "044", "2960")
	e.Act(cancelled, practice.Cancel, op)
	e.WaitPractice(cancelled, func(p store.Practice) bool { return p.State == string(practice.Annullata) })
}

func TestRegistryOutageAndRecovery(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	person := e.Person("GIULIA", "NERI", apptest.ASLTO3, "")
	number := e.Submit(person, "042", "5771")
	require.NoError(t, e.Registry().SetAvailable(ctx, false))

	res := e.Act(number, practice.Validate, operatorTO3("LBRCRD53H10D205E"))
	require.Equal(t, practice.Validata, res.State, "validation does not wait for the registry")
	ex, err := e.Store().ExemptionByID(ctx, res.Exemption.ID)
	require.NoError(t, err)
	require.Equal(t, store.PublicationPending, ex.PublicationState, "publication pending, and visible")
	// The pending publication is visible to supervisors: the search
	// attribute, the pending activity with its last error, the details.
	wf := exemption.WorkflowID(ex.ID)
	e.Eventually(30*time.Second, "RegistryPending = true and a failed attempt", func() (bool, error) {
		d, err := e.App.Temporal.DescribeWorkflowExecution(ctx, wf, "")
		if err != nil || len(d.GetPendingActivities()) == 0 {
			return false, err
		}
		pa := d.GetPendingActivities()[0]
		return pa.GetActivityType().GetName() == "PublishVersion" && pa.GetAttempt() >= 2 && pa.GetLastFailure() != nil, nil
	})
	e.Eventually(30*time.Second, "listed by RegistryPending = true", func() (bool, error) {
		return slices.Contains(listByQuery(t, e, "RegistryPending = true"), wf), nil
	})
	meta := temporalCLI(t, e, "workflow", "metadata", "--workflow-id", wf)
	require.Contains(t, meta, "pubblicazione in attesa")
	// Retries of a regular activity add no history events: the history
	// does not grow while the registry stays down.
	before := historyLength(t, e, wf)
	time.Sleep(4 * time.Second) // more failed attempts
	require.Equal(t, before, historyLength(t, e, wf), "the outage grows no history")
	var rows int
	require.NoError(t, e.DB.NewRaw("SELECT count(*) FROM registry_exemption WHERE exemption_id = ?", ex.ID).Scan(ctx, &rows))
	require.Zero(t, rows)

	require.NoError(t, e.Registry().SetAvailable(ctx, true))
	e.Eventually(90*time.Second, "publication after the registry returns", func() (bool, error) {
		ex, err := e.Store().ExemptionByID(ctx, res.Exemption.ID)
		return err == nil && ex.PublicationState == store.PublicationDone, err
	})
	require.NoError(t, e.DB.NewRaw("SELECT count(*) FROM registry_exemption WHERE exemption_id = ?", ex.ID).Scan(ctx, &rows))
	require.Equal(t, 1, rows, "published once")
	e.Eventually(30*time.Second, "RegistryPending = false", func() (bool, error) {
		return slices.Contains(listByQuery(t, e, "RegistryPending = false"), wf), nil
	})
}

// historyLength counts the events of a workflow's current run.
func historyLength(t *testing.T, e *apptest.Env, id string) int {
	t.Helper()
	it := e.App.Temporal.GetWorkflowHistory(context.Background(), id, "", false, 0)
	n := 0
	for it.HasNext() {
		_, err := it.Next()
		require.NoError(t, err)
		n++
	}
	return n
}

func TestConcurrentConflictingActionsHaveOneWinner(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	const pairs = 50
	numbers := make([]string, pairs)
	for i := range numbers {
		person := e.Person("PERSONA", fmt.Sprintf("CONCORRENTE%c%c", 'A'+i/26, 'A'+i%26), apptest.ASLTO3, "")
		numbers[i] = e.Submit(person, "044", "2960")
	}
	a := operatorTO3(apptest.FiscalCode("PRIMO", "OPERATORE", 'M'))
	b := operatorTO3(apptest.FiscalCode("SECONDO", "OPERATORE", 'M'))
	type outcome struct {
		err error
		res workflows.ActionResult
	}
	results := make([][2]outcome, pairs)
	var wg sync.WaitGroup
	for i, n := range numbers {
		for j, actor := range []access.Actor{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				action := practice.Take
				if j == 1 {
					action = practice.Validate
				}
				res, err := e.Practices.Act(ctx, n, workflows.PracticeCommand{Command: practice.Command{
					Action: action, Actor: actor, ExpectedVersion: 1, RequestID: fmt.Sprintf("%s-%d", n, j)}})
				results[i][j] = outcome{err, res}
			}()
		}
	}
	wg.Wait()
	for i, r := range results {
		winners := 0
		for _, o := range r {
			if o.err == nil {
				winners++
				continue
			}
			var refusal *refusal.Refusal
			require.ErrorAs(t, o.err, &refusal, "practice %s", numbers[i])
			require.Contains(t, []string{practice.CodeStaleVersion, practice.CodeWrongState}, refusal.Code)
			require.Contains(t, refusal.Message, "modificata da un altro operatore")
		}
		require.Equal(t, 1, winners, "practice %s: exactly one of two concurrent actions wins", numbers[i])
		p, err := e.Store().PracticeByNumber(ctx, numbers[i])
		require.NoError(t, err)
		require.Equal(t, 2, p.Version, "one action applied")
	}
}

func TestSameIdempotencyKeyPerformsOnce(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	number := e.Submit(e.Person("LUCIA", "GALLO", apptest.ASLTO3, ""), "044", "2960")
	cmd := workflows.PracticeCommand{Command: practice.Command{Action: practice.Take,
		Actor: operatorTO3("LBRCRD53H10D205E"), ExpectedVersion: 1, RequestID: "stessa-chiave", InternalNote: "una volta"}}
	var wg sync.WaitGroup
	results := make([]workflows.ActionResult, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.Practices.Act(ctx, number, cmd)
		}()
	}
	wg.Wait()
	for i := range results {
		require.NoError(t, errs[i])
		require.Equal(t, results[0], results[i])
	}
	// And once more, later.
	again, err := e.Practices.Act(ctx, number, cmd)
	require.NoError(t, err)
	require.Equal(t, results[0], again)
	events, err := e.Store().PracticeEvents(ctx, number)
	require.NoError(t, err)
	require.Len(t, events, 2)
}

// temporalCLI runs the real Temporal CLI against the test server.
func temporalCLI(t *testing.T, e *apptest.Env, args ...string) string {
	t.Helper()
	bin, err := devstack.Tool("", "temporal")
	if err != nil {
		testenv.Missing(t, err.Error())
	}
	env := testenv.Load(t)
	args = append(args, "--address", env.TemporalAddress, "--namespace", e.Namespace)
	out, err := exec.Command(bin, args...).CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}

func TestSignalsFromTheTemporalCLI(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	e.Operator("supervisore", apptest.Profile(access.Amministratore, "", "CSI PIEMONTE"))
	e.Operator("operatore.cn2", apptest.Profile(access.OperatoreASL, apptest.ASLCN2, "DISTRETTO BRA"))
	number := e.Submit(e.Person("TERESA", "COSTA", apptest.ASLTO3, ""), "044", "2960")
	wf := practice.WorkflowID(number)
	codecFlags := func(token string) []string {
		return []string{"--codec-endpoint", e.URL + "/codec", "--codec-auth", "Bearer " + token}
	}

	// In clear, without the codec endpoint: refused, whatever actor the
	// JSON names, and the refusal shows in the current details.
	plain, _ := json.Marshal(map[string]any{"actor": access.Actor{FiscalCode: "AAAAAA00A11D000L", Role: access.Amministratore}, "requestId": "cli-0"})
	temporalCLI(t, e, "workflow", "signal", "--workflow-id", wf, "--name", workflows.MsgTake, "--input", string(plain))
	e.Eventually(20*time.Second, "the unencrypted signal refused", func() (bool, error) {
		st, err := e.Practices.Query(ctx, number)
		return err == nil && len(st.Refused) == 1 && st.Refused[0].Code == workflows.CodeUnencrypted, err
	})
	require.Contains(t, temporalCLI(t, e, "workflow", "metadata", "--workflow-id", wf), workflows.CodeUnencrypted,
		"the refusal is in the current details, readable without the codec")

	// Through the codec endpoint the caller is stamped: an operator of
	// another ASL is refused (not a supervisor: the endpoint itself says no).
	_, cn2 := e.Login("operatore.cn2")
	cmd := exec.Command(cliPath(t), append([]string{"workflow", "signal", "--workflow-id", wf, "--name", workflows.MsgTake,
		"--input", `{"requestId":"cli-1"}`, "--address", testenv.Load(t).TemporalAddress, "--namespace", e.Namespace}, codecFlags(cn2)...)...)
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the codec endpoint refuses a non-supervisor: %s", out)

	// A supervisor's signal acts as the supervisor, whatever the JSON says,
	// and writes its audit row (channel temporal) with the projection.
	_, token := e.Login("supervisore")
	good, _ := json.Marshal(map[string]any{"actor": access.Actor{FiscalCode: "VNTRLA92B26C688M", Role: access.OperatoreASL, ASL: apptest.ASLCN2},
		"requestId": "cli-2", "internalNote": "dal supervisore"})
	temporalCLI(t, e, append([]string{"workflow", "signal", "--workflow-id", wf, "--name", workflows.MsgTake, "--input", string(good)}, codecFlags(token)...)...)
	p := e.WaitPractice(number, func(p store.Practice) bool { return p.State == string(practice.InLavorazione) })
	require.Equal(t, 2, p.Version)
	events, err := e.Store().PracticeEvents(ctx, number)
	require.NoError(t, err)
	require.Equal(t, "dal supervisore", events[0].InternalNote)
	require.Equal(t, string(access.Amministratore), events[0].ActorRole, "the caller stamped by the codec acts")
	var rows []store.AuditEntry
	require.NoError(t, e.DB.NewSelect().Model(&rows).Where("source_key = ?", practice.AuditKey(number, 2)).Scan(ctx))
	require.Len(t, rows, 1, "the signal's audit row")
	require.Equal(t, "AZIONE_PRATICA", rows[0].Action)
	require.Equal(t, "temporal", rows[0].Address)

	// The supervisor finds it by search attribute from the CLI too.
	e.Eventually(20*time.Second, "CLI list by search attribute", func() (bool, error) {
		out := temporalCLI(t, e, "workflow", "list", "--query", "PracticeState = 'IN_LAVORAZIONE' AND AslCode = 'TO3'")
		return strings.Contains(out, wf), nil
	})
}

func cliPath(t *testing.T) string {
	bin, err := devstack.Tool("", "temporal")
	if err != nil {
		testenv.Missing(t, err.Error())
	}
	return bin
}

func TestPersonalDataIsEncryptedInTemporal(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	person := e.Person("ROSA", "RICCI", apptest.ASLTO3, "")
	number := e.Submit(person, "044", "2960")
	e.Act(number, practice.Take, operatorTO3("LBRCRD53H10D205E"), func(c *workflows.PracticeCommand) { c.InternalNote = "nota riservata" })

	iter := e.App.Temporal.GetWorkflowHistory(ctx, practice.WorkflowID(number), "", false, 0)
	payloads, encrypted := 0, 0
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		raw, err := json.Marshal(ev)
		require.NoError(t, err)
		for _, secret := range []string{person.FiscalCode, "RICCI", "nota riservata"} {
			require.NotContains(t, string(raw), secret, "personal data in clear in event %s", ev.GetEventType())
		}
		payloads += strings.Count(string(raw), `"metadata"`)
		encrypted += strings.Count(string(raw), "YmluYXJ5L2VuY3J5cHRlZA==") // base64 of binary/encrypted
	}
	require.Positive(t, encrypted, "payloads are encrypted")

	// The workflow ID, summary and search attributes carry only the number
	// and codes.
	desc, err := e.App.Temporal.DescribeWorkflow(ctx, practice.WorkflowID(number), "")
	require.NoError(t, err)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	require.Contains(t, summary, number)
	require.NotContains(t, summary, "RICCI")

	// Without the key the answers are unreadable; with it, they decode.
	other, err := codec.New("other", []byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	c2, err := client.Dial(client.Options{HostPort: testenv.Load(t).TemporalAddress, Namespace: e.Namespace, DataConverter: other.DataConverter()})
	require.NoError(t, err)
	defer c2.Close()
	v, err := c2.QueryWorkflow(ctx, practice.WorkflowID(number), "", workflows.QueryState)
	require.NoError(t, err)
	var st workflows.PracticeState
	require.Error(t, v.Get(&st), "the worker's answer cannot be read without the key")
	v, err = e.App.Temporal.QueryWorkflow(ctx, practice.WorkflowID(number), "", workflows.QueryState)
	require.NoError(t, err)
	require.NoError(t, v.Get(&st))
	require.Equal(t, person.FiscalCode, st.Input.Beneficiary.FiscalCode, "and read with it")
}

func TestReindexRebuildsTheReadModel(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	person := e.Person("MARTA", "GRECO", apptest.ASLTO3, "")
	a := e.Submit(person, "044", "2960")
	b := e.Submit(person, "042", "5771")
	c := e.Submit(person, "067", "7109")
	e.Act(a, practice.Take, operatorTO3("LBRCRD53H10D205E"), func(c *workflows.PracticeCommand) { c.BeneficiaryNote = "ok" })
	e.Act(b, practice.Cancel, operatorTO3("LBRCRD53H10D205E"))
	before, err := e.Store().PracticeEvents(ctx, a)
	require.NoError(t, err)
	// Let the workflows' own projections land first (the web applied the
	// records already; the activities follow and would rewrite the rows
	// this test removes).
	for _, n := range []string{a, b, c} {
		e.Eventually(20*time.Second, "the projection of "+n, func() (bool, error) {
			st, err := e.Practices.Query(ctx, n)
			return err == nil && st.ProjectedSeq >= len(st.Events), err
		})
	}

	// Behind: a and b lost. Ahead: c shows an action no history holds (a
	// take with its audit row, written before its workflow recorded it),
	// and a's first event has the wrong time.
	_, err = e.DB.NewDelete().TableExpr("practice").Where("number IN (?)", bun.In([]string{a, b})).Exec(ctx)
	require.NoError(t, err)
	_, err = e.DB.NewUpdate().TableExpr("practice_event").Set("at = at - interval '1 hour'").Where("practice_number = ? AND seq = 1", a).Exec(ctx)
	require.NoError(t, err)
	_, err = e.DB.NewUpdate().TableExpr("practice").Set("state = 'IN_LAVORAZIONE', version = 2, last_seq = 2").Where("number = ?", c).Exec(ctx)
	require.NoError(t, err)
	_, err = e.DB.NewRaw(`INSERT INTO practice_event (practice_number, seq, at, action, actor_fc, actor_role, actor_asl, state, beneficiary_note, internal_note, reason_code)
		VALUES (?, 2, now(), 'PRESA_IN_CARICO', 'LBRCRD53H10D205E', 'OPERATORE_ASL', ?, 'IN_LAVORAZIONE', '', '', '')`, c, apptest.ASLTO3).Exec(ctx)
	require.NoError(t, err)
	ghost := practice.AuditKey(c, 2)
	require.NoError(t, e.Store().Audit(ctx, audit.Record{OperatorFC: "LBRCRD53H10D205E", Action: audit.PracticeAction, Target: c,
		BeneficiaryFC: person.FiscalCode, Outcome: audit.OutcomeOK, Detail: map[string]any{}, Key: ghost}))

	e.Eventually(30*time.Second, "the practices visible to reindex", func() (bool, error) {
		return len(listByQuery(t, e, "RecordKind = 'pratica'")) == 3, nil
	})
	r := &service.Reconciler{Store: e.Store(), Temporal: e.App.Temporal}
	rep, err := r.Run(ctx, service.Scope{})
	require.NoError(t, err)
	require.Equal(t, 3, rep.Practices)
	require.ElementsMatch(t, []string{a, b, c}, rep.PracticesChanged)

	after, err := e.Store().PracticeEvents(ctx, a)
	require.NoError(t, err)
	require.Equal(t, len(before), len(after))
	require.Equal(t, before[0].BeneficiaryNote, after[0].BeneficiaryNote)
	require.True(t, before[0].At.Equal(after[0].At), "event times are the workflow's")
	pb, err := e.Store().PracticeByNumber(ctx, b)
	require.NoError(t, err)
	require.Equal(t, string(practice.Annullata), pb.State, "a closed practice is rebuilt from its completed workflow")
	pc, err := e.Store().PracticeByNumber(ctx, c)
	require.NoError(t, err)
	require.Equal(t, string(practice.Inviata), pc.State, "a read model ahead of its workflow is set back")
	require.Equal(t, 1, pc.LastSeq)
	evc, err := e.Store().PracticeEvents(ctx, c)
	require.NoError(t, err)
	require.Len(t, evc, 1)
	var rectified int
	require.NoError(t, e.DB.NewSelect().TableExpr("audit_log").ColumnExpr("count(*)").
		Where("action = 'RETTIFICA' AND source_key = ?", "rettifica:"+ghost).Scan(ctx, &rectified))
	require.Equal(t, 1, rectified, "the ghost action's audit row is rectified (the log is append-only)")

	// A second run finds nothing to change.
	rep, err = r.Run(ctx, service.Scope{})
	require.NoError(t, err)
	require.Empty(t, rep.PracticesChanged)
}

func TestDuplicateValidExemptionIsRefused(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	person := e.Person("ELISA", "MARINO", apptest.ASLTO3, "")
	// A second practice for the same code can only be sent once the first
	// is closed (an open one refuses it at intake): here, validated.
	first := e.Submit(person, "044", "2960")
	op := operatorTO3("LBRCRD53H10D205E")
	e.Act(first, practice.Validate, op)
	second := e.Submit(person, "044", "2960")
	_, err := e.Practices.Act(ctx, second, workflows.PracticeCommand{Command: practice.Command{
		Action: practice.Validate, Actor: op, RequestID: "dup"}})
	var refusal *refusal.Refusal
	require.True(t, errors.As(err, &refusal), "%v", err)
	require.Contains(t, refusal.Message, "già un'esenzione valida")
	p, err := e.Store().PracticeByNumber(ctx, second)
	require.NoError(t, err)
	require.Equal(t, string(practice.Inviata), p.State, "nothing changed")
}

// Read-your-writes holds through a short PostgreSQL outage: the caller
// applies the answer's record again until the database answers (within its
// budget), so the operator's next page shows the action. Before, the first
// failure answered service.ErrRecorded at once, the page stayed behind until
// the workflow's projection retried, and the next form, built on the old
// version, was refused as changed "by another operator". Found by the fault
// suite (PostgreSQL killed mid-action).
func TestActionAppliedThroughAShortDatabaseOutage(t *testing.T) {
	e := apptest.New(t, apptest.Options{DBProxy: true})
	ctx := context.Background()
	number := e.Submit(e.Person("LUCIA", "BREVE", apptest.ASLTO3, ""), "044", "2960")
	e.WaitPractice(number, func(store.Practice) bool { return true })
	e.DBProxy.SetDown(true)
	back := time.AfterFunc(1500*time.Millisecond, func() { e.DBProxy.SetDown(false) })
	defer back.Stop()
	_, err := e.Practices.Act(ctx, number, workflows.PracticeCommand{Command: practice.Command{Action: practice.Take,
		Actor: operatorTO3("LBRCRD53H10D205E"), ExpectedVersion: 1, RequestID: "durante-il-guasto"}})
	require.NoError(t, err, "applied once the database is back, within the action's budget")
	p, err := e.Store().PracticeByNumber(ctx, number)
	require.NoError(t, err)
	require.Equal(t, string(practice.InLavorazione), p.State, "the caller reads its own write")
	require.Equal(t, 2, p.Version)
}
