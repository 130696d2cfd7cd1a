package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
	"esenzioni/internal/testenv"
	"esenzioni/store"
	"esenzioni/workflows"
)

// exemptionWorld has people with exemptions from practices and from the
// registry, valid, expiring and expired.
type exemptionWorld struct {
	*apptest.Env
	opTO3, opCN2                store.Operator
	rossi, verdi, neri          store.Beneficiary
	fromPractice, soon, expired int64
	neriExemption               int64
}

func newExemptionWorld(t *testing.T) *exemptionWorld {
	e := apptest.New(t, apptest.Options{})
	w := &exemptionWorld{Env: e}
	w.opTO3 = e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	w.opCN2 = e.Operator("operatore.cn2", apptest.Profile(access.OperatoreASL, apptest.ASLCN2, "DISTRETTO BRA"))
	w.rossi = e.Person("MARIO", "ROSSI", apptest.ASLTO3, "")
	w.verdi = e.Person("GIUSEPPE", "VERDI", apptest.ASLTO3, "")
	w.neri = e.Person("PAOLO", "NERI", apptest.ASLCN2, "")
	to3 := access.Actor{FiscalCode: w.opTO3.FiscalCode, Role: access.OperatoreASL, ASL: apptest.ASLTO3}
	n := e.Submit(w.rossi, "044", "2960")
	w.fromPractice = e.Act(n, practice.Validate, to3).Exemption.ID
	today := exemption.DateOf(time.Now())
	w.soon = w.registry(w.rossi, "042", "5771", today.AddDate(-1, 0, 0), ptrDate(today.AddDate(0, 0, 10)), exemption.Valida, "AURA-1")
	w.expired = w.registry(w.rossi, "067", "7109", today.AddDate(-2, 0, 0), ptrDate(today.AddDate(0, -1, 0)), exemption.Scaduta, "AURA-2")
	cn2 := access.Actor{FiscalCode: w.opCN2.FiscalCode, Role: access.OperatoreASL, ASL: apptest.ASLCN2}
	w.neriExemption = e.Act(e.Submit(w.neri, "044", "2960"), practice.Validate, cn2).Exemption.ID
	// The issued exemptions are published to the registry in the
	// background: a test that compares the tables before and after a
	// refused request starts once that is done.
	e.Eventually(30*time.Second, "the issued exemptions published", func() (bool, error) {
		n, err := e.Store().DB.NewSelect().Table("exemption").
			Where("publication_state <> ? OR published_version < version", store.PublicationDone).Count(context.Background())
		return n == 0, err
	})
	return w
}

func ptrDate(d time.Time) *time.Time { return &d }

func (w *exemptionWorld) registry(p store.Beneficiary, code, diag string, issued time.Time, end *time.Time, st exemption.State, id string) int64 {
	ex := store.Exemption{BeneficiaryFC: p.FiscalCode, BeneficiaryFirstName: p.FirstName, BeneficiaryLastName: p.LastName,
		ASLCode: p.ASLCode, ExemptionCode: code, DiagnosisCode: diag, IssuedOn: issued, EndDate: end, State: string(st),
		Source: store.SourceRegistry, Version: 1, LastSeq: 1, PublicationState: store.PublicationDone, PublishedVersion: 1, RegistryID: &id}
	n, _, err := w.Store().ImportRegistryExemption(context.Background(), &ex)
	require.NoError(w.T, err)
	return n
}

func (w *exemptionWorld) browser(t *testing.T, username string) *browser.Browser {
	b := browser.New(t, w.URL)
	b.Login(username, apptest.Password, apptest.PIN)
	require.True(t, b.Exists("#esci"))
	return b
}

func TestExemptionSearch(t *testing.T) {
	w := newExemptionWorld(t)
	b := w.browser(t, "operatore.to3")
	b.Visit("/esenzioni")
	b.Click("#cerca")
	require.Contains(t, b.Text("#errore-ricerca"), "indica il cognome o il codice fiscale", "Cerca with nothing filled in")
	b.Visit("/esenzioni")
	b.Fill("#nome", "MARIO")
	b.Click("#cerca")
	require.Contains(t, b.Text("#errore-ricerca"), "indica il cognome o il codice fiscale")

	b.Visit("/esenzioni")
	b.Fill("#cognome", "Rossi")
	b.Click("#cerca")
	require.Equal(t, "Risultati trovati: 3", b.Text("[data-testid=totale]"), "practice and registry exemptions")
	table := b.Text("[data-testid=esenzioni]")
	require.Contains(t, table, "044 - PSICOSI")
	require.Contains(t, table, "NAZIONALE")
	require.Contains(t, table, "Malattie croniche")
	require.Contains(t, table, "In scadenza", "the registry exemption ending in 10 days")

	b.Visit("/esenzioni?cognome=ROSSI&stato=SCADUTA")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))
	b.Visit("/esenzioni")
	b.Fill("#cf", w.rossi.FiscalCode)
	b.Fill("#codice", "042 - PANCREATITE CRONICA")
	b.Click("#cerca")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"), "typeahead value")
	b.Visit("/esenzioni?cognome=ROSSI&codice=044")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"), "bare code typed")
	b.Visit("/esenzioni?cognome=ROSSI&codice=pancreatite")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"), "a word of the description")
	b.Visit("/esenzioni?cognome=ROSSI&codice=zzzz")
	require.Contains(t, b.Text("#codice-errore"), "Nessun codice esenzione")
	b.Visit("/esenzioni?cognome=ROSSI&da=02/01/2026&a=01/01/2026")
	require.Contains(t, b.Text("#a-errore"), "precede quella iniziale")
	today := exemption.DateOf(time.Now()).Format("02/01/2006")
	b.Visit("/esenzioni?cognome=ROSSI&da=" + today + "&a=" + today)
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"), "issued today")
}

func TestExemptionDetail(t *testing.T) {
	w := newExemptionWorld(t)
	b := w.browser(t, "operatore.to3")
	b.Visit(fmt.Sprintf("/esenzioni/%d", w.soon))
	require.Equal(t, "VALIDA", strings.ToUpper(b.Text("[data-testid=stato]")))
	require.Contains(t, b.Text("[data-testid=numero]"), "AURA", "a registry exemption has no practice number")
	require.Equal(t, "15", b.Text("[data-testid=numero-prestazioni]"))
	require.True(t, b.Exists("[data-testid=in-scadenza]"))
	b.Press("#mostra-tutto")
	require.Contains(t, b.Text("[data-testid=prestazioni]"), "AMILASI")
	require.True(t, b.Exists("#modifica"), "the ASL of residence may change it")
	require.True(t, b.Exists("#scarica-promemoria"))

	// Viewing is open to every operator; changing is not (manual 7.2).
	c := w.browser(t, "operatore.cn2")
	c.Visit(fmt.Sprintf("/esenzioni/%d", w.soon))
	require.Contains(t, c.Text("[data-testid=beneficiario]"), "ROSSI")
	require.False(t, c.Exists("#modifica"))
	c.Visit(fmt.Sprintf("/esenzioni/%d/modifica", w.soon))
	require.Contains(t, c.Text("main"), "Modifica non consentita")
}

func TestRenewAndRevoke(t *testing.T) {
	w := newExemptionWorld(t)
	ctx := context.Background()
	b := w.browser(t, "operatore.to3")

	// Renew the exemption issued by a practice.
	next := exemption.DateOf(time.Now()).AddDate(4, 0, 0)
	b.Visit(fmt.Sprintf("/esenzioni/%d", w.fromPractice))
	b.Click("#modifica")
	b.Fill("#data_fine", next.Format("02/01/2006"))
	b.Click("#conferma")
	require.Contains(t, b.Text(".alert-success"), "rinnovata")
	require.Equal(t, next.Format("02/01/2006"), b.Text("[data-testid=disponibile-fino-al]"))
	require.Contains(t, b.Text("[data-testid=storia]"), "Rinnovo")
	st := queryExemption(t, w.Env, w.fromPractice)
	require.Equal(t, next, *st.EndDate, "the workflow's timers now aim at the new date")

	// Confirming the same date with no document changes nothing.
	b.Click("#modifica")
	b.Click("#conferma")
	require.Contains(t, b.Text("#data-fine-errore"), "Nessuna modifica")
	require.Equal(t, st.Version, queryExemption(t, w.Env, w.fromPractice).Version)

	// Brought forward into the reminder window: its practice shows it.
	ex, err := w.Store().ExemptionByID(ctx, w.fromPractice)
	require.NoError(t, err)
	ex2 := ex
	b.Visit(fmt.Sprintf("/pratiche/%s", *ex.PracticeNumber))
	require.False(t, b.Exists("[data-testid=in-scadenza]"))
	b.Visit(fmt.Sprintf("/esenzioni/%d/modifica", w.fromPractice))
	b.Fill("#data_fine", exemption.DateOf(time.Now()).AddDate(0, 0, 10).Format("02/01/2006"))
	b.Click("#conferma")
	require.Contains(t, b.Text(".alert-success"), "anticipata")
	b.Visit(fmt.Sprintf("/pratiche/%s", *ex.PracticeNumber))
	require.True(t, b.Exists("[data-testid=in-scadenza]"), "the practice's exemption ends within the reminder window")

	// Revoke the registry one: today ends it (ANNULLATA). Its lifecycle
	// workflow is started by the change itself.
	// Revocation asks first (issue 14, point 2): nothing is sent until
	// «Sì, revoca»; «No» goes back to the form.
	b.Visit(fmt.Sprintf("/esenzioni/%d/modifica", w.soon))
	b.Fill("#data_fine", exemption.DateOf(time.Now()).Format("02/01/2006"))
	b.Fill("#nota", "Revoca su richiesta")
	b.Click("#conferma")
	require.Contains(t, b.Text("#conferma-revoca-box"), "Sei sicuro di voler revocare l'esenzione")
	require.Equal(t, "Revoca su richiesta", b.Attribute("#nota", "value"), "the note is kept")
	ex, err = w.Store().ExemptionByID(ctx, w.soon)
	require.NoError(t, err)
	require.Equal(t, "VALIDA", ex.State, "not revoked before the answer")
	b.Click("#annulla-revoca")
	require.False(t, b.Exists("#conferma-revoca-box"))
	require.True(t, b.Exists("#conferma"), "back on the form")
	b.Fill("#data_fine", exemption.DateOf(time.Now()).Format("02/01/2006"))
	b.Click("#conferma")
	b.RequireInteractive("#conferma-revoca")
	b.Click("#conferma-revoca")
	require.Contains(t, b.Text(".alert-success"), "revocata")
	require.Equal(t, "ANNULLATA", strings.ToUpper(b.Text("[data-testid=stato]")))
	require.False(t, b.Exists("#modifica"), "an annulled exemption cannot be changed")
	ex, err = w.Store().ExemptionByID(ctx, w.soon)
	require.NoError(t, err)
	require.Equal(t, "ANNULLATA", ex.State)

	// Bad input keeps the operator on the form with a message.
	b.Visit(fmt.Sprintf("/esenzioni/%d/modifica", w.fromPractice))
	b.Fill("#data_fine", "31/02/2030")
	b.Click("#conferma")
	require.Contains(t, b.Text("#data-fine-errore"), "gg/mm/aaaa")
	b.Fill("#data_fine", "01/01/2000")
	b.Click("#conferma")
	require.Contains(t, b.Text("#data-fine-errore"), "non può precedere la data di emissione")

	// The annulled exemption's Modifica says why it cannot be changed, not
	// that the operator is of another ASL (issue 14, point 2).
	b.Visit(fmt.Sprintf("/esenzioni/%d/modifica", w.soon))
	require.Contains(t, b.Text("main"), "L'esenzione è annullata")
	require.NotContains(t, b.Text("main"), "Solo gli operatori dell'ASL di residenza")

	// Revoking the exemption of a practice: the practice then shows the
	// exemption's end date and state, not the ones of its validation
	// (issue 14, point 3).
	b.Visit(fmt.Sprintf("/esenzioni/%d/modifica", w.fromPractice))
	b.Fill("#data_fine", exemption.DateOf(time.Now()).Format("02/01/2006"))
	b.Click("#conferma")
	b.Click("#conferma-revoca")
	require.Contains(t, b.Text(".alert-success"), "revocata")
	b.Visit(fmt.Sprintf("/pratiche/%s", *ex2.PracticeNumber))
	require.Equal(t, exemption.DateOf(time.Now()).Format("02/01/2006"), b.Text("[data-testid=disponibile-fino-al]"))
	require.Equal(t, "Esenzione Annullata", b.Text("[data-testid=stato-esenzione]"))
	b.RequireNoConsoleErrors()
}

func TestModificaOfAnotherASLIsRefusedByServerAndWorkflow(t *testing.T) {
	w := newExemptionWorld(t)
	resp := w.postForm(t, "operatore.cn2", fmt.Sprintf("/esenzioni/%d/modifica", w.soon), map[string]string{
		"data_fine": exemption.DateOf(time.Now()).AddDate(2, 0, 0).Format("02/01/2006"), "chiave": "k", "versione": "1"})
	require.Equal(t, http.StatusForbidden, resp)
	ex, err := w.Store().ExemptionByID(context.Background(), w.soon)
	require.NoError(t, err)
	require.Equal(t, 1, ex.Version, "nothing changed")
	// The workflow refuses it too, whatever the web layer does.
	end := exemption.DateOf(time.Now()).AddDate(2, 0, 0)
	_, err = w.Exemptions.ChangeEndDate(context.Background(), w.fromPractice, workflows.ChangeEndDate{
		Actor:   access.Actor{FiscalCode: w.opCN2.FiscalCode, Role: access.OperatoreASL, ASL: apptest.ASLCN2},
		EndDate: &end, RequestID: "cn2-direct"})
	var refusal *refusal.Refusal
	require.ErrorAs(t, err, &refusal)
	require.Equal(t, workflows.CodeExemptionScope, refusal.Code)
}

func queryExemption(t *testing.T, e *apptest.Env, id int64) workflows.ExemptionState {
	v, err := e.App.Temporal.QueryWorkflow(context.Background(), exemption.WorkflowID(id), "", workflows.QueryState)
	require.NoError(t, err)
	var st workflows.ExemptionState
	require.NoError(t, v.Get(&st))
	return st
}

// postForm logs in over HTTP and posts a form, and
// returns the status.
func (w *exemptionWorld) postForm(t *testing.T, username, path string, fields map[string]string) int {
	ui := &uiWorld{Env: w.Env}
	form := map[string][]string{}
	for k, v := range fields {
		form[k] = []string{v}
	}
	resp := ui.postWithSession(t, username, path, form)
	resp.Body.Close()
	return resp.StatusCode
}

func TestNewExemptionWizard(t *testing.T) {
	w := newExemptionWorld(t)
	ctx := context.Background()
	b := w.browser(t, "operatore.to3")
	b.Visit("/esenzioni")
	b.Click("#nuova-esenzione")
	b.Fill("#cf", w.verdi.FiscalCode)
	b.Click("#cerca")
	require.Contains(t, b.Text("[data-testid=assistiti]"), "VERDI")
	b.Click("[data-testid=assistiti] a")
	require.Contains(t, b.Text("[data-testid=anagrafica]"), w.verdi.FiscalCode)
	b.Click("#procedi")

	// Tipologia, diagnosis, code: the code follows from the diagnosis.
	b.Select("#categoria", "MC")
	b.Select("#diagnosi", "2535") // htmx refreshes the step with the codes of the diagnosis
	b.WaitFor(`document.querySelector("#codice").value === "012" && !document.querySelector(".htmx-request")`)
	b.Click("#conferma-passo")
	// End date: 012 has no end by default; the operator sets one.
	// Typing a date with «Senza scadenza» pre-ticked (issue 14, point 4)
	// unticks the box: the date is taken, not refused and emptied.
	require.True(t, b.Checked("#senza_scadenza"))
	b.Fill("#data_fine", exemption.DateOf(time.Now()).AddDate(2, 0, 0).Format("02/01/2006"))
	require.False(t, b.Checked("#senza_scadenza"))
	// The date can be picked too (deliver 4): the «Calendario» button opens
	// the browser's date picker, whose choice comes back as gg/mm/aaaa.
	require.True(t, b.Exists(".calendario button.calendario-apri"))
	b.RequireInteractive(".calendario button.calendario-apri")
	end := exemption.DateOf(time.Now()).AddDate(1, 0, 0)
	b.Eval(fmt.Sprintf(`(function(p){ p.value = %q; p.dispatchEvent(new Event("change", {bubbles: true})); })(document.querySelector(".calendario-nativo"))`,
		end.Format("2006-01-02")))
	require.Equal(t, end.Format("02/01/2006"), b.Value("#data_fine"))
	b.Click("#conferma-passo")
	require.True(t, b.Exists("#aggiungi"), "on to the documents")
	// Documents: a signed clinical record.
	b.Select("#tipo", "CARTELLA_CLINICA")
	b.Fill("#data_rilascio", "15/11/2026")
	b.Upload("#file", "cartella-clinica.pdf", w.SignedPDF("Cartella clinica"))
	b.Click("#aggiungi")
	require.Contains(t, b.Text("[data-testid=documenti-da-confermare]"), "cartella-clinica.pdf")
	b.Click("#conferma-passo")
	summary := b.Text("[data-testid=riepilogo]")
	require.Contains(t, summary, "012")
	require.Contains(t, summary, "2535")
	require.Contains(t, summary, "cartella-clinica.pdf")
	require.Contains(t, summary, "CARTELLA CLINICA ELETTRONICA")
	require.Contains(t, b.Text("[data-testid=riepilogo-scadenza]"), end.Format("02/01/2006"))
	b.Click("#conferma-esenzione")

	require.Equal(t, "Validata", b.Text("[data-testid=stato-esenzione]"))
	require.Equal(t, "7", b.Text("[data-testid=numero-prestazioni]"))
	number := strings.Fields(b.Text("[data-testid=numero]"))[0]
	_, err := practice.ParseNumber(number)
	require.NoError(t, err)
	require.True(t, b.Exists("#scarica-promemoria") && b.Exists("#nuova-esenzione") && b.Exists("#torna-home"))
	loc := b.Location()

	// Confirming twice issues one exemption.
	draft := strings.Split(strings.TrimPrefix(loc, w.URL+"/esenzioni/nuova/"), "/")[0]
	status := w.postForm(t, "operatore.to3", "/esenzioni/nuova/"+draft+"/conferma", nil)
	require.Equal(t, http.StatusSeeOther, status)
	rows, err := w.Store().ExemptionsOf(ctx, w.verdi.FiscalCode)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, "012", rows[0].ExemptionCode)
	require.Equal(t, number, *rows[0].PracticeNumber)
	docs, err := w.Store().ExemptionAttachments(ctx, rows[0].ID)
	require.NoError(t, err)
	require.Len(t, docs, 1, "the draft's document belongs to the exemption")

	// A second valid exemption with the same code is refused.
	b.Visit("/esenzioni/nuova/assistito?cf=" + w.verdi.FiscalCode)
	require.Contains(t, b.Text("[data-testid=esenzioni-assistito]"), "012")
	b.Click("#procedi")
	b.Select("#categoria", "MC")
	b.Select("#diagnosi", "2535")
	b.WaitFor(`document.querySelector("#codice").value === "012" && !document.querySelector(".htmx-request")`)
	b.Click("#conferma-passo")
	require.Contains(t, b.Text("#codice-errore"), "già un'esenzione valida con codice 012")

	// Another ASL's resident cannot get one from a TO3 operator.
	b.Visit("/esenzioni/nuova/assistito?cf=" + w.neri.FiscalCode)
	require.False(t, b.Exists("#procedi"))
	require.Contains(t, b.Text("main"), "solo agli assistiti residenti nella tua ASL")
}

func TestNotificationsPanel(t *testing.T) {
	w := newExemptionWorld(t)
	ctx := context.Background()
	require.NoError(t, w.Store().CreateNotification(ctx, "k1", apptest.ASLTO3, "SCADENZA",
		"Esenzione 042 in scadenza il 31/12/2026", "Esenzione n. 7", fmt.Sprintf("/esenzioni/%d", w.soon)))
	require.NoError(t, w.Store().CreateNotification(ctx, "k2", apptest.ASLCN2, "SCADENZA",
		"Esenzione 044 in scadenza il 01/01/2027", "Esenzione n. 8", "/esenzioni/8"))
	b := w.browser(t, "operatore.to3")
	b.Visit("/")
	require.Equal(t, "1", b.Text("[data-testid=notifiche-non-lette]"))
	require.Contains(t, b.Text("#notifiche-personali"), "Nessun messaggio disponibile")
	b.Press("#tab-altre")
	other := b.Text("#notifiche-altre")
	require.Contains(t, other, "Esenzione 042 in scadenza")
	require.NotContains(t, other, "044", "another ASL's notification is not shown")
	b.Visit("/notifiche")
	b.Visit("/")
	require.False(t, b.Exists("[data-testid=notifiche-non-lette]"), "read once seen")
}

// download fetches path with the browser's session, as a click on a
// download link does.
func download(t *testing.T, b *browser.Browser, path string) (*http.Response, []byte) {
	req, err := http.NewRequest(http.MethodGet, b.Base+path, nil)
	require.NoError(t, err)
	for _, c := range b.Cookies() {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func TestPromemoriaPDF(t *testing.T) {
	w := newExemptionWorld(t)
	b := w.browser(t, "operatore.to3")
	b.Visit(fmt.Sprintf("/esenzioni/%d", w.expired))
	href := b.Attribute("#scarica-promemoria", "href")
	resp, pdf := download(t, b, href)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment; filename=\"promemoria-esenzione-AURA-2.pdf\"")
	text := pdftotext(t, pdf)
	flat := strings.Join(strings.Fields(text), " ")
	require.Contains(t, flat, "PROMEMORIA ATTESTATO DI SINGOLA ESENZIONE PER PATOLOGIA")
	require.Contains(t, flat, "AURA-2")
	require.Contains(t, flat, w.rossi.FiscalCode)
	require.Contains(t, flat, "ROSSI")
	require.Contains(t, flat, "ASL TO3")
	require.Contains(t, flat, "067")
	// Every one of the 663 exempt services is printed.
	services, err := w.Store().ExemptServices(context.Background(), "067", "7109", time.Now())
	require.NoError(t, err)
	require.Len(t, services, 663)
	// The PDF's embedded UTF-8 font prints the descriptions as they are
	// (≥, ≤, accented letters).
	for _, s := range services {
		require.Contains(t, flat, strings.Join(strings.Fields(s.Description), " "), "service %s", s.Code)
	}
}

func pdftotext(t *testing.T, pdf []byte) string {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		testenv.Missing(t, "pdftotext (poppler-utils) is not installed")
	}
	f := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(f, pdf, 0o644))
	out, err := exec.Command(bin, f, "-").CombinedOutput()
	require.NoError(t, err, string(out))
	return string(out)
}
