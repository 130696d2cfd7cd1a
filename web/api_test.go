package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/store"
	"esenzioni/workflows"
)

type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) do(method, path string, body any, headers ...string) (int, map[string]any, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(c.t, json.Unmarshal(raw, &out), string(raw))
	}
	return resp.StatusCode, out, resp.Header
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func fieldCodes(body map[string]any) map[string]string {
	out := map[string]string{}
	e, _ := body["error"].(map[string]any)
	fields, _ := e["fields"].([]any)
	for _, f := range fields {
		m := f.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

func TestIntakeAPI(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	person := e.Person("CARLA", "FERRARI", apptest.ASLTO3, "carla@example.com")
	doctorFC := apptest.FiscalCode("VERDI", "GIOVANNI", 'M')
	doctor := apiClient{t, e.URL, e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, doctorFC)}
	portal := apiClient{t, e.URL, e.APIClient("portale", []practice.SubmitterKind{practice.SubmitterCitizen, practice.SubmitterDelegate}, "")}
	op := access.Actor{FiscalCode: apptest.FiscalCode("OPERATORE", "PRIMO", 'M'), Role: access.OperatoreASL, ASL: apptest.ASLTO3}

	t.Run("authentication", func(t *testing.T) {
		status, body, _ := apiClient{t, e.URL, ""}.do("GET", "/api/v1/practices/202601020300000001", nil)
		require.Equal(t, http.StatusUnauthorized, status)
		require.Equal(t, "auth.missing_token", errCode(body))
		status, body, _ = apiClient{t, e.URL, "sbagliato"}.do("GET", "/api/v1/practices/202601020300000001", nil)
		require.Equal(t, http.StatusUnauthorized, status)
		require.Equal(t, "auth.invalid_token", errCode(body))
	})

	t.Run("validation errors name field, code and reason", func(t *testing.T) {
		cases := []struct {
			name  string
			body  map[string]any
			field string
			code  string
		}{
			{"bad fiscal code", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
				"beneficiary": map[string]any{"fiscalCode": "RSSMRA80A01H501X"}, "exemptionCode": "044", "diagnosisCode": "2960"},
				"beneficiary.fiscalCode", "fiscal_code.check_char"},
			{"unknown code", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
				"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "068", "diagnosisCode": "2960"},
				"exemptionCode", "exemption_code.unknown_code"},
			{"diagnosis of another code", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
				"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "044", "diagnosisCode": "5771"},
				"diagnosisCode", "diagnosis.not_in_code"},
			{"unknown person without data", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
				"beneficiary": map[string]any{"fiscalCode": apptest.FiscalCode("NUOVO", "ASSISTITO", 'M')}, "exemptionCode": "044", "diagnosisCode": "2960"},
				"beneficiary", "beneficiary.unknown"},
		}
		for _, tc := range cases {
			status, body, _ := doctor.do("POST", "/api/v1/practices", tc.body)
			require.Equal(t, http.StatusUnprocessableEntity, status, tc.name)
			require.Equal(t, "validation_failed", errCode(body), tc.name)
			require.Equal(t, tc.code, fieldCodes(body)[tc.field], "%s: %v", tc.name, body)
			msg := body["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)["message"].(string)
			require.NotEmpty(t, msg)
		}
		status, body, _ := doctor.do("POST", "/api/v1/practices", map[string]any{"unexpected": true})
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, "request.unknown_field", errCode(body))
	})

	t.Run("a doctor client speaks only for its doctor", func(t *testing.T) {
		status, body, _ := doctor.do("POST", "/api/v1/practices", map[string]any{
			"submitter":   map[string]any{"kind": "MEDICO", "fiscalCode": apptest.FiscalCode("ALTRO", "MEDICO", 'M')},
			"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "044", "diagnosisCode": "2960"})
		require.Equal(t, http.StatusForbidden, status)
		require.Equal(t, "submitter.forbidden", errCode(body))
		status, _, _ = portal.do("POST", "/api/v1/practices", map[string]any{
			"submitter":   map[string]any{"kind": "MEDICO", "fiscalCode": doctorFC},
			"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "044", "diagnosisCode": "2960"})
		require.Equal(t, http.StatusForbidden, status, "the portal may not submit as a doctor")
	})

	var doctorPractice string
	t.Run("submit with an idempotency key, twice", func(t *testing.T) {
		req := map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
			"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "044", "diagnosisCode": "296.0"}
		status, body, h := doctor.do("POST", "/api/v1/practices", req, "Idempotency-Key", "chiave-1")
		require.Equal(t, http.StatusCreated, status, "%v", body)
		doctorPractice = body["number"].(string)
		require.Equal(t, "/api/v1/practices/"+doctorPractice, h.Get("Location"))
		status, again, h := doctor.do("POST", "/api/v1/practices", req, "Idempotency-Key", "chiave-1")
		require.Equal(t, http.StatusOK, status, "a replay answers 200, as the OpenAPI document says")
		require.Equal(t, "true", h.Get("Idempotent-Replayed"))
		require.Equal(t, body, again)
		req["diagnosisCode"] = "2967"
		status, body, _ = doctor.do("POST", "/api/v1/practices", req, "Idempotency-Key", "chiave-1")
		require.Equal(t, http.StatusUnprocessableEntity, status)
		require.Equal(t, "idempotency_key.reused", errCode(body))
	})

	// Notes as each submitter sees them.
	e.WaitPractice(doctorPractice, func(store.Practice) bool { return true })
	e.Act(doctorPractice, practice.Take, op, func(c *workflows.PracticeCommand) {
		c.BeneficiaryNote, c.InternalNote = "Per il cittadino", "Solo per il medico"
	})
	t.Run("a second open practice of the person for the code is refused", func(t *testing.T) {
		req := map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
			"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "044", "diagnosisCode": "2960"}
		status, body, _ := doctor.do("POST", "/api/v1/practices", req, "Idempotency-Key", "chiave-2")
		require.Equal(t, http.StatusConflict, status, "%v", body)
		require.Equal(t, "practice.open_exists", errCode(body))
		msg := body["error"].(map[string]any)["message"].(string)
		require.Contains(t, msg, "Esiste già una pratica aperta (n. "+doctorPractice+")")
		// The first request sent again is not a second practice.
		req["diagnosisCode"] = "296.0"
		status, body, _ = doctor.do("POST", "/api/v1/practices", req, "Idempotency-Key", "chiave-1")
		require.Equal(t, http.StatusOK, status, "%v", body) // the stored answer, replayed
		require.Equal(t, doctorPractice, body["number"])
		// Another code is another practice.
		status, body, _ = doctor.do("POST", "/api/v1/practices", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
			"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "067", "diagnosisCode": "7109"}, "Idempotency-Key", "chiave-3")
		require.Equal(t, http.StatusCreated, status, "%v", body)
	})

	status, body, _ := portal.do("POST", "/api/v1/practices", map[string]any{
		"submitter":   map[string]any{"kind": "CITTADINO", "fiscalCode": person.FiscalCode},
		"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "042", "diagnosisCode": "5771"},
		"Idempotency-Key", "portale-1")
	require.Equal(t, http.StatusCreated, status, "%v", body)
	citizenPractice := body["number"].(string)
	e.WaitPractice(citizenPractice, func(store.Practice) bool { return true })
	e.Act(citizenPractice, practice.Take, op, func(c *workflows.PracticeCommand) {
		c.BeneficiaryNote, c.InternalNote = "Documenti ricevuti", "Controllo interno in corso"
	})

	t.Run("a doctor sees both notes", func(t *testing.T) {
		status, body, _ := doctor.do("GET", "/api/v1/practices/"+doctorPractice, nil)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, "IN_LAVORAZIONE", body["state"])
		h := body["history"].([]any)
		require.Len(t, h, 2)
		last := h[1].(map[string]any)
		require.Equal(t, "Per il cittadino", last["beneficiaryNote"])
		require.Equal(t, "Solo per il medico", last["internalNote"])
	})

	t.Run("a citizen never sees the internal note", func(t *testing.T) {
		status, body, _ := portal.do("GET", "/api/v1/practices/"+citizenPractice, nil)
		require.Equal(t, http.StatusOK, status)
		raw, _ := json.Marshal(body)
		require.Contains(t, string(raw), "Documenti ricevuti")
		require.NotContains(t, string(raw), "Controllo interno")
		require.NotContains(t, string(raw), "internalNote")
	})

	t.Run("another client's practice is not found", func(t *testing.T) {
		status, body, _ := portal.do("GET", "/api/v1/practices/"+doctorPractice, nil)
		require.Equal(t, http.StatusNotFound, status)
		require.Equal(t, "practice.not_found", errCode(body))
	})

	t.Run("the submitter cancels, once", func(t *testing.T) {
		status, body, _ := portal.do("POST", "/api/v1/practices/"+citizenPractice+"/cancel",
			map[string]any{"submitterFiscalCode": apptest.FiscalCode("ESTRANEO", "UTENTE", 'M')})
		require.Equal(t, http.StatusForbidden, status, "only the submitter may cancel: %v", body)
		status, body, _ = portal.do("POST", "/api/v1/practices/"+citizenPractice+"/cancel",
			map[string]any{"submitterFiscalCode": person.FiscalCode, "beneficiaryNote": "Non serve più"}, "Idempotency-Key", "annulla-1")
		require.Equal(t, http.StatusOK, status, "%v", body)
		require.Equal(t, "ANNULLATA", body["state"])
		status, body, _ = portal.do("POST", "/api/v1/practices/"+citizenPractice+"/cancel",
			map[string]any{"submitterFiscalCode": person.FiscalCode}, "Idempotency-Key", "annulla-2")
		require.Equal(t, http.StatusConflict, status)
		require.Equal(t, practice.CodeWrongState, errCode(body))
	})

	t.Run("OpenAPI document", func(t *testing.T) {
		resp, err := http.Get(e.URL + "/api/openapi.yaml")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var doc map[string]any
		require.NoError(t, yaml.NewDecoder(resp.Body).Decode(&doc))
		require.True(t, strings.HasPrefix(doc["openapi"].(string), "3."))
		paths := doc["paths"].(map[string]any)
		for _, p := range []string{"/api/v1/practices", "/api/v1/practices/{number}", "/api/v1/practices/{number}/cancel"} {
			require.Contains(t, paths, p)
		}
	})
}

func TestHealth(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	resp, err := http.Get(e.URL + "/healthz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Status     string
		Components map[string]struct{ Status string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "up", body.Status)
	for _, c := range []string{"postgres", "temporal", "s3"} {
		require.Equal(t, "up", body.Components[c].Status, c)
	}
}
