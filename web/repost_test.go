package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
	"esenzioni/internal/apptest"
	"esenzioni/service"
	"esenzioni/store"
	"esenzioni/workflows"
)

// A form sent again with the same key (a browser re-post after its answer
// was lost: the web process died, the connection broke) gets the answer of
// its first sending, even once the page shows its effect: a closed practice,
// a revoked exemption, the new end date already in place. Found by the fault
// suite (`esenzioni faults`, web kills): the re-post was refused (409, 403,
// 422) although the action was applied.
func TestRepostedFormIsAnsweredAsTheFirst(t *testing.T) {
	w := newUIWorld(t)
	ctx := context.Background()
	hc, _ := w.Login("operatore.to3")
	page := func(path string) string {
		resp, err := hc.Get(w.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		return string(b)
	}
	post := func(path string, form url.Values) (int, string) {
		resp, err := hc.PostForm(w.URL+path, form)
		require.NoError(t, err)
		resp.Body.Close()
		kind := ""
		for _, c := range resp.Cookies() {
			if c.Name == "esenzioni_avviso" {
				b, _ := base64.RawURLEncoding.DecodeString(c.Value)
				kind, _, _ = strings.Cut(string(b), "|")
			}
		}
		return resp.StatusCode, kind
	}

	// A validation sent twice, the second time once its workflow has ended.
	form := url.Values{"versione": {"1"}, "chiave": {"valida-1"}}
	status, flash := post("/pratiche/"+w.sent+"/azioni/valida", form)
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "success", flash)
	w.Eventually(30*time.Second, "the practice workflow ends", func() (bool, error) {
		d, err := w.App.Temporal.DescribeWorkflowExecution(ctx, practice.WorkflowID(w.sent), "")
		if err != nil {
			return false, err
		}
		return d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, nil
	})
	status, flash = post("/pratiche/"+w.sent+"/azioni/valida", form)
	require.Equal(t, http.StatusSeeOther, status, "the re-post is answered as the first, not refused")
	require.Equal(t, "success", flash)
	events, err := w.Store().PracticeEvents(ctx, w.sent)
	require.NoError(t, err)
	require.Len(t, events, 3, "validated once: submission, taken, validated")

	id, err := regexpID(page("/pratiche/" + w.sent))
	require.NoError(t, err)
	w.Eventually(30*time.Second, "the exemption workflow runs", func() (bool, error) {
		_, err := w.App.Temporal.DescribeWorkflowExecution(ctx, exemption.WorkflowID(id), "")
		return err == nil, nil
	})
	edit := fmt.Sprintf("/esenzioni/%d/modifica", id)

	// A renewal sent twice: the second finds the new end date in place.
	renew := url.Values{"versione": {"1"}, "chiave": {"rinnovo-1"},
		"data_fine": {time.Now().AddDate(3, 0, 0).Format("02/01/2006")}}
	status, flash = post(edit, renew)
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "success", flash)
	status, flash = post(edit, renew)
	require.Equal(t, http.StatusSeeOther, status, "a renewal re-posted is not 'nothing changed'")
	require.Equal(t, "success", flash)

	// A revocation sent twice: the second finds the exemption annulled.
	revoke := url.Values{"versione": {"2"}, "chiave": {"revoca-1"}, "conferma_revoca": {"1"},
		"data_fine": {exemption.DateOf(time.Now()).Format("02/01/2006")}}
	status, flash = post(edit, revoke)
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "success", flash)
	status, flash = post(edit, revoke)
	require.Equal(t, http.StatusSeeOther, status, "a revocation re-posted is not 'not editable'")
	require.Equal(t, "success", flash)
	ex, err := w.Store().ExemptionByID(ctx, id)
	require.NoError(t, err)
	require.Equal(t, 3, ex.Version, "renewed once, revoked once")

	// A new key on the annulled exemption is refused: it is annulled (409,
	// not the 403 of another ASL's operator).
	revoke.Set("chiave", "revoca-2")
	status, _ = post(edit, revoke)
	require.Equal(t, http.StatusConflict, status)
}

func regexpID(body string) (int64, error) {
	m := regexp.MustCompile(`href="/esenzioni/(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		return 0, fmt.Errorf("no exemption link")
	}
	var id int64
	_, err := fmt.Sscan(m[1], &id)
	return id, err
}

// A change sent while the exemption's workflow has not started yet (its
// practice's workflow starts it after the validation has answered; a worker
// restart delays it) is a service not ready, to try again, not a refusal
// that the exemption cannot be changed. Found by the fault suite (worker
// kills): "L'esenzione non è più modificabile" for a valid exemption.
func TestChangeBeforeTheExemptionWorkflowStarts(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	op := e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	p := e.Person("MARIO", "ROSSI", apptest.ASLTO3, "")
	number := "202601020300009999"
	today := exemption.DateOf(time.Now())
	end := today.AddDate(1, 0, 0)
	ex := store.Exemption{PracticeNumber: &number, BeneficiaryFC: p.FiscalCode, BeneficiaryFirstName: p.FirstName,
		BeneficiaryLastName: p.LastName, ASLCode: apptest.ASLTO3, ExemptionCode: "044", DiagnosisCode: "2960",
		IssuedOn: today, EndDate: &end, State: string(exemption.Valida), Source: store.SourcePractice,
		Version: 1, LastSeq: 1, PublicationState: store.PublicationPending, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	_, err := e.DB.NewInsert().Model(&ex).ExcludeColumn("id").Returning("id").Exec(ctx, &ex.ID)
	require.NoError(t, err)
	later := today.AddDate(2, 0, 0)
	_, err = e.Exemptions.ChangeEndDate(ctx, ex.ID, workflows.ChangeEndDate{
		Actor:   access.Actor{FiscalCode: op.FiscalCode, Role: access.OperatoreASL, ASL: apptest.ASLTO3},
		EndDate: &later, RequestID: "prima-del-flusso"})
	var refusal *refusal.Refusal
	require.NotErrorAs(t, err, &refusal, "not a refusal: the exemption is valid, its workflow not started yet")
	require.ErrorIs(t, err, service.ErrUnavailable)
}

// An API request answered 202 (in progress: its outcome not known in time)
// and sent again with the same Idempotency-Key gets the outcome once it is
// known, not the 202 again: an answer that is not final is not kept for
// replays. Found reading the fault suite's client: a careful client that
// repeats the request learned nothing, forever.
func TestAPIRepeatAfterInProgressGetsTheOutcome(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Practices.ActionTimeout = 1500 * time.Millisecond
	ctx := context.Background()
	doctorFC := apptest.FiscalCode("MEDICO", "CURANTE", 'M')
	token := e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, doctorFC)
	api := apiClient{t, e.URL, token}
	status, body, _ := api.do("POST", "/api/v1/practices", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
		"beneficiary":   map[string]any{"fiscalCode": e.Person("ANNA", "RIPETUTA", apptest.ASLTO3, "").FiscalCode},
		"exemptionCode": "044", "diagnosisCode": "2960"}, "Idempotency-Key", "submit-1")
	require.Equal(t, http.StatusCreated, status, "%v", body)
	number := body["number"].(string)
	e.WaitPractice(number, func(store.Practice) bool { return true })

	e.StopWorker()
	cancel := map[string]any{"beneficiaryNote": "non serve più"}
	status, body, _ = api.do("POST", "/api/v1/practices/"+number+"/cancel", cancel, "Idempotency-Key", "cancel-1")
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	e.StartWorker()
	e.WaitPractice(number, func(p store.Practice) bool { return p.State == string(practice.Annullata) })

	status, body, _ = api.do("POST", "/api/v1/practices/"+number+"/cancel", cancel, "Idempotency-Key", "cancel-1")
	require.Equal(t, http.StatusOK, status, "the outcome, not the stored 202: %v", body)
	require.Equal(t, "ANNULLATA", body["state"])
	events, err := e.Store().PracticeEvents(ctx, number)
	require.NoError(t, err)
	require.Len(t, events, 2, "cancelled once")
	// And the final answer is kept for the next repeat.
	status, _, hdr := api.do("POST", "/api/v1/practices/"+number+"/cancel", cancel, "Idempotency-Key", "cancel-1")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "true", hdr.Get("Idempotent-Replayed"))
}
