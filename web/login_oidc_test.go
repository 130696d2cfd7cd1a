package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
	"esenzioni/internal/testenv"
)

// auditRow is a LOGIN/LOGOUT row of the audit log.
type auditRow struct {
	OperatorFC string         `bun:"operator_fc"`
	Action     string         `bun:"action"`
	Target     string         `bun:"target"`
	Outcome    string         `bun:"outcome"`
	Detail     map[string]any `bun:"detail,type:jsonb"`
}

func loginAudit(t *testing.T, e *apptest.Env) []auditRow {
	t.Helper()
	var rows []auditRow
	err := e.Store().DB.NewRaw(`SELECT operator_fc, action, target, outcome, detail FROM audit_log
		WHERE action IN ('LOGIN', 'LOGOUT') ORDER BY id`).Scan(context.Background(), &rows)
	require.NoError(t, err)
	return rows
}

// lastLogin is the latest LOGIN row.
func lastLogin(t *testing.T, e *apptest.Env) auditRow {
	t.Helper()
	rows := loginAudit(t, e)
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Action == "LOGIN" {
			return rows[i]
		}
	}
	t.Fatal("no LOGIN row in the audit log")
	return auditRow{}
}

// requireOnlyAuditKeys fails when a row holds anything besides the method,
// provider, level, fiscal code and reason (no token, no claim, no
// certificate).
func requireOnlyAuditKeys(t *testing.T, r auditRow) {
	t.Helper()
	for k, v := range r.Detail {
		switch k {
		case "metodo", "provider", "livello", "codice_fiscale", "motivo":
		default:
			t.Fatalf("audit detail %q = %v: only method, provider, level, fiscal code and reason may be stored", k, v)
		}
		if s, ok := v.(string); ok && len(s) > 80 {
			t.Fatalf("audit detail %q holds a long value (%d characters): a token?", k, len(s))
		}
	}
}

// navigate clicks sel, which leaves the application's pages (or comes back
// to them), and waits until cond holds.
func navigate(b *browser.Browser, sel, cond string) {
	b.T.Helper()
	b.WaitFor(fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	b.Run(chromedp.Click(chromedp.CSS(sel)))
	b.WaitFor(`document.readyState === "complete" && (` + cond + `)`)
}

// atProvider waits for the local provider's login page.
func atProvider(b *browser.Browser, kind string) {
	b.T.Helper()
	b.WaitFor(fmt.Sprintf(`location.pathname === "/%s/accesso" && document.readyState === "complete" && !!document.getElementById("entra")`, kind))
}

// providerLogin goes from the application's login page through the
// provider's, as fc at level; it returns when the browser is back on a page
// of the application.
func providerLogin(b *browser.Browser, kind, fc string, level int) {
	b.T.Helper()
	b.Visit("/login")
	navigate(b, "#accedi-"+kind, fmt.Sprintf(`location.pathname === "/%s/accesso"`, kind))
	atProvider(b, kind)
	b.Run(chromedp.Click(chromedp.CSS("#utente-" + fc)))
	b.Select("#livello", fmt.Sprint(level))
	navigate(b, "#entra", fmt.Sprintf(`location.href.startsWith(%q) && !!document.getElementById("contenuto")`, b.Base))
}

func oidcWorld(t *testing.T, opts *apptest.LoginOptions) *apptest.Env {
	t.Helper()
	if opts == nil {
		opts = &apptest.LoginOptions{}
	}
	opts.OIDC = true
	e := apptest.New(t, apptest.Options{Login: opts})
	e.OperatorWithFiscalCode("operatore.spid", testenv.OIDCOperator.FiscalCode,
		apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	return e
}

func TestSPIDAndCIELoginEndToEnd(t *testing.T) {
	e := oidcWorld(t, nil)
	fc := testenv.OIDCOperator.FiscalCode
	b := browser.New(t, e.URL)
	b.Visit("/login")
	require.True(t, b.Exists("#accedi-spid"), "SPID button")
	require.True(t, b.Exists("#accedi-cie"), "CIE button")
	require.Equal(t, "Entra con SPID", b.Text("#accedi-spid .accesso-button-text"))

	providerLogin(b, "spid", fc, 2)
	require.Equal(t, e.URL+"/", b.Location(), "lands on the profile page")
	require.True(t, b.Exists("#esci"))
	require.Contains(t, b.Text("[data-testid=utente]"), "OPERATORE")
	require.Equal(t, "ASL TO3", b.Text("[data-testid=asr]"))
	ok := lastLogin(t, e)
	require.Equal(t, "OK", ok.Outcome)
	require.Equal(t, fc, ok.OperatorFC)
	require.Equal(t, fc, ok.Target)
	require.Equal(t, "SPID", ok.Detail["metodo"])
	require.Equal(t, "SpidL2", ok.Detail["livello"])
	requireOnlyAuditKeys(t, ok)

	// Logout ends the session here and at the provider (RP-initiated
	// logout), which sends the browser back to the login page.
	navigate(b, "#esci", fmt.Sprintf(`location.href === %q`, e.URL+"/login"))
	rows := loginAudit(t, e)
	last := rows[len(rows)-1]
	require.Equal(t, "LOGOUT", last.Action)
	require.Equal(t, "SPID", last.Detail["metodo"])
	b.Visit("/pratiche/da-fare")
	require.Contains(t, b.Location(), "/login", "the session is over")

	providerLogin(b, "cie", fc, 3)
	require.Equal(t, e.URL+"/", b.Location())
	ok = lastLogin(t, e)
	require.Equal(t, "CIE", ok.Detail["metodo"])
	require.Equal(t, "SpidL3", ok.Detail["livello"])
}

// tamperingTransport corrupts the signature of the ID tokens the provider
// returns while on.
type tamperingTransport struct{ on atomic.Bool }

func (tt *tamperingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !tt.on.Load() || !strings.HasSuffix(r.URL.Path, "/oauth/token") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var tok map[string]any
	if err := json.Unmarshal(body, &tok); err != nil {
		return nil, err
	}
	if raw, ok := tok["id_token"].(string); ok {
		// Change a claim: the payload no longer matches the signature.
		parts := strings.Split(raw, ".")
		payload, _ := jsonSegment(parts[1])
		payload["acr"] = "https://www.spid.gov.it/SpidL3"
		parts[1] = encodeSegment(payload)
		tok["id_token"] = strings.Join(parts, ".")
	}
	body, _ = json.Marshal(tok)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// callbackInterceptor pauses the browser's requests to the application's
// SPID callback: it records their URLs and lets them through, or aborts them
// while hold is set.
type callbackInterceptor struct {
	mu   sync.Mutex
	urls []string
	hold atomic.Bool
	seen chan string
}

func interceptCallbacks(t *testing.T, b *browser.Browser) *callbackInterceptor {
	t.Helper()
	ci := &callbackInterceptor{seen: make(chan string, 10)}
	require.NoError(t, chromedp.Listen(b.Ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		ci.mu.Lock()
		ci.urls = append(ci.urls, e.Request.URL)
		ci.mu.Unlock()
		go func() {
			ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
			defer cancel()
			if ci.hold.Load() {
				_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonAborted})
			} else {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
			}
			ci.seen <- e.Request.URL
		}()
	}))
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/login/oidc/spid/callback*"}}})
	require.NoError(t, err)
	return ci
}

func (ci *callbackInterceptor) next(t *testing.T) string {
	t.Helper()
	select {
	case u := <-ci.seen:
		return u
	case <-time.After(15 * time.Second):
		t.Fatal("the browser never reached the SPID callback")
		return ""
	}
}

func TestSPIDLoginRefusals(t *testing.T) {
	tamper := &tamperingTransport{}
	e := oidcWorld(t, &apptest.LoginOptions{HTTPClient: &http.Client{Transport: tamper, Timeout: 10 * time.Second}})
	refused := func(t *testing.T, b *browser.Browser, wantMsg, wantReason string) auditRow {
		t.Helper()
		require.Contains(t, b.Text("#errore-accesso"), wantMsg)
		require.False(t, b.Exists("#esci"), "not logged in")
		r := lastLogin(t, e)
		require.Equal(t, "NEGATO", r.Outcome)
		require.Equal(t, wantReason, r.Detail["motivo"])
		require.Equal(t, "SPID", r.Detail["metodo"])
		requireOnlyAuditKeys(t, r)
		return r
	}

	t.Run("a fiscal code with no account", func(t *testing.T) {
		b := browser.New(t, e.URL)
		providerLogin(b, "spid", testenv.OIDCNoAccount.FiscalCode, 2)
		r := refused(t, b, "Non risulta un'utenza di operatore per il codice fiscale "+testenv.OIDCNoAccount.FiscalCode, "nessuna utenza")
		require.Equal(t, testenv.OIDCNoAccount.FiscalCode, r.Target)
		require.Equal(t, "ANONIMO", r.OperatorFC)
	})
	t.Run("a lower SPID level", func(t *testing.T) {
		b := browser.New(t, e.URL)
		providerLogin(b, "spid", testenv.OIDCOperator.FiscalCode, 1)
		r := refused(t, b, "di livello 2 o superiore: hai usato il livello 1", "oidc.livello_insufficiente")
		require.Equal(t, "SpidL1", r.Detail["livello"])
	})
	t.Run("a tampered ID token", func(t *testing.T) {
		tamper.on.Store(true)
		defer tamper.on.Store(false)
		b := browser.New(t, e.URL)
		providerLogin(b, "spid", testenv.OIDCOperator.FiscalCode, 2)
		refused(t, b, "firma o contenuto non verificabili", "oidc.id_token_non_valido")
	})
	t.Run("a wrong state", func(t *testing.T) {
		b := browser.New(t, e.URL)
		ci := interceptCallbacks(t, b)
		ci.hold.Store(true)
		b.Visit("/login")
		navigate(b, "#accedi-spid", `location.pathname === "/spid/accesso"`)
		atProvider(b, "spid")
		b.Run(chromedp.Click(chromedp.CSS("#utente-" + testenv.OIDCOperator.FiscalCode)))
		b.Run(chromedp.Click(chromedp.CSS("#entra")))
		u, err := url.Parse(ci.next(t))
		require.NoError(t, err)
		q := u.Query()
		q.Set("state", "stato-non-emesso-dall-applicazione")
		u.RawQuery = q.Encode()
		ci.hold.Store(false)
		b.Visit(u.RequestURI())
		refused(t, b, "non è valida o è scaduta", "oidc.stato")
	})
	t.Run("a callback opened in another browser (login CSRF)", func(t *testing.T) {
		// An attacker's own code and state, delivered to the victim's
		// browser, must not log the victim in as the attacker.
		attacker := browser.New(t, e.URL)
		ci := interceptCallbacks(t, attacker)
		ci.hold.Store(true)
		attacker.Visit("/login")
		navigate(attacker, "#accedi-spid", `location.pathname === "/spid/accesso"`)
		atProvider(attacker, "spid")
		attacker.Run(chromedp.Click(chromedp.CSS("#utente-" + testenv.OIDCOperator.FiscalCode)))
		attacker.Run(chromedp.Click(chromedp.CSS("#entra")))
		u, err := url.Parse(ci.next(t))
		require.NoError(t, err)
		victim := browser.New(t, e.URL)
		victim.Visit(u.RequestURI())
		refused(t, victim, "non è valida o è scaduta", "oidc.stato")
	})
	t.Run("a replayed code", func(t *testing.T) {
		b := browser.New(t, e.URL)
		ci := interceptCallbacks(t, b)
		providerLogin(b, "spid", testenv.OIDCOperator.FiscalCode, 2)
		require.True(t, b.Exists("#esci"), "first login")
		first, err := url.Parse(ci.next(t))
		require.NoError(t, err)
		navigate(b, "#esci", fmt.Sprintf(`location.href === %q`, e.URL+"/login"))

		// The same callback again: its state was used up.
		b.Visit(first.RequestURI())
		ci.next(t)
		refused(t, b, "non è valida o è scaduta", "oidc.stato")

		// The first code with the state of a new login: the provider
		// refuses a code it already exchanged.
		ci.hold.Store(true)
		b.Visit("/login")
		navigate(b, "#accedi-spid", `location.pathname === "/spid/accesso"`)
		atProvider(b, "spid")
		b.Run(chromedp.Click(chromedp.CSS("#utente-" + testenv.OIDCOperator.FiscalCode)))
		b.Run(chromedp.Click(chromedp.CSS("#entra")))
		second, err := url.Parse(ci.next(t))
		require.NoError(t, err)
		q := second.Query()
		q.Set("code", first.Query().Get("code"))
		second.RawQuery = q.Encode()
		ci.hold.Store(false)
		b.Visit(second.RequestURI())
		refused(t, b, "è già stato usato", "oidc.codice_non_valido")
	})
}

func jsonSegment(seg string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func encodeSegment(m map[string]any) string {
	b, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b)
}
