package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"esenzioni/domain/exemption"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/demo"
	"esenzioni/web"
)

// TestConcurrentSubmissionsShareOneAttachment: two submissions referencing
// the same staged document at the same moment: exactly one gets it, the
// other is refused with a clear code and starts no practice, and the
// accepted practice has its document (issue 12, point 8). Several rounds,
// as the race is a matter of timing.
func TestConcurrentSubmissionsShareOneAttachment(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	token := e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, apptest.FiscalCode("MEDICO", "PRIMO", 'M'))
	api := apiClient{t, e.URL, token}
	upload := func() string {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/attachments?fileName=c.pdf", bytes.NewReader(e.SignedPDF("Certificato")))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		require.NoError(t, jsonUnmarshal(raw, &out))
		require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", out)
		return out["id"].(string)
	}
	codes := []string{"044", "042"}
	diags := []string{"2960", "5771"}
	// A person per round: a person's practice for a code stays open, and a
	// second one for the same code is refused (practice.open_exists).
	surnames := []string{"SERRA", "PIRAS", "MELIS", "SANNA", "MURGIA", "CONTU"}
	for round := range 6 {
		person := e.Person("LUCA", surnames[round], apptest.ASLTO3, "")
		id := upload()
		var wg sync.WaitGroup
		type outcome struct {
			status int
			body   map[string]any
		}
		results := make([]outcome, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				st, body, _ := api.do("POST", "/api/v1/practices", map[string]any{
					"submitter":   map[string]any{"kind": "MEDICO"},
					"beneficiary": map[string]any{"fiscalCode": person.FiscalCode}, "exemptionCode": codes[i], "diagnosisCode": diags[i],
					"certificateId": id}, "Idempotency-Key", fmt.Sprintf("gara-%d-%d", round, i))
				results[i] = outcome{st, body}
			}()
		}
		close(start)
		wg.Wait()
		accepted, refused := 0, 0
		var number string
		for _, r := range results {
			switch r.status {
			case http.StatusCreated:
				accepted++
				number = r.body["number"].(string)
			case http.StatusConflict:
				refused++
				require.Equal(t, "attachment.in_use", errCode(r.body))
			case http.StatusUnprocessableEntity:
				refused++ // came after the other had linked it
				require.Equal(t, "attachment.unknown", fieldCodes(r.body)["certificateId"], "%v", r.body)
			default:
				t.Fatalf("round %d: unexpected %d %v", round, r.status, r.body)
			}
		}
		require.Equal(t, 1, accepted, "round %d: exactly one submission gets the document: %+v", round, results)
		require.Equal(t, 1, refused, "round %d", round)
		docs, err := e.Store().PracticeAttachments(ctx, number)
		require.NoError(t, err)
		require.Len(t, docs, 1, "round %d: the accepted practice has its document", round)
		require.Equal(t, id, docs[0].ID)
	}
	// No practice was started for the refused ones.
	n, err := e.DB.NewSelect().Table("intake_request").Count(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 6, n)
}

// TestIdempotencyHashIsCanonical: the same request with other whitespace
// and key order is a replay (200, same practice); another request with the
// same key is refused (issue 12, point 8).
func TestIdempotencyHashIsCanonical(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	person := e.Person("SARA", "CONTI", apptest.ASLTO3, "")
	token := e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, apptest.FiscalCode("MEDICO", "SECONDO", 'M'))
	post := func(body string) (int, map[string]any, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/practices", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "canonica-1")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		require.NoError(t, jsonUnmarshal(raw, &out), string(raw))
		return resp.StatusCode, out, resp.Header
	}
	compact := fmt.Sprintf(`{"submitter":{"kind":"MEDICO"},"beneficiary":{"fiscalCode":%q},"exemptionCode":"044","diagnosisCode":"2960"}`, person.FiscalCode)
	status, first, _ := post(compact)
	require.Equal(t, http.StatusCreated, status, "%v", first)
	reordered := fmt.Sprintf("{\n  \"diagnosisCode\" : \"2960\",\n\t\"exemptionCode\": \"044\",\n  \"beneficiary\": { \"fiscalCode\": %q },\n  \"submitter\": {\"kind\": \"MEDICO\"}\n}\n", person.FiscalCode)
	status, again, h := post(reordered)
	require.Equal(t, http.StatusOK, status, "%v", again)
	require.Equal(t, "true", h.Get("Idempotent-Replayed"))
	require.Equal(t, first["number"], again["number"])
	status, other, _ := post(strings.Replace(compact, "2960", "2967", 1))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "idempotency_key.reused", errCode(other))
}

// TestOpenAPIExampleDoctorIsTheDemoDoctor: the submission example of the
// OpenAPI document uses the fiscal code of the demo doctor's token, so it
// works as is against `make run` (issue 12, point 8).
func TestOpenAPIExampleDoctorIsTheDemoDoctor(t *testing.T) {
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(web.OpenAPIDocument(), &doc))
	post := doc["paths"].(map[string]any)["/api/v1/practices"].(map[string]any)["post"].(map[string]any)
	example := post["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["example"].(map[string]any)
	fc := example["submitter"].(map[string]any)["fiscalCode"].(string)
	require.Equal(t, demo.DoctorFiscalCode(), fc)
	_, err := fiscalcode.Parse(fc, nil)
	require.NoError(t, err)
}

// endDateRefusals: end dates Modifica and the wizard refuse, and why: a year
// no typed date may have, and the 10-year bound of the domain.
var endDateRefusals = map[string]string{
	"31/12/9999": "Data non plausibile",
	"31/12/2150": "non può superare di oltre 10 anni",
}

// TestDateBoundsAndReasonCodes: an end date beyond the bound is refused by
// Modifica and the wizard, document issue dates in the future or absurdly
// old are refused with an Italian message (nothing stored), and an action's
// reason code must be a configured one (issue 12, point 8).
func TestDateBoundsAndReasonCodes(t *testing.T) {
	w := newExemptionWorld(t)
	ctx := context.Background()
	s := newOpSession(t, w.URL, "operatore.to3")

	t.Run("Modifica: end date 31/12/9999", func(t *testing.T) {
		for date, msg := range endDateRefusals {
			_, form := s.get(fmt.Sprintf("/esenzioni/%d/modifica", w.fromPractice))
			status, page, _ := s.post(fmt.Sprintf("/esenzioni/%d/modifica", w.fromPractice), url.Values{
				"data_fine": {date}, "chiave": {between(form, `name="chiave" value="`, `"`)},
				"versione": {between(form, `name="versione" value="`, `"`)}})
			require.Equal(t, http.StatusUnprocessableEntity, status, date)
			require.Contains(t, page, msg, date)
		}
		row, err := w.Store().ExemptionByID(ctx, w.fromPractice)
		require.NoError(t, err)
		require.True(t, row.EndDate == nil || row.EndDate.Year() < 9999, "unchanged")
	})

	t.Run("wizard: end date 31/12/9999", func(t *testing.T) {
		status, _, loc := s.post("/esenzioni/nuova", url.Values{"cf": {w.verdi.FiscalCode}})
		require.Equal(t, http.StatusSeeOther, status)
		draft := strings.Split(strings.TrimPrefix(loc, "/esenzioni/nuova/"), "/")[0]
		status, page, _ := s.post("/esenzioni/nuova/"+draft+"/tipologia", url.Values{"categoria": {"MC"}, "diagnosi": {"2535"}, "codice": {"012"}})
		require.Equal(t, http.StatusSeeOther, status, page)
		for date, msg := range endDateRefusals {
			status, page, _ = s.post("/esenzioni/nuova/"+draft+"/scadenza", url.Values{"data_fine": {date}})
			require.Equal(t, http.StatusUnprocessableEntity, status, date)
			require.Contains(t, page, msg, date)
		}
		status, _, _ = s.post("/esenzioni/nuova/"+draft+"/scadenza", url.Values{
			"data_fine": {exemption.DateOf(time.Now()).AddDate(2, 0, 0).Format("02/01/2006")}})
		require.Equal(t, http.StatusSeeOther, status, "a sound date passes")
	})

	t.Run("document issue dates", func(t *testing.T) {
		path := fmt.Sprintf("/esenzioni/%d/modifica/documenti", w.fromPractice)
		for date, msg := range map[string]string{
			"01/01/2099": "non può essere nel futuro",
			exemption.DateOf(time.Now()).AddDate(0, 0, 1).Format("02/01/2006"): "non può essere nel futuro",
			"01/01/1800": "Data non plausibile", // beyond the years a typed date may have
		} {
			before := attachmentCount(t, w.Env)
			status, page := s.upload(path, map[string]string{"tipo": "CERTIFICAZIONE_SPECIALISTICA", "data_rilascio": date},
				"c.pdf", w.SignedPDF("Certificazione"))
			require.Equal(t, http.StatusUnprocessableEntity, status, date)
			require.Contains(t, page, msg, date)
			require.Equal(t, before, attachmentCount(t, w.Env), "%s: nothing stored", date)
		}
	})

	t.Run("a note's reason code must be configured", func(t *testing.T) {
		number := w.Submit(w.rossi, "042", "5771")
		_, page := s.get("/pratiche/" + number)
		version := between(page, `name="versione" value="`, `"`)
		status, body, _ := s.post("/pratiche/"+number+"/azioni/nota", url.Values{
			"versione": {version}, "chiave": {"nota-1"}, "nota_interna": {"Nota"},
			"motivazione": {"MOTIVO_INESISTENTE"}})
		require.Equal(t, http.StatusUnprocessableEntity, status)
		require.Contains(t, body, "Motivazione non riconosciuta")
		events, err := w.Store().PracticeEvents(ctx, number)
		require.NoError(t, err)
		require.Len(t, events, 1, "nothing recorded")
		status, _, _ = s.post("/pratiche/"+number+"/azioni/nota", url.Values{
			"versione": {version}, "chiave": {"nota-2"}, "nota_interna": {"Nota"}})
		require.Equal(t, http.StatusSeeOther, status, "without a reason code the note is saved")
	})
}
