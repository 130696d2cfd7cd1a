package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/service/practices"
	"esenzioni/store"
)

// session is an operator logged in over plain HTTP.
type session struct {
	t    *testing.T
	base string
	c    *http.Client
}

func login(t *testing.T, e *apptest.Env, username string) *session {
	c, _ := e.Login(username)
	s := &session{t: t, base: e.URL, c: c}
	status, _ := s.get("/")
	require.Equal(t, http.StatusOK, status)
	return s
}

func (s *session) get(path string) (int, string) {
	resp, err := s.c.Get(s.base + path)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *session) post(ctx context.Context, path string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.c.Do(req)
}

func auditRows(t *testing.T, e *apptest.Env, target, outcome string) int {
	var n int
	require.NoError(t, e.DB.NewSelect().TableExpr("audit_log").ColumnExpr("count(*)").
		Where("target = ? AND action = 'AZIONE_PRATICA' AND outcome = ?", target, outcome).Scan(context.Background(), &n))
	return n
}

// TestDatabaseOutageAnswers503AndKeepsTheSession: while PostgreSQL is down a
// logged-in operator gets an Italian 503 page, not the login page; the API
// answers 503 with a stable code; when it returns, the same session works.
func TestDatabaseOutageAnswers503AndKeepsTheSession(t *testing.T) {
	e := apptest.New(t, apptest.Options{DBProxy: true})
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	token := e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, "")
	s := login(t, e, "operatore.to3")

	e.DBProxy.SetDown(true)
	status, body := s.get("/pratiche/da-fare")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, body, "Servizio temporaneamente non disponibile")
	require.NotContains(t, body, `id="username"`, "not the login page")
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/api/v1/practices/202601020300000001", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var apiErr struct {
		Error struct{ Code string } `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&apiErr))
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "service.unavailable", apiErr.Error.Code)

	e.DBProxy.SetDown(false)
	e.Eventually(20*time.Second, "the list again, with the same session", func() (bool, error) {
		status, body := s.get("/pratiche/da-fare")
		return status == http.StatusOK && strings.Contains(body, "Pratiche da fare"), nil
	})
}

// TestActionOutlivingItsTimeoutIsInProgress: an action whose answer does not
// come in time (no worker yet) is "in corso", never a refusal: no RIFIUTATA
// audit row, and once a worker runs it is applied, with its own audit row.
// The API says 202 with a stable code. A browser that disconnects mid-action
// does not cancel it.
func TestActionOutlivingItsTimeoutIsInProgress(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Practices.ActionTimeout = 1500 * time.Millisecond
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	ctx := context.Background()
	doctorFC := apptest.FiscalCode("MEDICO", "CURANTE", 'M')
	token := e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, doctorFC)
	submit := func(last string) string {
		p := e.Person("ANNA", last, apptest.ASLTO3, "")
		res, err := e.Practices.Submit(ctx, practices.Submission{Source: "test", Key: p.FiscalCode,
			SubmitterKind: practice.SubmitterDoctor, SubmitterFC: doctorFC, SubmitterRole: access.MedicoSpecialista,
			Beneficiary: practices.BeneficiaryData{FiscalCode: p.FiscalCode}, ExemptionCode: "044", DiagnosisCode: "2960"})
		require.NoError(t, err)
		e.WaitPractice(res.Number, func(store.Practice) bool { return true })
		return res.Number
	}
	slow, gone := submit("LENTA"), submit("ANDATA")
	api := apiClient{t, e.URL, token}
	status, body, _ := api.do("POST", "/api/v1/practices", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
		"beneficiary":   map[string]any{"fiscalCode": e.Person("ANNA", "PERAPI", apptest.ASLTO3, "").FiscalCode},
		"exemptionCode": "044", "diagnosisCode": "2960"}, "Idempotency-Key", "submit-1")
	require.Equal(t, http.StatusCreated, status, "%v", body)
	viaAPI := body["number"].(string)
	e.WaitPractice(viaAPI, func(store.Practice) bool { return true })
	s := login(t, e, "operatore.to3")
	e.StopWorker() // the actions below wait for a worker

	// The UI: a warning, back to the practice; no refusal recorded.
	resp, err := s.post(ctx, "/pratiche/"+slow+"/azioni/prendi", url.Values{"versione": {"1"}, "chiave": {"k-slow"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/pratiche/"+slow, resp.Header.Get("Location"))

	// A browser that gives up after 200 ms.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = s.post(short, "/pratiche/"+gone+"/azioni/prendi", url.Values{"versione": {"1"}, "chiave": {"k-gone"}})
	cancel()
	require.Error(t, err, "the client went away")

	// The API: 202 with a stable code.
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/practices/"+viaAPI+"/cancel", strings.NewReader(`{"beneficiaryNote":"non serve più"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "cancel-1")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var apiErr struct {
		Error struct{ Code string } `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&apiErr))
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.Equal(t, "operation.in_progress", apiErr.Error.Code)

	// The worker arrives: every action is applied, once, with its audit
	// row; none was recorded as refused.
	e.StartWorker()
	for _, n := range []string{slow, gone} {
		p := e.WaitPractice(n, func(p store.Practice) bool { return p.State == string(practice.InLavorazione) })
		require.Equal(t, 2, p.Version)
		e.Eventually(20*time.Second, "the action's audit row", func() (bool, error) { return auditRows(t, e, n, "OK") == 1, nil })
		require.Zero(t, auditRows(t, e, n, "RIFIUTATA"), "an action in progress is not a refusal")
	}
	e.WaitPractice(viaAPI, func(p store.Practice) bool { return p.State == string(practice.Annullata) })
}
