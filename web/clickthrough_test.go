package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
)

// TestOperatorOpensPracticesByClicking walks the main path as an operator
// does: from the home page, by clicking links, pagination and Back, never by
// typing a URL. Opening a practice from the list must show the practice,
// usable at once (no dialog left open, no inert page), and no page may
// report a JavaScript error.
func TestOperatorOpensPracticesByClicking(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	op := access.Actor{Role: access.OperatoreASL, ASL: apptest.ASLTO3}
	// 23 open practices: more than a page (20), the oldest in progress.
	var numbers []string
	for i := 0; i < 23; i++ {
		p := e.Person("ANNA", "CLIC"+strings.Repeat("A", i%5)+string(rune('B'+i)), apptest.ASLTO3, "")
		numbers = append(numbers, e.Submit(p, "044", "2960"))
	}
	e.Act(numbers[0], practice.Take, op)

	b := browser.New(t, e.URL)
	b.Visit("/") // the one address typed: the home page, which asks to log in
	require.Contains(t, b.Location(), "/login")
	b.Fill("#username", "operatore.to3")
	b.Fill("#password", apptest.Password)
	b.Fill("#pin", apptest.PIN)
	b.Click("#accedi")
	b.ClickLink("[data-testid=servizi]", "Servizio on line per la gestione ed il rilascio delle esenzioni per patologia.")
	require.Equal(t, "Pratiche da fare", b.Text(".nav-tabs .nav-link.active"))
	require.Equal(t, "Risultati trovati: 23", b.Text("[data-testid=totale]"))
	b.RequireInteractive()

	// Page 1 holds the newest; the second page the oldest three, among
	// them the practice in progress.
	b.Click("#pagina-successiva")
	require.Contains(t, b.Text("[data-testid=pratiche]"), numbers[0])
	b.RequireInteractive()

	// Open the practice in progress from its state link on page 2.
	b.Click(fmt.Sprintf("tr[data-numero='%s'] a[href='/pratiche/%s']", numbers[0], numbers[0]))
	require.Equal(t, numbers[0], b.Text("[data-testid=numero]"))
	require.Equal(t, "In lavorazione", b.Text("[data-testid=stato-pratica]"))
	b.RequireInteractive("#nota_beneficiario", "#valida", "#respingi")

	// Back to page 2, then to page 1, and open a sent practice there.
	b.Back()
	require.Contains(t, b.Text("[data-testid=pratiche]"), numbers[0])
	b.RequireInteractive()
	b.Back()
	require.NotContains(t, b.Text("[data-testid=pratiche]"), numbers[0])
	b.RequireInteractive()
	newest := numbers[len(numbers)-1]
	b.Click(fmt.Sprintf("tr[data-numero='%s'] a[href='/pratiche/%s']", newest, newest))
	require.Equal(t, "Inviata", b.Text("[data-testid=stato-pratica]"))
	b.RequireInteractive("#nota_beneficiario", "#nota_interna", "#prendi")

	// The page answers: the typed note goes with «Prendi in carico».
	b.Fill("#nota_beneficiario", "Presa in carico dal distretto")
	b.Click("#prendi")
	require.Equal(t, "In lavorazione", b.Text("[data-testid=stato-pratica]"))
	require.Contains(t, b.Text("#titolo-cronologia + *"), "Presa in carico dal distretto")
	b.RequireInteractive("#valida")

	// The reject dialog opens only when asked, and closes again.
	b.Press("#respingi")
	// The reject dialog opens on its button (ready once it holds the focus).
	b.WaitFor(`(function(m){ return !!m && m.classList.contains("show") && m.contains(document.activeElement); })(document.querySelector("#conferma-respingi"))`)
	b.Press("#conferma-respingi [data-bs-dismiss=modal]")
	b.WaitFor(`!document.querySelector(".modal.show") && !document.querySelector(".modal-backdrop")`)
	b.RequireInteractive("#valida")

	b.Click("#indietro")
	require.Equal(t, "Pratiche da fare", b.Text(".nav-tabs .nav-link.active"))
	b.RequireInteractive()
	b.RequireNoConsoleErrors()
}
