//go:build cluster

package clustertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
	"esenzioni/internal/browser"
	"esenzioni/internal/devstack"
	"esenzioni/workflows/searchattr"
)

// TestTemporalUILogin: the Temporal UI of the secure cluster logs its users
// in at the local identity provider; a supervisor (whom the provider gives
// "esenzioni:write" in the UI's tokens) lists the namespace's workflows
// through the UI, an operator without Temporal permissions is refused by
// the frontend, and so is a call without a token. Then the same in
// Chromium.
func TestTemporalUILogin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if _, err := devstack.Tool("", "temporal-ui"); err != nil {
		t.Skip("temporal-ui not built (scripts/build-tools.sh temporal-ui)")
	}
	if _, err := devstack.Tool("", "oidcprovider"); err != nil {
		t.Skip("oidcprovider not built (scripts/build-tools.sh oidcprovider)")
	}
	bin := filepath.Join(t.TempDir(), "esenzioni")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/esenzioni")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	dataDir, err := os.MkdirTemp("/var/tmp", "esenzioni-cluster-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dataDir, 0o755))
	defer os.RemoveAll(dataDir)

	torino, _ := places.Default().Find("TORINO", "TO")
	supervisor := devstack.OIDCUser{FiscalCode: fiscalcode.Generate("ROSSI", "MARIO", time.Date(1968, 5, 17, 0, 0, 0, 0, time.UTC), 'M', torino.Code),
		GivenName: "MARIO", FamilyName: "ROSSI", Description: "supervisore", Permissions: []string{"esenzioni:write", "temporal-system:read"}}
	operator := devstack.OIDCUser{FiscalCode: fiscalcode.Generate("CERRUTI", "LIBERO", time.Date(1963, 6, 10, 0, 0, 0, 0, time.UTC), 'M', torino.Code),
		GivenName: "LIBERO", FamilyName: "CERRUTI", Description: "operatore, nessun permesso Temporal"}

	start := time.Now()
	p, err := devstack.StartProduction(ctx, devstack.ProductionOptions{
		Binary: bin, DataDir: dataDir, BasePort: 27200, Progress: testWriter{t}, Webs: 1, Workers: 1, Histories: 1,
		OIDCUsers: []devstack.OIDCUser{operator, supervisor},
		RegisterSearchAttributes: func(ctx context.Context, o client.Options) error {
			c, err := client.DialContext(ctx, o)
			if err != nil {
				return err
			}
			defer c.Close()
			return searchattr.Register(ctx, c, o.Namespace)
		},
	})
	require.NoError(t, err)
	defer p.Stop()
	require.NotNil(t, p.OIDC, "the secure form starts the identity provider")
	require.NotEmpty(t, p.UIURL, "the Temporal UI runs")
	u, _ := url.Parse(p.UIURL)
	ui := u.Scheme + "://" + u.Host
	ns := p.Cluster.Namespace()
	t.Logf("production form up in %s; UI %s, provider %s", time.Since(start).Round(time.Second), ui, p.OIDC.BaseURL())

	// The demo data's workflows, as the administrator sees them.
	admin, err := p.Cluster.ClientOptions(ns, "admin", true)
	require.NoError(t, err)
	ac, err := client.Dial(admin)
	require.NoError(t, err)
	defer ac.Close()
	list, err := ac.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, PageSize: 100})
	require.NoError(t, err)
	require.NotEmpty(t, list.Executions, "the demo data started workflows")
	var ids []string
	for _, e := range list.Executions {
		ids = append(ids, e.Execution.WorkflowId)
	}
	sort.Strings(ids)

	// The login through the UI's /auth/sso, as the browser does it, gives
	// the UI the user's access token.
	supTok := uiLogin(t, ui, supervisor.FiscalCode)
	opTok := uiLogin(t, ui, operator.FiscalCode)
	claims := jwtClaims(t, supTok)
	t.Logf("supervisor's access token: iss %v, aud %v, permissions %v", claims["iss"], claims["aud"], claims["permissions"])
	require.Equal(t, []any{"esenzioni:write", "temporal-system:read"}, claims["permissions"])
	require.NotContains(t, jwtClaims(t, opTok), "permissions", "an operator gets no Temporal permissions")

	// Through the UI's API (the UI server forwards the bearer token to the
	// frontend, with its own client certificate).
	status, body := uiGet(t, ui+"/api/v1/namespaces/"+ns+"/workflows?query=", supTok)
	require.Equal(t, http.StatusOK, status, "supervisor lists workflows: %s", body)
	var resp struct {
		Executions []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
		} `json:"executions"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	require.NotEmpty(t, resp.Executions)
	t.Logf("supervisor through the UI: %d workflows listed", len(resp.Executions))
	status, body = uiGet(t, ui+"/api/v1/namespaces/"+ns+"/workflows?query=", opTok)
	require.Equal(t, http.StatusForbidden, status, "operator refused: %s", body)
	require.Contains(t, body, "Request unauthorized")
	status, _ = uiGet(t, ui+"/api/v1/namespaces/"+ns+"/workflows?query=", "")
	require.Equal(t, http.StatusUnauthorized, status, "no token")
	// The UI lists the namespaces when it loads (a cluster-scope read):
	// without it the page sends its user back to the login.
	status, body = uiGet(t, ui+"/api/v1/namespaces", supTok)
	require.Equal(t, http.StatusOK, status, "supervisor lists namespaces: %s", body)

	// The application's SPID login at the same provider: the operator
	// (operatore.to3 of the demo data) enters a web replica.
	jar, _ := cookiejar.New(nil)
	end := providerLogin(t, &http.Client{Jar: jar, Timeout: 20 * time.Second}, p.WebURLs[0]+"/login/oidc/spid", operator.FiscalCode)
	require.NotContains(t, end.Path, "/login", "the operator's SPID login at the web replica ended at %s", end)
	t.Logf("the operator logged in to %s with SPID at the same provider (landed on %s)", p.WebURLs[0], end.Path)

	// Directly at the frontend with the provider's tokens (and a client
	// certificate): the same decisions.
	count := func(tok string) error {
		o, err := p.Cluster.ClientOptions(ns, devstack.Supervisors[0], false)
		require.NoError(t, err)
		o.Credentials = client.NewAPIKeyStaticCredentials(tok)
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, err := client.DialContext(cctx, o)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CountWorkflow(cctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: ns})
		return err
	}
	require.NoError(t, count(supTok), "supervisor's provider token at the frontend")
	var pd *serviceerror.PermissionDenied
	require.True(t, errors.As(count(opTok), &pd), "operator's provider token refused")

	// In Chromium: the supervisor sees the workflows' IDs in the list.
	b := browser.New(t, ui)
	b.Visit("/auth/sso?returnUrl=" + url.QueryEscape("/namespaces/"+ns+"/workflows"))
	b.Run(chromedp.WaitVisible(chromedp.CSS("#entra")), chromedp.Click(chromedp.CSS("#utente-"+supervisor.FiscalCode)),
		chromedp.Click(chromedp.CSS("#entra")))
	b.WaitFor(fmt.Sprintf(`document.body && document.body.innerText.includes(%q)`, ids[0][:min(len(ids[0]), 20)]))
	t.Logf("Chromium: the supervisor sees the workflow list (%s)", b.Location())
	b.Screenshot("supervisor-workflows")
	// The operator: the page says the call was refused, no workflow shown.
	b2 := browser.New(t, ui)
	b2.Visit("/auth/sso?returnUrl=" + url.QueryEscape("/namespaces/"+ns+"/workflows"))
	b2.Run(chromedp.WaitVisible(chromedp.CSS("#entra")), chromedp.Click(chromedp.CSS("#utente-"+operator.FiscalCode)),
		chromedp.Click(chromedp.CSS("#entra")))
	b2.WaitFor(`location.pathname.includes("/workflows") && document.readyState === "complete"`)
	time.Sleep(5 * time.Second)
	b2.Screenshot("operator-refused")
	text := b2.Text("body")
	for _, id := range ids {
		require.NotContains(t, text, id, "the operator must see no workflow")
	}
	t.Logf("Chromium: the operator sees no workflow; page says: %s", tail(strings.Join(strings.Fields(text), " ")))
}

// providerLogin follows, from start, the redirects a browser follows to the
// local provider's login page, logs fc in there at SpidL2, and follows the
// redirects back; it returns the last response's URL.
func providerLogin(t *testing.T, hc *http.Client, start, fc string) *url.URL {
	t.Helper()
	resp, err := hc.Get(start)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "provider's login page: %s", page)
	m := regexp.MustCompile(`name="id" value="([^"]+)"`).FindSubmatch(page)
	require.NotNil(t, m, "login page without request id: %s", page)
	login := resp.Request.URL.ResolveReference(&url.URL{Path: resp.Request.URL.Path}) // .../accesso
	resp, err = hc.PostForm(login.String(), url.Values{"id": {string(m[1])}, "cf": {fc}, "livello": {"2"}, "azione": {"entra"}})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "back from the provider at %s: %s", resp.Request.URL, tail(string(body)))
	return resp.Request.URL
}

// uiLogin logs fc in through the UI's /auth/sso at the local provider and
// returns the access token the UI hands its page (cookies user0, user1...).
func uiLogin(t *testing.T, ui, fc string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	providerLogin(t, hc, ui+"/auth/sso?returnUrl=/", fc)
	uiURL, _ := url.Parse(ui)
	var parts []string
	for i := 0; ; i++ {
		found := false
		for _, c := range jar.Cookies(uiURL) {
			if c.Name == fmt.Sprintf("user%d", i) {
				parts, found = append(parts, c.Value), true
			}
		}
		if !found {
			break
		}
	}
	require.NotEmpty(t, parts, "the UI set no user cookie")
	raw, err := base64.StdEncoding.DecodeString(strings.Join(parts, ""))
	require.NoError(t, err)
	var user struct{ AccessToken, IDToken string }
	require.NoError(t, json.Unmarshal(raw, &user))
	require.NotEmpty(t, user.AccessToken)
	return user.AccessToken
}

func uiGet(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3, "the UI's access token is a JWT")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, json.Unmarshal(raw, &c))
	return c
}
