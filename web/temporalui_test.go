package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
	"esenzioni/internal/config"
	"esenzioni/internal/testenv"
)

// TestCodecInTheTemporalUI follows the README's supervisor steps in the
// real Web UI of the Temporal dev server, in Chromium: logged in to the
// application as a regional administrator, with the UI's codec set to the
// application's endpoint ("Use my browser setting", endpoint, "Include
// Cross-Origin Credentials"), the workflow page shows the decoded input.
// An ASL operator in the same setup sees the payload still encrypted, with
// no "Codec Server could not connect" banner (issue 14, point 10).
func TestCodecInTheTemporalUI(t *testing.T) {
	ui := testenv.Load(t).TemporalUIURL
	if ui == "" {
		testenv.Missing(t, "the Temporal dev server runs without its Web UI (ESENZIONI_TEST_TEMPORAL_UI_URL)")
	}
	// The application's cookie is for 127.0.0.1: the UI on the same host
	// (another port) is the same site, as localhost:8233 and :8080 are.
	ui = strings.Replace(ui, "//localhost:", "//127.0.0.1:", 1)
	e := apptest.New(t, apptest.Options{Configure: func(c *config.Config) { c.TemporalUIURL = ui }})
	e.Operator("amministratore", apptest.Profile(access.Amministratore, "", "CSI PIEMONTE"))
	opTO3 := e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	person := e.Person("MARIO", "ROSSI", apptest.ASLTO3, "")
	number := e.Submit(person, "044", "2960")
	workflowPage := ui + "/namespaces/" + e.Namespace + "/workflows/" + practice.WorkflowID(number)

	open := func(user string) *browser.Browser {
		b := browser.New(t, e.URL)
		b.Login(user, apptest.Password, apptest.PIN)
		// The UI's codec settings, as its «Codec Server» dialog saves them
		// in the browser: my browser setting, the endpoint, credentials.
		b.Run(chromedp.Navigate(ui + "/namespaces/" + e.Namespace + "/workflows"))
		b.Eval(`localStorage.setItem("overrideRemoteCodecConfiguration", "true");
			localStorage.setItem("endpoint", JSON.stringify("` + e.URL + `/codec"));
			localStorage.setItem("includeCredentials", "true");
			localStorage.setItem("passAccessToken", "false");`)
		b.Run(chromedp.Navigate(workflowPage))
		return b
	}

	admin := open("amministratore")
	admin.WaitFor(`document.body.innerText.includes("` + person.FiscalCode + `")`)
	require.NotContains(t, admin.Text("body"), "Codec Server could not connect")
	admin.Screenshot("amministratore")
	n, err := e.Store().DB.NewSelect().Table("audit_log").
		Where("action = 'CODEC' AND outcome = 'OK'").Count(context.Background())
	require.NoError(t, err)
	require.Positive(t, n, "the decode requests carried the administrator's session")

	op := open("operatore.to3")
	op.WaitFor(`document.body.innerText.includes("` + number + `") && document.readyState === "complete"`)
	op.WaitFor(`document.body.innerText.includes("encryption-key-id")`)
	op.Screenshot("operatore")
	require.NotContains(t, op.Text("body"), person.FiscalCode, "an operator reads no personal data")
	require.NotContains(t, op.Text("body"), "Codec Server could not connect")
	op.Run(chromedp.Reload())
	op.WaitFor(`document.body.innerText.includes("encryption-key-id")`)
	denials, err := e.Store().DB.NewSelect().Table("audit_log").
		Where("action = 'CODEC' AND outcome = 'NEGATO' AND operator_fc = ?", opTO3.FiscalCode).Count(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, denials, "one denial for the session, not one per page or payload")
}
