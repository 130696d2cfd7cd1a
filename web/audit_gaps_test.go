package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/store"
)

// beneficiaryAuditRows lists the audit rows of a beneficiary with action.
func beneficiaryAuditRows(t *testing.T, e *apptest.Env, fc, action string) []store.AuditEntry {
	var rows []store.AuditEntry
	require.NoError(t, e.DB.NewSelect().Model(&rows).Where("beneficiary_fc = ? AND action = ?", fc, action).
		Order("id").Scan(context.Background()))
	return rows
}

// TestAuditGaps: the wizard's steps, the API's GET of a practice and a
// refused practice view are audited with the beneficiary, so the citizen's
// export lists them (issue 12, point 9).
func TestAuditGaps(t *testing.T) {
	w := newExemptionWorld(t)

	t.Run("wizard steps", func(t *testing.T) {
		s := newOpSession(t, w.URL, "operatore.to3")
		status, _, loc := s.post("/esenzioni/nuova", url.Values{"cf": {w.verdi.FiscalCode}})
		require.Equal(t, http.StatusSeeOther, status)
		before := len(beneficiaryAuditRows(t, w.Env, w.verdi.FiscalCode, "ANAGRAFICA"))
		status, page := s.get(loc)
		require.Equal(t, http.StatusOK, status)
		require.Contains(t, page, w.verdi.FiscalCode, "the step shows the fiscal code")
		rows := beneficiaryAuditRows(t, w.Env, w.verdi.FiscalCode, "ANAGRAFICA")
		require.Len(t, rows, before+1)
		last := rows[len(rows)-1]
		require.True(t, strings.HasPrefix(last.Target, "bozza:"), last.Target)
		require.Equal(t, "tipologia", last.Detail["passo"])
		require.Equal(t, "OK", last.Outcome)
	})

	t.Run("GET /api/v1/practices/{n}", func(t *testing.T) {
		token := w.APIClient("medico-audit", []practice.SubmitterKind{practice.SubmitterDoctor}, apptest.FiscalCode("AUDIT", "MEDICO", 'M'))
		api := apiClient{t, w.URL, token}
		status, body, _ := api.do("POST", "/api/v1/practices", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
			"beneficiary": map[string]any{"fiscalCode": w.neri.FiscalCode}, "exemptionCode": "042", "diagnosisCode": "5771"})
		require.Equal(t, http.StatusCreated, status, "%v", body)
		number := body["number"].(string)
		w.WaitPractice(number, func(store.Practice) bool { return true })
		status, _, _ = api.do("GET", "/api/v1/practices/"+number, nil)
		require.Equal(t, http.StatusOK, status)
		rows := beneficiaryAuditRows(t, w.Env, w.neri.FiscalCode, "DETTAGLIO_PRATICA")
		require.NotEmpty(t, rows)
		last := rows[len(rows)-1]
		require.Equal(t, number, last.Target)
		require.Equal(t, "CLIENT_API", last.OperatorRole)
	})

	t.Run("refused practice view", func(t *testing.T) {
		number := w.Submit(w.rossi, "042", "5771") // TO3
		s := newOpSession(t, w.URL, "operatore.cn2")
		status, _ := s.get("/pratiche/" + number)
		require.Equal(t, http.StatusNotFound, status)
		var refused []store.AuditEntry
		for _, r := range beneficiaryAuditRows(t, w.Env, w.rossi.FiscalCode, "DETTAGLIO_PRATICA") {
			if r.Target == number && r.Outcome == "NEGATO" {
				refused = append(refused, r)
			}
		}
		require.Len(t, refused, 1, "the refused view names the beneficiary")
	})
}
