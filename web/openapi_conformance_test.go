package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/store"
	"esenzioni/web"
)

// TestOpenAPIDocumentIsValid: the published document is a valid OpenAPI 3
// document with an operation ID, and a declared answer for 401 and 503,
// on every operation.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	c, err := newSpecChecker(web.OpenAPIDocument())
	require.NoError(t, err)
	require.Equal(t, []string{"cancelPractice", "getPractice", "submitPractice", "uploadAttachment"}, c.operations())
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, status := range []int{http.StatusUnauthorized, http.StatusInternalServerError, http.StatusServiceUnavailable} {
				require.NotNil(t, op.Responses.Status(status), "%s %s: no %d", method, path, status)
			}
		}
	}
}

// TestOpenAPIValidatorCatchesWrongAnswers: the checker is not a rubber
// stamp. Answers and requests that contradict the document are caught,
// and the right ones pass.
func TestOpenAPIValidatorCatchesWrongAnswers(t *testing.T) {
	c := apiSpec()
	const number = "202601020300000001"
	submission := `{"submitter":{"kind":"MEDICO"},"beneficiary":{"fiscalCode":"RSSMRA80A01H501U"},"exemptionCode":"044","diagnosisCode":"2960"}`
	submitted := `{"number":"` + number + `","state":"INVIATA","links":{"self":"/api/v1/practices/` + number + `","cancel":"/api/v1/practices/` + number + `/cancel"}}`
	view := `{"number":"` + number + `","state":"IN_LAVORAZIONE","stateLabel":"In lavorazione","exemptionCode":"044","diagnosisCode":"2960",` +
		`"beneficiaryFiscalCode":"RSSMRA80A01H501U","createdAt":"2026-01-02T10:00:00Z","updatedAt":"2026-01-02T11:00:00+01:00",` +
		`"history":[{"at":"2026-01-02T10:00:00Z","state":"INVIATA","role":"MEDICO_SPECIALISTA"}]}`
	errorBody := func(code string) string { return `{"error":{"code":"` + code + `","message":"Messaggio."}}` }
	upload := `{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","fileName":"c.pdf","sizeBytes":1234,"sha256":"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881","signatureFormat":"PADES","signerName":"GIOVANNI VERDI","signerFiscalCode":"VRDGNN66E04L219U"}`
	for _, tc := range []struct {
		name           string
		method, path   string
		contentType    string
		token          bool
		reqBody        string
		status         int
		respBody       string
		key            string
		wantProblem    string // "" = conforms
		respHeaderPair []string
	}{
		// Positive controls.
		{"submission created", "POST", "/api/v1/practices", "application/json", true, submission, 201, submitted, "submitPractice 201", "", []string{"Location", "/api/v1/practices/" + number}},
		{"replayed submission", "POST", "/api/v1/practices", "application/json", true, submission, 200, submitted, "submitPractice 200", "",
			[]string{"Location", "/api/v1/practices/" + number, "Idempotent-Replayed", "true"}},
		{"practice", "GET", "/api/v1/practices/" + number, "", true, "", 200, view, "getPractice 200", "", nil},
		{"invalid field refused", "POST", "/api/v1/practices", "application/json", true, `{"submitter":{"kind":"MEDICO"}}`, 400, errorBody("request.malformed"), "submitPractice 400", "", nil},
		{"no token refused", "GET", "/api/v1/practices/" + number, "", false, "", 401, errorBody("auth.missing_token"), "getPractice 401", "",
			[]string{"WWW-Authenticate", `Bearer realm="esenzioni"`}},
		{"upload", "POST", "/api/v1/attachments?fileName=c.pdf", "application/pdf", true, "%PDF-1.7", 201, upload, "uploadAttachment 201", "", nil},
		{"upload without a Content-Type", "POST", "/api/v1/attachments", "", true, "%PDF-1.7", 201, upload, "uploadAttachment 201", "", nil},
		{"unknown path", "GET", "/api/v1/nessuna", "", true, "", 404, errorBody("not_found"), "(none) 404", "", nil},

		// Wrong answers.
		{"state of a new practice not INVIATA", "POST", "/api/v1/practices", "application/json", true, submission, 201,
			strings.Replace(submitted, "INVIATA", "VALIDATA", 1), "submitPractice 201", "answer 201 does not conform", nil},
		{"number as a JSON number", "POST", "/api/v1/practices", "application/json", true, submission, 201,
			strings.Replace(submitted, `"`+number+`"`, number, 1), "submitPractice 201", "answer 201 does not conform", nil},
		{"undeclared status", "GET", "/api/v1/practices/" + number, "", true, "", 418, errorBody("teapot"), "getPractice 418", "answer 418 does not conform", nil},
		{"created without Location", "POST", "/api/v1/practices", "application/json", true, submission, 201, submitted,
			"submitPractice 201", `response header "Location" missing`, nil},
		{"history not a list", "GET", "/api/v1/practices/" + number, "", true, "", 200,
			view[:strings.Index(view, `"history"`)] + `"history":{"at":"2026-01-02T10:00:00Z"}}`, "getPractice 200", "answer 200 does not conform", nil},
		{"a field the document does not have", "GET", "/api/v1/practices/" + number, "", true, "", 200,
			strings.Replace(view, `"stateLabel"`, `"reasonCode":"INTERNO","stateLabel"`, 1), "getPractice 200", "answer 200 does not conform", nil},
		{"a history row without its role", "GET", "/api/v1/practices/" + number, "", true, "", 200,
			strings.Replace(view, `,"role":"MEDICO_SPECIALISTA"`, "", 1), "getPractice 200", "answer 200 does not conform", nil},
		{"401 without WWW-Authenticate", "GET", "/api/v1/practices/" + number, "", false, "", 401, errorBody("auth.missing_token"),
			"getPractice 401", `response header "WWW-Authenticate" missing`, nil},
		{"unknown state", "GET", "/api/v1/practices/" + number, "", true, "", 200,
			strings.Replace(view, "IN_LAVORAZIONE", "SOSPESA", 1), "getPractice 200", "answer 200 does not conform", nil},
		{"error without its code", "GET", "/api/v1/practices/" + number, "", true, "", 404, `{"error":{"message":"x"}}`, "getPractice 404", "answer 404 does not conform", nil},
		{"HTML error page", "GET", "/api/v1/practices/" + number, "", true, "", 404, `<html></html>`, "getPractice 404", "answer 404 does not conform", nil},
		{"signature format not in the list", "POST", "/api/v1/attachments", "application/pdf", true, "%PDF", 201,
			strings.Replace(upload, "PADES", "XADES", 1), "uploadAttachment 201", "answer 201 does not conform", nil},

		// Requests the document refuses must be refused.
		{"unknown field accepted", "POST", "/api/v1/practices", "application/json", true, strings.Replace(submission, `"exemptionCode"`, `"extra":1,"exemptionCode"`, 1), 201, submitted,
			"submitPractice 201", "the request does not conform, but was answered 201", nil},
		{"missing token accepted", "GET", "/api/v1/practices/" + number, "", false, "", 200, view, "getPractice 200", "no bearer token, but answered 200", nil},
		{"missing token answered 404", "GET", "/api/v1/practices/" + number, "", false, "", 404, errorBody("practice.not_found"), "getPractice 404", "no bearer token, but answered 404", nil},
		{"malformed number answered", "GET", "/api/v1/practices/12", "", true, "", 200, view, "getPractice 200", "the request does not conform, but was answered 200", nil},
		{"an operation the document lacks", "DELETE", "/api/v1/practices/" + number, "", true, "", 200, view, "(none) 200", "no operation in the document", nil},
	} {
		var body *bytes.Reader
		if tc.reqBody != "" {
			body = bytes.NewReader([]byte(tc.reqBody))
		}
		req, err := http.NewRequest(tc.method, "http://127.0.0.1:1"+tc.path, nil)
		require.NoError(t, err)
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		if tc.token {
			req.Header.Set("Authorization", "Bearer segreto")
		}
		var reqBody []byte
		if body != nil {
			reqBody = []byte(tc.reqBody)
		}
		header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
		if strings.HasPrefix(tc.respBody, "<") {
			header.Set("Content-Type", "text/html; charset=utf-8")
		}
		for i := 0; i+1 < len(tc.respHeaderPair); i += 2 {
			header.Set(tc.respHeaderPair[i], tc.respHeaderPair[i+1])
		}
		key, problems := c.exchange(req, reqBody, tc.status, header, []byte(tc.respBody))
		require.Equal(t, tc.key, key, tc.name)
		if tc.wantProblem == "" {
			require.Empty(t, problems, tc.name)
		} else {
			require.NotEmpty(t, problems, "%s: a wrong exchange passed", tc.name)
			require.Contains(t, strings.Join(problems, "\n"), tc.wantProblem, tc.name)
		}
	}
}

// TestOpenAPIConformance drives every operation of the API through its
// usual answers, and checks that the checker saw them all: the other tests
// of the package are checked the same way, this one makes sure the check
// actually runs.
func TestOpenAPIConformance(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	person := e.Person("NADIA", "FONTANA", apptest.ASLTO3, "nadia@example.com")
	doctorFC := apptest.FiscalCode("VERDI", "GIOVANNI", 'M')
	doctor := apiClient{t, e.URL, e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, doctorFC)}
	portal := apiClient{t, e.URL, e.APIClient("portale", []practice.SubmitterKind{practice.SubmitterCitizen}, "")}

	upload := func(c apiClient, contentType, name string, data []byte) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodPost, e.URL+"/api/v1/attachments?fileName="+name, bytes.NewReader(data))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+c.token)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	status, cert := upload(doctor, "application/pkcs7-mime", "certificato.pdf.p7m", e.SignedP7M("certificato"))
	require.Equal(t, http.StatusCreated, status, "%v", cert)
	status, doc := upload(doctor, "application/pdf", "referto.pdf", e.SignedPDF("referto"))
	require.Equal(t, http.StatusCreated, status, "%v", doc)
	status, _ = upload(doctor, "application/pdf", "vuoto.pdf", nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = upload(doctor, "application/octet-stream", "testo.pdf", []byte("non firmato"))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = upload(doctor, "", "senza-tipo.pdf", e.SignedPDF("senza tipo"))
	require.Equal(t, http.StatusCreated, status, "the content decides, not the Content-Type")

	submission := map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
		"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "044", "diagnosisCode": "2960",
		"certificateId": cert["id"], "attachmentIds": []any{doc["id"]}}
	status, created, _ := doctor.do("POST", "/api/v1/practices", submission, "Idempotency-Key", "conforme-1")
	require.Equal(t, http.StatusCreated, status, "%v", created)
	number := created["number"].(string)
	status, _, _ = doctor.do("POST", "/api/v1/practices", submission, "Idempotency-Key", "conforme-1")
	require.Equal(t, http.StatusOK, status)
	status, _, _ = doctor.do("POST", "/api/v1/practices", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
		"beneficiary": map[string]any{"fiscalCode": "RSSMRA80A01H501X"}, "exemptionCode": "044", "diagnosisCode": "2960"})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _, _ = doctor.do("POST", "/api/v1/practices", map[string]any{"submitter": map[string]any{"kind": "MEDICO"}, "x": 1})
	require.Equal(t, http.StatusBadRequest, status)
	status, _, _ = portal.do("POST", "/api/v1/practices", submission)
	require.Equal(t, http.StatusForbidden, status)

	e.WaitPractice(number, func(store.Practice) bool { return true })
	status, _, _ = doctor.do("POST", "/api/v1/practices", map[string]any{"submitter": map[string]any{"kind": "MEDICO"},
		"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": "044", "diagnosisCode": "2960"}, "Idempotency-Key", "conforme-2")
	require.Equal(t, http.StatusConflict, status, "an open practice for the code")
	status, _, _ = doctor.do("GET", "/api/v1/practices/"+number, nil)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = portal.do("GET", "/api/v1/practices/"+number, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = apiClient{t, e.URL, ""}.do("GET", "/api/v1/practices/"+number, nil)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = apiClient{t, e.URL, "sbagliato"}.do("GET", "/api/v1/practices/"+number, nil)
	require.Equal(t, http.StatusUnauthorized, status)

	status, _, _ = doctor.do("POST", "/api/v1/practices/"+number+"/cancel", map[string]any{"beneficiaryNote": "Non serve più"}, "Idempotency-Key", "annulla-1")
	require.Equal(t, http.StatusOK, status)
	status, _, _ = doctor.do("POST", "/api/v1/practices/"+number+"/cancel", nil, "Idempotency-Key", "annulla-2")
	require.Equal(t, http.StatusConflict, status)

	covered, problems := apiSpec().coverage(e)
	require.Empty(t, problems)
	ops := map[string]bool{}
	total := 0
	for key, n := range covered {
		ops[strings.Fields(key)[0]] = true
		total += n
	}
	for _, op := range apiSpec().operations() {
		require.True(t, ops[op], "operation %s was never checked: %v", op, covered)
	}
	require.GreaterOrEqual(t, total, 17, "%v", covered)
	for _, key := range []string{"uploadAttachment 201", "uploadAttachment 422", "submitPractice 201", "submitPractice 200",
		"submitPractice 400", "submitPractice 403", "submitPractice 409", "submitPractice 422", "getPractice 200",
		"getPractice 401", "getPractice 404", "cancelPractice 200", "cancelPractice 409"} {
		require.Positive(t, covered[key], "%s never checked: %v", key, covered)
	}
}
