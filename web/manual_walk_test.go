package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
	"esenzioni/workflows"
)

// TestManualWalkByClicking walks the operator's manual from the login to
// the new-exemption wizard the way an operator does: the home URL is the
// only address typed (and the login form the only thing filled before the
// first click); every other screen is reached by links, buttons, dialogs,
// pagination and the browser's Back. After each step the page must answer
// (nothing left inert) and, at the end, no page may have reported a
// JavaScript error (issue 14, deliver 1). One application for the walk.
func TestManualWalkByClicking(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Operator("operatore.to3",
		apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"),
		apptest.Profile(access.OperatoreASL, apptest.ASLCN2, "DISTRETTO BRA"))
	op := access.Actor{FiscalCode: apptest.FiscalCode("COLLEGA", "ANNA", 'F'), Role: access.OperatoreASL, ASL: apptest.ASLTO3}
	rossi := e.Person("MARIO", "ROSSI", apptest.ASLTO3, "")
	bianchi := e.Person("LUCIA", "BIANCHI", apptest.ASLTO3, "")
	verdi := e.Person("GIUSEPPE", "VERDI", apptest.ASLTO3, "")
	// Pratiche da fare: 21 (two pages): ROSSI 044 sent, BIANCHI 042 in
	// progress, and 19 others. Pratiche chiuse: a validated and a rejected.
	toTake := e.Submit(rossi, "044", "2960")
	inProgress := e.Submit(bianchi, "042", "5771")
	e.Act(inProgress, practice.Take, op)
	for i := 0; i < 19; i++ {
		e.Submit(e.Person("ALDO", fmt.Sprintf("RIEMPI%c", 'A'+i), apptest.ASLTO3, ""), "067", "7109")
	}
	validated := e.Submit(bianchi, "067", "7109")
	e.Act(validated, practice.Validate, op)
	rejected := e.Submit(rossi, "042", "5771")
	e.Act(rejected, practice.Reject, op, func(c *workflows.PracticeCommand) { c.ReasonCode = "REQUISITI_NON_SUFFICIENTI" })

	b := browser.New(t, e.URL)
	step := func(controls ...string) {
		t.Helper()
		b.RequireInteractive(controls...)
		b.RequireNoConsoleErrors()
	}

	// 3.2 Login, then the home page: profile, services, notifications.
	b.Visit("/")
	require.Contains(t, b.Location(), "/login")
	step("#accedi")
	b.Fill("#username", "operatore.to3")
	b.Fill("#password", apptest.Password)
	b.Fill("#pin", apptest.PIN)
	b.Click("#accedi")
	require.Equal(t, "ASL TO3", b.Text("[data-testid=asr]"))
	step("#cambia-profilo")
	b.Press("#tab-altre")
	require.Contains(t, b.Text("#notifiche-altre"), "Nessun messaggio disponibile")
	b.ClickLink("", "Tutte le notifiche")
	step()
	b.Back()
	b.Click("#cambia-profilo") // «Cambia» to the profile in use
	require.Contains(t, b.Text(".alert-info"), "già quello in uso")
	step()

	// 3.2 The service: «Pratiche da fare», filters, results on two pages.
	b.ClickLink("[data-testid=servizi]", "Servizio on line per la gestione ed il rilascio delle esenzioni per patologia.")
	require.Equal(t, "Pratiche da fare", b.Text(".nav-tabs .nav-link.active"))
	require.Equal(t, "Risultati trovati: 21", b.Text("[data-testid=totale]"))
	step("#cerca")
	b.Click("#pagina-successiva")
	require.Contains(t, b.Text("[data-testid=paginazione]"), "Pagina 2 di 2")
	step()
	b.Click("[data-testid=paginazione] a[data-pagina='1']")
	require.Contains(t, b.Text("[data-testid=paginazione]"), "Pagina 1 di 2")
	b.Back()
	require.Contains(t, b.Text("[data-testid=paginazione]"), "Pagina 2 di 2")
	step()
	// Filter by state (the manual's «Inviata»/«In lavorazione») and name.
	b.Select("#stato", string(practice.InLavorazione))
	b.Click("#cerca")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))
	step()
	b.Fill("#cognome", "NESSUNO")
	b.Click("#cerca")
	require.Contains(t, b.Text("[data-testid=nessun-risultato]"), "Non esistono pratiche")
	step()
	b.Back()
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))
	b.Click("#annulla-ricerca")
	b.Fill("#cognome", "ROSSI")
	b.Click("#cerca")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))
	// The Azioni column: the cronologia dialog.
	b.Press(fmt.Sprintf("tr[data-numero='%s'] a[href$='/cronologia']", toTake))
	b.WaitFor(`(function(m){ return !!m && m.classList.contains("show") && m.contains(document.activeElement); })(document.querySelector("#modale-cronologia"))`)
	require.Contains(t, b.Text("#modale-cronologia"), "Inviata")
	b.Press("#modale-cronologia [data-bs-dismiss=modal]")
	b.WaitFor(`!document.querySelector(".modal.show") && !document.querySelector(".modal-backdrop")`)
	step()

	// 4 Presa in carico: click «Inviata», notes, «Prendi in carico».
	b.Click(fmt.Sprintf("tr[data-numero='%s'] a[href='/pratiche/%s']", toTake, toTake))
	require.Equal(t, "Inviata", b.Text("[data-testid=stato-pratica]"))
	step("#nota_beneficiario", "#prendi", "#respingi")
	b.Press("#mostra-tutto") // the exempt services, all of them
	step()
	b.Fill("#nota_beneficiario", "Documentazione completa")
	b.Fill("#nota_interna", "Verificato dal distretto")
	b.Click("#prendi")
	require.Equal(t, "In lavorazione", b.Text("[data-testid=stato-pratica]"))
	require.Contains(t, b.Text("[data-testid=cronologia]"), "Verificato dal distretto")
	step("#valida")
	// 5 Validazione (no certificate: the warning first).
	validateWithoutCertificate(b)
	require.Equal(t, "Validata", b.Text("[data-testid=stato-pratica]"))
	require.NotEmpty(t, b.Text("[data-testid=disponibile-fino-al]"))
	step()
	b.Click("#indietro") // a closed practice goes back to «Pratiche chiuse»
	require.Equal(t, "Pratiche chiuse", b.Text(".nav-tabs .nav-link.active"))
	step()

	// 6 Respingimento: the practice in progress, «Respingi», the reason.
	b.Click(".nav-tabs a[href='/pratiche/da-fare']")
	b.Select("#stato", string(practice.InLavorazione))
	b.Click("#cerca")
	b.Click(fmt.Sprintf("tr[data-numero='%s'] a[href='/pratiche/%s']", inProgress, inProgress))
	b.Press("#respingi")
	b.WaitFor(`(function(m){ return !!m && m.classList.contains("show") && m.contains(document.activeElement); })(document.querySelector("#conferma-respingi"))`)
	require.Contains(t, b.Text("#titolo-respingi"), "Sei sicuro di voler respingere la pratica "+inProgress+"?")
	b.Select("#motivazione", "REQUISITI_NON_SUFFICIENTI")
	b.Click("#conferma-respingi-si")
	require.Equal(t, "Pratica "+inProgress+" respinta con successo", b.Text(".alert-success"))
	require.Equal(t, "RESPINTA - REQUISITI NON SUFFICIENTI", b.Text("[data-testid=stato]"))
	step()
	b.Click("#indietro")
	step()

	// 3.2 «Pratiche chiuse»: the closed states, a closed practice.
	b.Click(".nav-tabs a[href='/pratiche/chiuse']")
	require.Equal(t, "Pratiche chiuse", b.Text(".nav-tabs .nav-link.active"))
	require.Equal(t, "Risultati trovati: 4", b.Text("[data-testid=totale]"))
	step()
	b.Select("#stato", string(practice.Respinta))
	b.Click("#cerca")
	require.Equal(t, "Risultati trovati: 2", b.Text("[data-testid=totale]"))
	b.Click(fmt.Sprintf("tr[data-numero='%s'] a[href='/pratiche/%s']", rejected, rejected))
	require.Equal(t, "Respinta", b.Text("[data-testid=stato-pratica]"))
	step()
	b.Back()
	b.Select("#stato", string(practice.Validata))
	b.Click("#cerca")
	b.Click(fmt.Sprintf("tr[data-numero='%s'] a[href='/pratiche/%s']", validated, validated))
	require.Equal(t, "Validata", b.Text("[data-testid=stato-pratica]"))
	step()

	// 7.1 Esenzioni: from the practice to its exemption, the services, the
	// promemoria; then the tab's search and the list.
	b.ClickLink("", "Vai all'esenzione")
	require.Equal(t, "Valida", b.Text("[data-testid=stato-esenzione]"))
	step("#modifica", "#scarica-promemoria")
	b.Press("#mostra-tutto")
	step()
	// «Scarica promemoria esenzione» gives the PDF (fetched as the link
	// would, without leaving the page for the browser's PDF viewer).
	b.Eval(`(function(a){ fetch(a.href, {credentials: "same-origin"}).then(function(r){
		window.__promemoria = r.ok && r.headers.get("Content-Type") === "application/pdf" ? "pdf" : "status " + r.status; }); })(document.querySelector("#scarica-promemoria"))`)
	b.WaitFor(`!!window.__promemoria`)
	require.True(t, b.True(`window.__promemoria === "pdf"`), "the promemoria is a PDF")
	b.Click(".it-brand-wrapper a")
	b.Click(".nav-tabs a[href='/esenzioni']")
	require.Equal(t, "Esenzioni", b.Text(".nav-tabs .nav-link.active"))
	step("#cerca")
	b.Click("#cerca") // nothing typed: the manual's mandatory surname or code
	require.Contains(t, b.Text("main"), "indica il cognome o il codice fiscale")
	step()
	b.Fill("#cognome", "BIANCHI")
	b.Click("#cerca")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))
	step()
	b.Click("[data-testid=esenzioni] a[href^='/esenzioni/']")
	require.Contains(t, b.Text("[data-testid=beneficiario]"), "BIANCHI")
	step("#modifica")
	b.Back()
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))
	step()

	// 7.2 Modifica: a renewal with a document, confirmed.
	b.Click("[data-testid=esenzioni] a[href^='/esenzioni/']")
	b.Click("#modifica")
	step("#data_fine", "#aggiungi", "#conferma")
	today := exemption.DateOf(time.Now())
	b.Select("#tipo", "CERTIFICAZIONE_SPECIALISTICA")
	b.Fill("#data_rilascio", today.Format("02/01/2006"))
	b.Upload("#file", "rinnovo.pdf", e.SignedPDF("Certificazione per il rinnovo"))
	b.Click("#aggiungi")
	require.Contains(t, b.Text("[data-testid=documenti-da-confermare]"), "rinnovo.pdf")
	step()
	b.Fill("#data_fine", today.AddDate(3, 0, 0).Format("02/01/2006"))
	b.Click("#conferma")
	require.Contains(t, b.Text(".alert-success"), "rinnovata")
	require.Equal(t, today.AddDate(3, 0, 0).Format("02/01/2006"), b.Text("[data-testid=disponibile-fino-al]"))
	step()

	// 7.3 Nuova esenzione: search, person, tipologia, scadenza, documenti,
	// riepilogo, esito.
	b.Click(".it-brand-wrapper a")
	b.Click(".nav-tabs a[href='/esenzioni']")
	b.Click("#nuova-esenzione")
	step("#cerca")
	b.Fill("#cognome", "VERDI")
	b.Fill("#nome", "GIUSEPPE")
	b.Click("#cerca")
	require.Contains(t, b.Text("[data-testid=assistiti]"), verdi.FiscalCode)
	step()
	b.Click("[data-testid=assistiti] a")
	require.Contains(t, b.Text("[data-testid=anagrafica]"), verdi.FiscalCode)
	step("#procedi")
	b.Back()
	require.Contains(t, b.Text("[data-testid=assistiti]"), verdi.FiscalCode)
	b.Click("[data-testid=assistiti] a")
	b.Click("#procedi")
	b.Select("#categoria", "MC")
	b.Select("#diagnosi", "2535")
	b.WaitFor(`document.querySelector("#codice").value === "012" && !document.querySelector(".htmx-request")`)
	step("#conferma-passo")
	b.Click("#conferma-passo")
	require.True(t, b.Checked("#senza_scadenza"))
	b.Fill("#data_fine", today.AddDate(1, 0, 0).Format("02/01/2006"))
	step("#conferma-passo")
	b.Click("#conferma-passo")
	b.Select("#tipo", "CARTELLA_CLINICA")
	b.Fill("#data_rilascio", today.Format("02/01/2006"))
	b.Upload("#file", "cartella.pdf", e.SignedPDF("Cartella clinica"))
	b.Click("#aggiungi")
	require.Contains(t, b.Text("[data-testid=documenti-da-confermare]"), "cartella.pdf")
	step("#conferma-passo")
	b.Click("#conferma-passo")
	summary := b.Text("[data-testid=riepilogo]")
	require.Contains(t, summary, "2535")
	require.Contains(t, summary, "cartella.pdf")
	step("#conferma-esenzione")
	b.Click("#conferma-esenzione")
	require.Equal(t, "Validata", b.Text("[data-testid=stato-esenzione]"))
	number := strings.Fields(b.Text("[data-testid=numero]"))[0]
	_, err := practice.ParseNumber(number)
	require.NoError(t, err)
	step("#scarica-promemoria", "#nuova-esenzione", "#torna-home")
	b.Click("#nuova-esenzione")
	step("#cerca")
	b.Back()
	b.Click("#torna-home")
	require.Equal(t, "Pratiche da fare", b.Text(".nav-tabs .nav-link.active"))
	step()

	// Logout.
	b.Click("#esci")
	require.Contains(t, b.Location(), "/login")
	step()
}
