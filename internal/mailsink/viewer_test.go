package mailsink

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, h http.Handler, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Header(), rec.Body.String()
}

func TestViewer(t *testing.T) {
	s := startSink(t)
	h := s.Handler()

	code, hdr, body := get(t, h, "/")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "text/html; charset=utf-8", hdr.Get("Content-Type"))
	assert.Contains(t, body, "<title>Posta in uscita (sviluppo)</title>")
	assert.Contains(t, body, "non vengono consegnate")
	assert.Contains(t, body, "Nessun messaggio ricevuto.")

	send(t, s, "mario.rossi@example.it", "Esenzione in scadenza: verificherà", "Città di Forlì.\nSeconda riga.\n", "<v-1@esenzioni.test>")
	send(t, s, "anna.bianchi@example.it", "Secondo promemoria", "Corpo.\n", "<v-2@esenzioni.test>")

	code, _, body = get(t, h, "/")
	require.Equal(t, http.StatusOK, code)
	text := html.UnescapeString(body)
	assert.Contains(t, text, "mario.rossi@example.it")
	assert.Contains(t, text, "Esenzione in scadenza: verificherà")
	assert.Contains(t, body, `href="messaggi/1"`)
	assert.Contains(t, body, `href="messaggi/2"`)
	assert.Less(t, strings.Index(body, "Secondo promemoria"), strings.Index(body, "Esenzione in scadenza"), "newest first")

	code, _, body = get(t, h, "/messaggi/1")
	require.Equal(t, http.StatusOK, code)
	text = html.UnescapeString(body)
	assert.Contains(t, text, "Esenzione in scadenza: verificherà")
	assert.Contains(t, text, "Città di Forlì.\nSeconda riga.\n")
	assert.Contains(t, text, "v-1@esenzioni.test")
	assert.Contains(t, text, "promemoria@esenzioni.test")
	assert.NotContains(t, text, "Secondo promemoria")

	code, hdr, body = get(t, h, "/messaggi/1/sorgente")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "text/plain; charset=utf-8", hdr.Get("Content-Type"))
	assert.Contains(t, body, "Message-ID: <v-1@esenzioni.test>")

	for _, path := range []string{"/messaggi/99", "/messaggi/abc"} {
		code, _, body = get(t, h, path)
		assert.Equal(t, http.StatusNotFound, code, path)
		assert.Contains(t, body, "Messaggio non trovato", path)
	}
}

func TestViewerEscapes(t *testing.T) {
	s := startSink(t)
	send(t, s, "x@example.it", `<script>alert("oggetto")</script>`, `<img src=x onerror="alert('corpo')">`, "<x@esenzioni.test>")
	h := s.Handler()
	for _, path := range []string{"/", "/messaggi/1"} {
		_, hdr, body := get(t, h, path)
		assert.NotContains(t, body, "<script>alert", path)
		assert.NotContains(t, body, "<img src=x", path)
		assert.Contains(t, hdr.Get("Content-Security-Policy"), "default-src 'none'")
	}
	_, _, body := get(t, h, "/messaggi/1")
	assert.Contains(t, body, "&lt;img src=x")
}

func TestViewerAPI(t *testing.T) {
	s := startSink(t)
	h := s.Handler()

	code, hdr, body := get(t, h, "/api/messages")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "application/json; charset=utf-8", hdr.Get("Content-Type"))
	assert.JSONEq(t, "[]", body)

	send(t, s, "mario.rossi@example.it", "Primo è", "Testo à.\n", "<api-1@esenzioni.test>")
	send(t, s, "anna.bianchi@example.it", "Secondo", "Testo.\n", "<api-2@esenzioni.test>")

	code, _, body = get(t, h, "/api/messages")
	require.Equal(t, http.StatusOK, code)
	var list []Message
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list, 2)
	assert.Equal(t, "Secondo", list[0].Subject, "newest first")
	assert.Equal(t, "Primo è", list[1].Subject)
	assert.Equal(t, "Testo à.\n", list[1].Text)
	assert.Equal(t, []string{"mario.rossi@example.it"}, list[1].To)
	assert.Equal(t, "api-1@esenzioni.test", list[1].MessageID)
	assert.False(t, list[1].Date.IsZero())
	assert.NotContains(t, body, `"Raw"`)

	code, _, body = get(t, h, "/api/messages/1")
	require.Equal(t, http.StatusOK, code)
	var one Message
	require.NoError(t, json.Unmarshal([]byte(body), &one))
	assert.Equal(t, 1, one.ID)
	assert.Equal(t, "Primo è", one.Subject)

	code, _, _ = get(t, h, "/api/messages/7")
	assert.Equal(t, http.StatusNotFound, code)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodDelete, "/api/messages", nil))
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Empty(t, s.Messages())
}

func TestViewerClear(t *testing.T) {
	s := startSink(t)
	send(t, s, "a@example.it", "Da svuotare", "corpo", "<svuota@esenzioni.test>")

	// Mounted under a prefix, as `esenzioni dev` may do.
	mux := http.NewServeMux()
	mux.Handle("/posta/", http.StripPrefix("/posta", s.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// A cross-origin form post is refused.
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/posta/svuota", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Len(t, s.Messages(), 1)

	req, err = http.NewRequest(http.MethodPost, srv.URL+"/posta/svuota", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = srv.Client().Do(req) // follows the redirect to the list
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/posta/", resp.Request.URL.Path)
	assert.Contains(t, string(body), "Nessun messaggio ricevuto.")
	assert.Empty(t, s.Messages())
}
