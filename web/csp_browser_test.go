package web_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPagesWorkUnderTheContentSecurityPolicy walks the pages that use
// scripts (htmx swaps, Bootstrap Italia's components, app.js) in Chromium
// with the policy on: every page works and no page reports an error, a
// refused inline script or style included (Chromium reports policy
// violations as console errors).
func TestPagesWorkUnderTheContentSecurityPolicy(t *testing.T) {
	w := newExemptionWorld(t)
	b := w.browser(t, "operatore.to3")

	b.Visit("/pratiche/chiuse")
	b.RequireInteractive()
	// An htmx swap: the full list of the exempt services.
	b.Visit("/esenzioni/" + strconv.FormatInt(w.fromPractice, 10))
	if b.Exists("#mostra-tutto") {
		b.Press("#mostra-tutto") // an htmx swap, not a navigation
		b.WaitFor(`!document.querySelector("#mostra-tutto") && !document.querySelector(".htmx-request")`)
	}
	b.RequireInteractive()

	// The wizard: htmx refreshes the step; «Senza scadenza» empties the
	// end date through app.js (it was an inline handler).
	b.Visit("/esenzioni/nuova/assistito?cf=" + w.verdi.FiscalCode)
	b.Click("#procedi")
	b.Select("#categoria", "MC")
	b.Select("#diagnosi", "2535")
	b.WaitFor(`document.querySelector("#codice").value === "012" && !document.querySelector(".htmx-request")`)
	b.Click("#conferma-passo")
	require.True(t, b.Checked("#senza_scadenza"))
	b.Press("#senza_scadenza")
	b.Fill("#data_fine", "01/01/2030")
	b.Press("#senza_scadenza")
	b.WaitFor(`document.querySelector("#senza_scadenza").checked && document.querySelector("#data_fine").value === ""`)
	b.RequireInteractive()
	b.RequireNoConsoleErrors()
}
