package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/store"
)

// TestDocumentsInModifica: a signed document is attached through the UI,
// its signer appears, it is linked to the exemption on Conferma, it
// downloads intact only for operators allowed to see it, and a bad file is
// refused with its reason.
func TestDocumentsInModifica(t *testing.T) {
	w := newExemptionWorld(t)
	ctx := context.Background()
	b := w.browser(t, "operatore.to3")
	b.Visit(fmt.Sprintf("/esenzioni/%d/modifica", w.fromPractice))

	// An unsigned PDF is refused with the reason.
	b.Select("#tipo", "CERTIFICAZIONE_SPECIALISTICA")
	b.Fill("#data_rilascio", "01/10/2026")
	b.Upload("#file", "non-firmato.pdf", []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
	b.Click("#aggiungi")
	require.Contains(t, b.Text("#file-errore"), "non è firmato digitalmente")
	require.Equal(t, "01/10/2026", b.Attribute("#data_rilascio", "value"), "what was typed stays")
	require.True(t, b.Exists(`#tipo option[value=CERTIFICAZIONE_SPECIALISTICA][selected]`), "the chosen type stays")

	// A signed one is accepted, with its signer.
	signed := w.SignedPDF("Certificazione specialistica per rinnovo")
	b.Visit(fmt.Sprintf("/esenzioni/%d/modifica", w.fromPractice))
	b.Select("#tipo", "CERTIFICAZIONE_SPECIALISTICA")
	b.Fill("#data_rilascio", "01/10/2026")
	b.Fill("#data_validita", "01/10/2027")
	b.Upload("#file", "certificazione-rinnovo.pdf", signed)
	b.Click("#aggiungi")
	require.Contains(t, b.Text(".alert-success"), "firma di GIOVANNI VERDI verificata")
	staged := b.Text("[data-testid=documenti-da-confermare]")
	require.Contains(t, staged, "certificazione-rinnovo.pdf")
	require.Contains(t, staged, "VRDGNN66E04L219X")

	// A p7m too, then one deleted before confirming.
	b.Select("#tipo", "VERBALE_INVALIDITA")
	b.Fill("#data_rilascio", "02/10/2026")
	b.Upload("#file", "verbale.pdf.p7m", w.SignedP7M("Verbale"))
	b.Click("#aggiungi")
	b.Click("[data-testid=documenti-da-confermare] tr:last-child button")
	require.NotContains(t, b.Text("[data-testid=documenti-da-confermare]"), "verbale.pdf.p7m")

	b.Fill("#data_fine", exemption.DateOf(time.Now()).AddDate(5, 0, 0).Format("02/01/2006"))
	b.Click("#conferma")
	require.Contains(t, b.Text(".alert-success"), "rinnovata")
	docs := b.Text("#titolo-documenti + div")
	require.Contains(t, docs, "certificazione-rinnovo.pdf")
	require.Contains(t, docs, "GIOVANNI VERDI")
	require.Contains(t, b.Text("[data-testid=storia]"), "1 documento allegato")
	linked, err := w.Store().ExemptionAttachments(ctx, w.fromPractice)
	require.NoError(t, err)
	require.Len(t, linked, 1)

	// Documents alone, with the end date left as it is: not a renewal.
	renewed := b.Text("[data-testid=disponibile-fino-al]")
	b.Click("#modifica")
	b.Select("#tipo", "VERBALE_INVALIDITA")
	b.Fill("#data_rilascio", "03/10/2026")
	b.Upload("#file", "verbale-2.pdf.p7m", w.SignedP7M("Verbale bis"))
	b.Click("#aggiungi")
	b.Click("#conferma")
	require.Contains(t, b.Text(".alert-success"), "Documenti aggiunti")
	require.Equal(t, renewed, b.Text("[data-testid=disponibile-fino-al]"))
	require.Contains(t, b.Text("[data-testid=storia]"), "Documenti aggiunti")
	require.Contains(t, b.Text("#titolo-documenti + div"), "verbale-2.pdf.p7m")

	// Download: intact for the ASL, refused (404) for another ASL.
	resp, body := download(t, b, "/documenti/"+linked[0].ID)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, signed, body)
	require.Contains(t, resp.Header.Get("Content-Disposition"), `attachment; filename="certificazione-rinnovo.pdf"`)
	other := w.browser(t, "operatore.cn2")
	resp, _ = download(t, other, "/documenti/"+linked[0].ID)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	// It reads the exemption with its documents' names, and gets no link it
	// could not open.
	other.Visit(fmt.Sprintf("/esenzioni/%d", w.fromPractice))
	require.Contains(t, other.Text("[data-testid=documenti]"), "certificazione-rinnovo.pdf")
	require.False(t, other.Exists("[data-testid=documenti] a"))
	require.False(t, other.Exists("[data-testid=numero] a"))
	require.True(t, b.Exists("[data-testid=documenti] a"))
}

// TestDocumentsThroughTheAPI: a doctor's software uploads a signed
// certificate and a citizen's attachment, references them in the practice,
// and the operator downloads them (the zip of the citizen's attachments).
func TestDocumentsThroughTheAPI(t *testing.T) {
	w := newExemptionWorld(t)
	doctorFC := apptest.FiscalCode("BIANCO", "LUCA", 'M')
	api := apiClient{t, w.URL, w.APIClient("medico-doc", []practice.SubmitterKind{practice.SubmitterDoctor}, doctorFC)}
	upload := func(name string, data []byte) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, w.URL+"/api/v1/attachments?fileName="+name, bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+api.token)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		require.NoError(t, jsonUnmarshal(raw, &out), string(raw))
		return resp.StatusCode, out
	}
	status, body := upload("tampered.pdf", tamper(w.SignedPDF("Referto")))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "signature.tampered", errCode(body))

	status, cert := upload("certificato.pdf.p7m", w.SignedP7M("Certificato di patologia"))
	require.Equal(t, http.StatusCreated, status, "%v", cert)
	require.Equal(t, "CADES", cert["signatureFormat"])
	require.Equal(t, "GIOVANNI VERDI", cert["signerName"])
	status, att := upload("esami.pdf", w.SignedPDF("Esami"))
	require.Equal(t, http.StatusCreated, status)

	status, sub, _ := api.do("POST", "/api/v1/practices", map[string]any{
		"submitter":   map[string]any{"kind": "MEDICO"},
		"beneficiary": map[string]any{"fiscalCode": w.verdi.FiscalCode}, "exemptionCode": "042", "diagnosisCode": "5771",
		"certificateId": cert["id"], "attachmentIds": []any{att["id"], "00000000-0000-4000-8000-000000000000"}})
	require.Equal(t, http.StatusUnprocessableEntity, status, "an unknown reference is refused")
	require.Equal(t, "attachment.unknown", fieldCodes(sub)["attachmentIds[1]"])

	status, sub, _ = api.do("POST", "/api/v1/practices", map[string]any{
		"submitter":   map[string]any{"kind": "MEDICO"},
		"beneficiary": map[string]any{"fiscalCode": w.verdi.FiscalCode}, "exemptionCode": "042", "diagnosisCode": "5771",
		"certificateId": cert["id"], "attachmentIds": []any{att["id"]}})
	require.Equal(t, http.StatusCreated, status, "%v", sub)
	number := sub["number"].(string)
	w.WaitPractice(number, func(storePractice) bool { return true })

	b := w.browser(t, "operatore.to3")
	b.Visit("/pratiche/" + number)
	docs := b.Text("#titolo-documenti + div")
	require.Contains(t, docs, "certificato.pdf.p7m")
	require.Contains(t, docs, "esami.pdf")
	resp, content := download(t, b, "/pratiche/"+number+"/certificato")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/pkcs7-mime", resp.Header.Get("Content-Type"))
	require.NotEmpty(t, content)
	resp, zipped := download(t, b, "/pratiche/"+number+"/allegati.zip")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	names := zipNames(t, zipped)
	require.Equal(t, []string{"esami.pdf"}, names)
	// The extracted content of the .p7m is available too.
	id := cert["id"].(string)
	resp, inner := download(t, b, "/documenti/"+id+"/contenuto")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, bytes.HasPrefix(inner, []byte("%PDF-")))
}

type storePractice = store.Practice

func tamper(b []byte) []byte {
	c := append([]byte{}, b...)
	i := bytes.Index(c, []byte("Referto"))
	c[i] ^= 1
	return c
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func zipNames(t *testing.T, b []byte) []string {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}
