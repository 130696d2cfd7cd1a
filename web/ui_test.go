package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
	"esenzioni/store"
	"esenzioni/workflows"
)

// uiWorld is an application with operators and practices to browse.
type uiWorld struct {
	*apptest.Env
	opTO3, opCN2, admin  store.Operator
	rossi, bianchi, neri store.Beneficiary
	// practices of TO3: sent (044), in progress (042), closed (rejected);
	// one of CN2.
	sent, inProgress, rejected, cn2 string
}

func newUIWorld(t *testing.T) *uiWorld {
	e := apptest.New(t, apptest.Options{})
	w := &uiWorld{Env: e}
	w.opTO3 = e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	w.opCN2 = e.Operator("operatore.cn2", apptest.Profile(access.OperatoreASL, apptest.ASLCN2, "DISTRETTO BRA"))
	w.admin = e.Operator("amministratore",
		apptest.Profile(access.Amministratore, "", "CSI PIEMONTE"),
		apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	w.rossi = e.Person("MARIO", "ROSSI", apptest.ASLTO3, "")
	w.bianchi = e.Person("LUCIA", "BIANCHI", apptest.ASLTO3, "")
	w.neri = e.Person("PAOLO", "NERI", apptest.ASLCN2, "")
	w.sent = e.Submit(w.rossi, "044", "2960")
	w.inProgress = e.Submit(w.bianchi, "042", "5771")
	w.rejected = e.Submit(w.bianchi, "067", "7109")
	w.cn2 = e.Submit(w.neri, "044", "2960")
	actor := access.Actor{FiscalCode: w.opTO3.FiscalCode, Role: access.OperatoreASL, ASL: apptest.ASLTO3}
	e.Act(w.inProgress, practice.Take, actor)
	e.Act(w.rejected, practice.Reject, actor, func(c *workflows.PracticeCommand) { c.ReasonCode = "REQUISITI_NON_SUFFICIENTI" })
	return w
}

func (w *uiWorld) browser(t *testing.T, username string) *browser.Browser {
	b := browser.New(t, w.URL)
	b.Login(username, apptest.Password, apptest.PIN)
	require.Contains(t, b.Location(), "/", "logged in")
	require.True(t, b.Exists("#esci"), "logged in as %s", username)
	return b
}

func TestLogin(t *testing.T) {
	w := newUIWorld(t)
	t.Run("good credentials show the profile, services and notifications", func(t *testing.T) {
		b := w.browser(t, "operatore.to3")
		require.Contains(t, b.Text("[data-testid=ruolo]"), "Operatore")
		require.Equal(t, "ASL TO3", b.Text("[data-testid=asr]"))
		require.Contains(t, b.Text("[data-testid=servizi]"), "Servizio on line per la gestione ed il rilascio delle esenzioni per patologia")
		require.Contains(t, b.Text("[data-testid=notifiche]"), "Nessun messaggio disponibile")
		require.False(t, b.Exists("#profilo"), "one profile: no «Cambia»")
		for _, c := range b.Cookies() {
			if c.Name == "esenzioni_sessione" {
				require.True(t, c.HTTPOnly)
				require.Equal(t, "Lax", c.SameSite.String())
			}
		}
	})
	t.Run("several profiles can be switched", func(t *testing.T) {
		b := w.browser(t, "amministratore")
		require.Contains(t, b.Text("[data-testid=ruolo]"), "Amministratore")
		b.Select("#profilo", b.OptionValue("#profilo", 1))
		b.Click("form[action='/profilo'] button")
		require.Contains(t, b.Text("[data-testid=ruolo]"), "Operatore")
		require.Equal(t, "ASL TO3", b.Text("[data-testid=asr]"))
	})
	t.Run("a wrong PIN gets the generic message", func(t *testing.T) {
		b := browser.New(t, w.URL)
		b.Login("operatore.cn2", apptest.Password, "000000")
		msg := b.Text("#errore-accesso")
		require.Contains(t, msg, "verifica nome utente, password e PIN")
		require.False(t, b.Exists("#esci"))
	})
	t.Run("after five failures logins are slowed down, and the operator is told", func(t *testing.T) {
		w.Operator("rallentato", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "X"))
		b := browser.New(t, w.URL)
		for i := 0; i < 6; i++ {
			b.Login("rallentato", apptest.Password, "111111")
		}
		require.Contains(t, b.Text("#errore-accesso"), "temporaneamente bloccata. Riprova tra")
		b.Login("rallentato", apptest.Password, apptest.PIN)
		require.False(t, b.Exists("#esci"), "right credentials wait for the delay")
	})
	t.Run("logout ends the session", func(t *testing.T) {
		b := w.browser(t, "operatore.to3")
		b.Click("#esci")
		b.Visit("/pratiche/da-fare")
		require.Contains(t, b.Location(), "/login")
	})
}

func TestPracticeTabsAndFilters(t *testing.T) {
	w := newUIWorld(t)
	b := w.browser(t, "operatore.to3")
	b.Visit("/pratiche/da-fare")
	require.Equal(t, "Risultati trovati: 2", b.Text("[data-testid=totale]"), "TO3 to do: sent and in progress, not CN2's")
	require.Contains(t, b.Text("[data-testid=pratiche]"), w.sent)
	require.NotContains(t, b.Text("[data-testid=pratiche]"), w.cn2)
	require.Contains(t, b.Text("#gdpr"), "Ai sensi del GDPR")

	submit := func(fields map[string]string) {
		b.Visit("/pratiche/da-fare")
		for sel, v := range fields {
			if strings.HasPrefix(sel, "select") {
				b.Select(sel[len("select"):], v)
			} else {
				b.Fill(sel, v)
			}
		}
		b.Click("#cerca")
	}
	search := func(fields map[string]string) string {
		submit(fields)
		return b.Text("[data-testid=totale]")
	}
	require.Equal(t, "Risultati trovati: 1", search(map[string]string{"select#stato": "INVIATA"}))
	require.Contains(t, b.Location(), "stato=INVIATA", "filters are in the URL")
	require.Equal(t, "Risultati trovati: 1", search(map[string]string{"select#stato": "IN_LAVORAZIONE"}))
	require.Equal(t, "Risultati trovati: 1", search(map[string]string{"select#codice": "044"}))
	require.Equal(t, "Risultati trovati: 1", search(map[string]string{"#cognome": "ros"}), "surname prefix, any case")
	require.Equal(t, "Risultati trovati: 1", search(map[string]string{"#nome": "LUCIA"}))
	require.Equal(t, "Risultati trovati: 1", search(map[string]string{"#cf": strings.ToLower(w.rossi.FiscalCode)}))
	today := exemption.DateOf(time.Now()).Format("02/01/2006")
	require.Equal(t, "Risultati trovati: 2", search(map[string]string{"#da": today, "#a": today}))
	require.Equal(t, "Risultati trovati: 0", search(map[string]string{"#da": "01/01/2020", "#a": "31/12/2020"}))
	require.Contains(t, b.Text("[data-testid=nessun-risultato]"), "Non esistono pratiche")
	require.True(t, b.Exists("#annulla-ricerca"))
	b.Click("#annulla-ricerca")
	require.Equal(t, "Risultati trovati: 2", b.Text("[data-testid=totale]"))

	// A bad date is refused with a message by the field, and the back
	// button returns to the previous search.
	submit(map[string]string{"#da": "32/13/2026"})
	require.Contains(t, b.Text("#da-errore"), "gg/mm/aaaa")
	b.Visit("/pratiche/da-fare?cognome=BIANCHI")
	b.Visit("/pratiche/chiuse")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))
	b.Back()
	require.Contains(t, b.Location(), "cognome=BIANCHI")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))

	b.Visit("/pratiche/chiuse")
	b.Select("#stato", "RESPINTA")
	b.Click("#cerca")
	require.Equal(t, "Risultati trovati: 1", b.Text("[data-testid=totale]"))
	require.Contains(t, b.Text("[data-testid=pratiche]"), w.rejected)
	// The detail's "Indietro" goes back to the list with its filters.
	b.Click(`[data-testid=pratiche] tbody a[href="/pratiche/` + w.rejected + `"]`)
	require.Contains(t, b.Location(), "/pratiche/"+w.rejected)
	require.Contains(t, b.Attribute("#indietro", "href"), "stato=RESPINTA")
}

func TestTakeValidateRejectInTheBrowser(t *testing.T) {
	w := newUIWorld(t)
	ctx := context.Background()
	b := w.browser(t, "operatore.to3")

	// Take in charge with notes.
	b.Visit("/pratiche/" + w.sent)
	require.Equal(t, "INVIATA", strings.ToUpper(b.Text("[data-testid=stato]")))
	require.True(t, b.Exists("#prendi") && b.Exists("#valida") && b.Exists("#respingi"))
	require.Equal(t, "29", b.Text("[data-testid=numero-prestazioni]"))
	b.Fill("#nota_beneficiario", "Documenti ricevuti")
	b.Fill("#nota_interna", "Controllare il timbro")
	b.Click("#prendi")
	require.Contains(t, b.Text(".alert-success"), "Pratica "+w.sent+" presa in carico con successo")
	require.Equal(t, "In lavorazione", b.Text("[data-testid=stato-pratica]"))
	require.False(t, b.Exists("#prendi"), "no take button once taken")
	hist := b.Text("[data-testid=cronologia]")
	require.Contains(t, hist, "Documenti ricevuti")
	require.Contains(t, hist, "Controllare il timbro")
	require.Contains(t, hist, w.opTO3.FiscalCode)
	require.Contains(t, hist, "OPERATORE_ASL_DISTRETTO")

	// Validate: the practice has no certificate, so «Valida» warns first
	// (issue 14, point 7).
	validateWithoutCertificate(b)
	require.Contains(t, b.Text(".alert-success"), "validata con successo")
	require.Equal(t, "Validata", b.Text("[data-testid=stato-pratica]"))
	require.NotEmpty(t, b.Text("[data-testid=disponibile-fino-al]"))
	p, err := w.Store().PracticeByNumber(ctx, w.sent)
	require.NoError(t, err)
	require.Equal(t, "VALIDATA", p.State)

	// Take and validate in one step: two history rows.
	other := w.Submit(w.rossi, "042", "5771")
	b.Visit("/pratiche/" + other)
	validateWithoutCertificate(b)
	require.Equal(t, "Validata", b.Text("[data-testid=stato-pratica]"))
	events, err := w.Store().PracticeEvents(ctx, other)
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.Equal(t, "IN_LAVORAZIONE", events[1].State)
	require.Equal(t, "VALIDATA", events[0].State)

	// Reject: a reason is mandatory.
	b.Visit("/pratiche/" + w.inProgress)
	b.Press("#respingi")
	require.Contains(t, b.Text("#titolo-respingi"), "Sei sicuro di voler respingere la pratica "+w.inProgress+"?")
	b.Click("#conferma-respingi-si")
	require.Contains(t, b.Text("#motivazione-errore"), "obbligatorio")
	require.Equal(t, "In lavorazione", b.Text("[data-testid=stato-pratica]"))
	b.Select("#motivazione", "REQUISITI_NON_SUFFICIENTI")
	b.Click("#conferma-respingi-si")
	require.Equal(t, "Pratica "+w.inProgress+" respinta con successo", b.Text(".alert-success"))
	require.Equal(t, "RESPINTA - REQUISITI NON SUFFICIENTI", b.Text("[data-testid=stato]"))
	require.NotEmpty(t, b.Text("[data-testid=respinta-il]"))
	require.False(t, b.Exists("#azioni"), "no actions on a closed practice")
}

func TestConflictWhenAnotherOperatorActedFirst(t *testing.T) {
	w := newUIWorld(t)
	b := w.browser(t, "operatore.to3")
	b.Visit("/pratiche/" + w.sent)
	// Meanwhile an administrator takes it.
	w.Act(w.sent, practice.Take, access.Actor{FiscalCode: w.admin.FiscalCode, Role: access.Amministratore})
	b.Fill("#nota_beneficiario", "Nota per il cittadino")
	b.Fill("#nota_interna", "Nota interna del distretto")
	validateWithoutCertificate(b)
	require.Contains(t, b.Text(".alert-danger"), "modificata da un altro operatore")
	require.Equal(t, "In lavorazione", b.Text("[data-testid=stato-pratica]"), "the page shows the current state")
	// What the operator typed is still there, and the address bar names the
	// practice, not the action (issue 14, point 6).
	require.Equal(t, "Nota per il cittadino", b.Value("#nota_beneficiario"))
	require.Equal(t, "Nota interna del distretto", b.Value("#nota_interna"))
	require.Equal(t, w.URL+"/pratiche/"+w.sent, b.Location())
	b.RequireInteractive("#salva-nota")
	b.RequireNoConsoleErrors()
}

func TestCronologiaDialog(t *testing.T) {
	w := newUIWorld(t)
	b := w.browser(t, "operatore.to3")
	b.Visit("/pratiche/da-fare?cognome=BIANCHI")
	b.Press("[data-numero='" + w.inProgress + "'] a[hx-get$='/cronologia']")
	b.Run(chromedp.WaitVisible(chromedp.CSS("#modale-cronologia")))
	text := b.Text("#modale-cronologia")
	require.Contains(t, text, "CRONOLOGIA")
	require.Contains(t, text, "In lavorazione")
	require.Contains(t, text, "Inviata")
	require.Contains(t, text, "MEDICO_SPECIALISTA")
}

func TestOtherASLIsNotFound(t *testing.T) {
	w := newUIWorld(t)
	b := w.browser(t, "operatore.to3")
	b.Visit("/pratiche/" + w.cn2)
	require.Contains(t, b.Text("main"), "Pratica non trovata")
	require.NotContains(t, b.Text("main"), "NERI", "nothing of the practice is revealed")
	// And acting on it is refused the same way.
	resp := w.postWithSession(t, "operatore.to3", "/pratiche/"+w.cn2+"/azioni/prendi", url.Values{"versione": {"1"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	p, err := w.Store().PracticeByNumber(context.Background(), w.cn2)
	require.NoError(t, err)
	require.Equal(t, "INVIATA", p.State)
	// A regional administrator sees it.
	a := w.browser(t, "amministratore")
	a.Visit("/pratiche/" + w.cn2)
	require.Contains(t, a.Text("[data-testid=beneficiario]"), "NERI")
}

// postWithSession logs in over HTTP and posts a form, as a browser would
// from one of the application's pages; headers are name, value pairs.
func (w *uiWorld) postWithSession(t *testing.T, username, path string, form url.Values, headers ...string) *http.Response {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(w.URL+"/login", url.Values{"username": {username},
		"password": {apptest.Password}, "pin": {apptest.PIN}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	req, _ := http.NewRequest(http.MethodPost, w.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err = c.Do(req)
	require.NoError(t, err)
	return resp
}

// postMultipart logs in and posts a multipart form; headers are name, value
// pairs.
func (w *uiWorld) postMultipart(t *testing.T, username, path string, fields map[string]string, headers ...string) int {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(w.URL+"/login", url.Values{
		"username": {username}, "password": {apptest.Password}, "pin": {apptest.PIN}})
	require.NoError(t, err)
	resp.Body.Close()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	require.NoError(t, mw.Close())
	req, _ := http.NewRequest(http.MethodPost, w.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

// TestCSRFIsRefused: a state-changing request that a browser sends from
// another origin (another site, or another port of this host) is refused
// with the Italian page, whatever its body, before anything happens; the
// API answers it with its error code. Requests without the browser's
// origin headers (the forms of every other test, the API's clients) pass.
func TestCSRFIsRefused(t *testing.T) {
	w := newUIWorld(t)
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "https://evil.example"},
		{"Origin", "http://127.0.0.1:1"},
	} {
		resp := w.postWithSession(t, "operatore.to3", "/pratiche/"+w.sent+"/azioni/prendi", url.Values{"versione": {"1"}}, h...)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "%v", h)
		require.Contains(t, string(body), "non è stata accettata", "%v", h)
	}
	p, err := w.Store().PracticeByNumber(context.Background(), w.sent)
	require.NoError(t, err)
	require.Equal(t, "INVIATA", p.State, "nothing happened")

	// A multipart body is refused the same way.
	status := w.postMultipart(t, "operatore.to3", "/pratiche/"+w.sent+"/azioni/prendi", map[string]string{"versione": "1"},
		"Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, status)
	p, err = w.Store().PracticeByNumber(context.Background(), w.sent)
	require.NoError(t, err)
	require.Equal(t, "INVIATA", p.State)

	// The API: refused with its code when a browser sends it from another
	// origin.
	token := w.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, apptest.FiscalCode("MEDICO", "CSRF", 'M'))
	req, _ := http.NewRequest(http.MethodPost, w.URL+"/api/v1/practices/"+w.sent+"/cancel", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, string(raw))
	require.Contains(t, string(raw), "request.cross_origin")

	// In the browser: a page of another origin (another port of this
	// host) that posts the practice's form.
	evil := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(rw, `<!doctype html><title>x</title><form method="post" action="`+w.URL+"/pratiche/"+w.sent+
			`/azioni/prendi"><input type="hidden" name="versione" value="1"><button id="attacca">Vai</button></form>`)
	}))
	defer evil.Close()
	b := w.browser(t, "operatore.to3")
	b.Run(chromedp.Navigate(evil.URL), chromedp.WaitReady(chromedp.CSS("#attacca")))
	b.Run(chromedp.Click(chromedp.CSS("#attacca")), chromedp.WaitReady(chromedp.CSS("main")))
	require.Contains(t, b.Text("main"), "non è stata accettata")
	p, err = w.Store().PracticeByNumber(context.Background(), w.sent)
	require.NoError(t, err)
	require.Equal(t, "INVIATA", p.State)
}

func TestAuditExport(t *testing.T) {
	w := newUIWorld(t)
	b := w.browser(t, "operatore.to3")
	b.Visit("/pratiche/da-fare?cf=" + w.rossi.FiscalCode)
	b.Visit("/pratiche/" + w.sent)
	b.Click("#prendi")
	// Another ASL's operator cannot export.
	resp := w.postWithSession(t, "operatore.cn2", "/logout", url.Values{})
	resp.Body.Close()

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(w.URL+"/login", url.Values{
		"username": {"amministratore"}, "password": {apptest.Password}, "pin": {apptest.PIN}})
	require.NoError(t, err)
	resp.Body.Close()
	resp, err = c.Get(w.URL + "/amministrazione/accessi.csv?cf=" + w.rossi.FiscalCode)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Disposition"), "accessi-"+w.rossi.FiscalCode+".csv")
	raw, _ := io.ReadAll(resp.Body)
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	require.NoError(t, err)
	require.Equal(t, "Data e ora", rows[0][0])
	actions := map[string]bool{}
	for _, row := range rows[1:] {
		actions[row[4]] = true
		require.Equal(t, w.opTO3.FiscalCode, row[1], "only the TO3 operator accessed Rossi's data")
		require.Equal(t, "OK", row[7])
		// Every row, the action's too (written by the workflow with its
		// projection), says with which profile and from where.
		require.Equal(t, "OPERATORE_ASL_DISTRETTO", row[2], "%v", row)
		require.NotEmpty(t, row[3], "%v", row)
		require.NotEmpty(t, row[6], "%v", row)
		if row[4] == "AZIONE_PRATICA" {
			require.Equal(t, w.sent, row[5])
		}
	}
	for _, a := range []string{"RICERCA_PRATICHE", "DETTAGLIO_PRATICA", "AZIONE_PRATICA"} {
		require.True(t, actions[a], "the export lists %s: %v", a, actions)
	}
}

// validateWithoutCertificate presses «Valida» on a practice with no
// certificate: a dialog warns, and «Sì, valida senza certificato» sends.
func validateWithoutCertificate(b *browser.Browser) {
	b.T.Helper()
	b.Press("#valida")
	b.WaitFor(`(function(m){ return !!m && m.classList.contains("show") && m.contains(document.activeElement); })(document.querySelector("#conferma-valida"))`)
	require.Contains(b.T, b.Text("#titolo-valida"), "non ha un certificato allegato")
	b.Click("#conferma-valida-si")
}
