package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
)

// TestOperatorChecksAndFeedback: the checks and answers an operator
// expects (issue 14, points 7 and 8), each reached by clicking.
func TestOperatorChecksAndFeedback(t *testing.T) {
	w := newExemptionWorld(t)
	// VERDI has an open practice for 012: the wizard must not issue a
	// second 012 beside it.
	open := w.Submit(w.verdi, "012", "2535")
	b := w.browser(t, "operatore.to3")

	// A document issued tomorrow is refused with an Italian message;
	// today's is accepted; deleting it says so.
	b.Visit(fmt.Sprintf("/esenzioni/%d", w.fromPractice))
	b.Click("#modifica")
	today := exemption.DateOf(time.Now())
	b.Select("#tipo", "CERTIFICAZIONE_SPECIALISTICA")
	b.Fill("#data_rilascio", today.AddDate(0, 0, 1).Format("02/01/2006"))
	b.Upload("#file", "certificazione.pdf", w.SignedPDF("Certificazione"))
	b.Click("#aggiungi")
	require.Contains(t, b.Text("main"), "La data di rilascio non può essere nel futuro")
	require.False(t, b.Exists("[data-testid=documenti-da-confermare]"), "nothing staged")
	b.Select("#tipo", "CERTIFICAZIONE_SPECIALISTICA")
	b.Fill("#data_rilascio", today.Format("02/01/2006"))
	b.Fill("#data_validita", today.AddDate(0, 0, -1).Format("02/01/2006"))
	b.Upload("#file", "certificazione.pdf", w.SignedPDF("Certificazione"))
	b.Click("#aggiungi")
	require.Contains(t, b.Text("main"), "precede la data di rilascio")
	b.Fill("#data_validita", "")
	b.Upload("#file", "certificazione.pdf", w.SignedPDF("Certificazione"))
	b.Click("#aggiungi")
	require.Contains(t, b.Text("[data-testid=documenti-da-confermare]"), "certificazione.pdf")
	b.Click("[data-testid=documenti-da-confermare] tr:last-child button")
	require.Equal(t, "Documento eliminato: non sarà allegato.", b.Text(".alert-success"))
	b.RequireInteractive("#aggiungi")

	// The wizard: an empty search says what it needs.
	b.Click(".it-brand-wrapper a")
	b.Click(".nav-tabs a[href='/esenzioni']")
	b.Click("#nuova-esenzione")
	b.Click("#cerca")
	require.Contains(t, b.Text("#errore-ricerca"), "indica il codice fiscale, oppure nome e cognome")

	// A code with a practice already open for the person is refused, with
	// the practice to work instead.
	b.Fill("#cf", w.verdi.FiscalCode)
	b.Click("#cerca")
	b.Click("[data-testid=assistiti] a")
	b.Click("#procedi")
	b.Select("#categoria", "MC")
	b.Select("#diagnosi", "2535")
	b.WaitFor(`document.querySelector("#codice").value === "012" && !document.querySelector(".htmx-request")`)
	b.Click("#conferma-passo")
	require.Contains(t, b.Text("main"), "Esiste già una pratica aperta (n. "+open+")")
	b.RequireNoConsoleErrors()
}

// TestChangeToTheSameProfile: «Cambia» to the profile in use says nothing
// changed (issue 14, point 8).
func TestChangeToTheSameProfile(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Operator("multi",
		apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"),
		apptest.Profile(access.OperatoreASL, apptest.ASLCN2, "DISTRETTO BRA"))
	b := browser.New(t, e.URL)
	b.Login("multi", apptest.Password, apptest.PIN)
	before := b.Text("[data-testid=asr]")
	b.Click("#cambia-profilo")
	require.Contains(t, b.Text(".alert-info"), "già quello in uso")
	require.Equal(t, before, b.Text("[data-testid=asr]"))
	b.Select("#profilo", b.OptionValue("#profilo", 1))
	b.Click("#cambia-profilo")
	require.Contains(t, b.Text(".alert-success"), "Profilo di accesso cambiato")
	require.NotEqual(t, before, b.Text("[data-testid=asr]"))
}
