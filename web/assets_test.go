package web_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/internal/apptest"
	"esenzioni/internal/browser"
)

// TestStaticAssetsCompressedAndImmutable: every stylesheet and script of a
// page comes from a versioned URL cached for a year as immutable, and text
// assets travel gzipped (issue 14, deliver 2).
func TestStaticAssetsCompressedAndImmutable(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	resp, err := http.Get(e.URL + "/login")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	refs := regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(string(page), -1)
	require.GreaterOrEqual(t, len(refs), 4, "stylesheets and scripts of the login page")
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, m := range refs {
		u := m[1]
		require.Regexp(t, `^/static/v/[0-9a-f]{12}/`, u, "a versioned URL")
		req, _ := http.NewRequest(http.MethodGet, e.URL+u, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, u)
		require.Contains(t, resp.Header.Get("Cache-Control"), "immutable", u)
		require.Contains(t, resp.Header.Get("Cache-Control"), "max-age=31536000", u)
		if strings.HasSuffix(u, ".css") || strings.HasSuffix(u, ".js") {
			require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"), u)
			zr, err := gzip.NewReader(strings.NewReader(string(body)))
			require.NoError(t, err, u)
			plain, err := io.ReadAll(zr)
			require.NoError(t, err, u)
			require.Greater(t, len(plain), len(body), u)
		}
	}
	// Without gzip in Accept-Encoding the same file comes plain.
	req, _ := http.NewRequest(http.MethodGet, e.URL+refs[0][1], nil)
	resp, err = client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, resp.Header.Get("Content-Encoding"))

	// A version of another release still answers, without immutable.
	old := regexp.MustCompile(`/static/v/[0-9a-f]{12}/`).ReplaceAllString(refs[0][1], "/static/v/000000000000/")
	resp, err = http.Get(e.URL + old)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, resp.Header.Get("Cache-Control"), "immutable")
}

// TestErrorPagesInItalian: an unknown address, a wrong method and a
// missing static file get an Italian page in the application's layout (or
// a JSON code on the API), never Gin's English "404 page not found".
func TestErrorPagesInItalian(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	client, _ := e.Login("operatore.to3")
	for _, tc := range []struct {
		method, path string
		status       int
		heading      string
	}{
		{http.MethodGet, "/pagina-che-non-esiste", http.StatusNotFound, "Pagina non trovata"},
		{http.MethodGet, "/static/app/nessuno.css", http.StatusNotFound, "Pagina non trovata"},
		{http.MethodGet, "/pratiche/da-fare/altro/livello", http.StatusNotFound, "Pratica non trovata"}, // read as the practice "da-fare"
		{http.MethodDelete, "/pratiche/da-fare", http.StatusMethodNotAllowed, "Operazione non disponibile a questo indirizzo"},
		{http.MethodGet, "/amministrazione/accessi", http.StatusForbidden, "Accesso negato"},
	} {
		req, _ := http.NewRequest(tc.method, e.URL+tc.path, nil)
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, tc.status, resp.StatusCode, tc.path)
		require.Contains(t, resp.Header.Get("Content-Type"), "text/html", tc.path)
		require.Contains(t, string(body), tc.heading, tc.path)
		require.Contains(t, string(body), "Esenzioni per patologie e invalidità", "%s: in the layout", tc.path)
		require.Contains(t, string(body), `id="esci"`, "%s: the operator stays logged in", tc.path)
		require.NotContains(t, string(body), "page not found", tc.path)
	}
	// Logged out, an unknown page is Italian as well.
	resp, err := http.Get(e.URL + "/nessuna")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, string(body), "Pagina non trovata")

	// The API answers with a stable code.
	resp, err = http.Get(e.URL + "/api/v1/nessuna")
	require.NoError(t, err)
	var apiErr struct {
		Error struct{ Code, Message string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&apiErr))
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "not_found", apiErr.Error.Code)
}

// TestFirstPageWeight: a first visit (empty cache) of the login page and
// of the practice list, with every stylesheet, script and font, stays under
// 300 KB on the wire (issue 14: it was ~1.6 MB uncompressed).
func TestFirstPageWeight(t *testing.T) {
	const budget = 300 << 10
	e := apptest.New(t, apptest.Options{})
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "DISTRETTO AREA M CENTRO"))
	b := browser.New(t, e.URL)
	b.DisableCache()
	b.Visit("/")
	w := b.Weight()
	t.Logf("login page: %d bytes transferred (%d decoded) in %d requests, DOMContentLoaded at %.0f ms", w.Transferred, w.Decoded, w.Resources, w.DOMContentLoaded)
	require.Less(t, w.Transferred, int64(budget), "login page")
	require.Greater(t, w.Resources, 3)

	b.Fill("#username", "operatore.to3")
	b.Fill("#password", apptest.Password)
	b.Fill("#pin", apptest.PIN)
	b.Click("#accedi")
	b.ClickLink("[data-testid=servizi]", "Servizio on line per la gestione ed il rilascio delle esenzioni per patologia.")
	w = b.Weight()
	t.Logf("practice list: %d bytes transferred (%d decoded) in %d requests, DOMContentLoaded at %.0f ms", w.Transferred, w.Decoded, w.Resources, w.DOMContentLoaded)
	require.Less(t, w.Transferred, int64(budget), "practice list")
	b.RequireNoConsoleErrors()
}
