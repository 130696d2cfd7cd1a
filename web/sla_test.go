package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
	"esenzioni/store"
)

// TestSLANoticeAndNumberedPages: practices waiting beyond SLA_DAYS in their
// state are counted on the home page per ASL and flagged "In ritardo" in
// the list, which numbers its pages with previous and next (issue 14,
// deliver 6 and 4). Everything by clicking from the home page.
func TestSLANoticeAndNumberedPages(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	e.Operator("amministratore", apptest.Profile(access.Amministratore, "", "CSI PIEMONTE"))
	var to3 []string
	for i := 0; i < 45; i++ {
		p := e.Person("ANNA", fmt.Sprintf("SLA%c%c", 'A'+i/26, 'A'+i%26), apptest.ASLTO3, "")
		to3 = append(to3, e.Submit(p, "044", "2960"))
		if i == 1 {
			// Taken early: its projection has long landed when it is aged.
			e.Act(to3[1], practice.Take, access.Actor{Role: access.OperatoreASL, ASL: apptest.ASLTO3})
		}
	}
	e.WaitPractice(to3[1], func(p store.Practice) bool { return p.State == string(practice.InLavorazione) })
	cn2 := e.Submit(e.Person("PAOLO", "SLACN", apptest.ASLCN2, ""), "044", "2960")
	// Three practices of TO3 (one in progress) and one of CN2 wait since 40
	// days; one of TO3 since 29 days (within the SLA).
	late := []string{to3[0], to3[1], to3[2], cn2}
	age := func(number string, days int) {
		_, err := e.Store().DB.ExecContext(context.Background(),
			"UPDATE practice SET state_since = now() - make_interval(days => ?) WHERE number = ?", days, number)
		require.NoError(t, err)
	}
	for _, n := range late {
		age(n, 40)
	}
	age(to3[3], 29)

	b := browser.New(t, e.URL)
	b.Visit("/")
	b.Fill("#username", "operatore.to3")
	b.Fill("#password", apptest.Password)
	b.Fill("#pin", apptest.PIN)
	b.Click("#accedi")
	require.Equal(t, "3", b.Text("[data-testid=ritardi-totale]"))
	require.Contains(t, b.Text("#pratiche-in-ritardo"), "pratiche ferme nello stesso stato da oltre 30 giorni")
	require.Contains(t, b.Text("[data-testid=ritardi-per-asl]"), "ASL TO3")
	require.NotContains(t, b.Text("[data-testid=ritardi-per-asl]"), "CN2", "an ASL operator sees only its ASL")
	b.Click("#pratiche-in-ritardo")
	require.Equal(t, "Risultati trovati: 3", b.Text("[data-testid=totale]"))
	require.True(t, b.Checked("#ritardo"))
	require.Equal(t, 3, b.Count("[data-testid=pratiche] tbody tr"))
	require.Equal(t, 3, b.Count("[data-testid=in-ritardo]"))
	b.RequireInteractive()

	// The whole to-do list: 45 practices on three numbered pages; only the
	// late ones flagged.
	b.Click("#annulla-ricerca")
	require.Equal(t, "Risultati trovati: 45", b.Text("[data-testid=totale]"))
	require.Contains(t, b.Text("[data-testid=paginazione]"), "Pagina 1 di 3")
	require.False(t, b.Exists("#pagina-precedente"), "no previous page on the first")
	require.Equal(t, 0, b.Count("[data-testid=in-ritardo]"), "the newest 20 are on time")
	b.Click("[data-testid=paginazione] a[data-pagina='3']")
	require.Contains(t, b.Text("[data-testid=paginazione]"), "Pagina 3 di 3")
	require.Equal(t, 5, b.Count("[data-testid=pratiche] tbody tr"))
	require.Equal(t, 3, b.Count("[data-testid=in-ritardo]"))
	require.Contains(t, b.Text(fmt.Sprintf("tr[data-numero='%s']", to3[3])), to3[3])
	require.False(t, b.Exists(fmt.Sprintf("tr[data-numero='%s'] [data-testid=in-ritardo]", to3[3])), "29 days: on time")
	require.False(t, b.Exists("#pagina-successiva"), "no next page on the last")
	b.Click("#pagina-precedente")
	require.Contains(t, b.Text("[data-testid=paginazione]"), "Pagina 2 di 3")
	b.Click("#pagina-successiva")
	require.Contains(t, b.Text("[data-testid=paginazione]"), "Pagina 3 di 3")
	b.Back()
	require.Contains(t, b.Text("[data-testid=paginazione]"), "Pagina 2 di 3")
	b.RequireInteractive()
	b.RequireNoConsoleErrors()

	// A regional administrator sees every ASL.
	a := browser.New(t, e.URL)
	a.Login("amministratore", apptest.Password, apptest.PIN)
	require.Equal(t, "4", a.Text("[data-testid=ritardi-totale]"))
	require.Contains(t, a.Text("[data-testid=ritardi-per-asl] tr[data-asl='"+apptest.ASLTO3+"']"), "2\t1")
	require.Contains(t, a.Text("[data-testid=ritardi-per-asl] tr[data-asl='"+apptest.ASLCN2+"']"), "1\t0")
}

// TestSLADaysConfigurable: SLA_DAYS moves the limit.
func TestSLADaysConfigurable(t *testing.T) {
	t.Setenv("SLA_DAYS", "5")
	e := apptest.New(t, apptest.Options{})
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	n := e.Submit(e.Person("ANNA", "SEIGIORNI", apptest.ASLTO3, ""), "044", "2960")
	_, err := e.Store().DB.ExecContext(context.Background(),
		"UPDATE practice SET state_since = ? WHERE number = ?", time.Now().Add(-6*24*time.Hour), n)
	require.NoError(t, err)
	client, _ := e.Login("operatore.to3")
	body := getPage(t, client, e.URL+"/")
	require.Contains(t, body, "1</strong> pratica ferma nello stesso stato da oltre 5 giorni")
}

func getPage(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	return string(body)
}
