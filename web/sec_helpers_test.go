package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"esenzioni/internal/apptest"
)

// httpSession is a client of the application as a browser is: cookies
// kept, redirects not followed.
type httpSession struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newHTTPSession(t testing.TB, base string) *httpSession {
	jar, _ := cookiejar.New(nil)
	return &httpSession{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// loginHTTP logs username in over HTTP.
func loginHTTP(t testing.TB, base, username string) *httpSession {
	t.Helper()
	s := newHTTPSession(t, base)
	status, h, body := s.post("/login", "application/x-www-form-urlencoded", strings.NewReader(url.Values{
		"username": {username},
		"password": {apptest.Password}, "pin": {apptest.PIN}}.Encode()))
	require.Equal(t, http.StatusSeeOther, status, "login of %s: %s", username, body)
	require.Equal(t, "/", h.Get("Location"))
	return s
}

// do sends a request; headers are name, value pairs.
func (s *httpSession) do(method, path string, body io.Reader, headers ...string) (int, http.Header, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	require.NoError(s.t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.c.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (s *httpSession) get(path string, headers ...string) (int, http.Header, string) {
	s.t.Helper()
	return s.do(http.MethodGet, path, nil, headers...)
}

func (s *httpSession) post(path, contentType string, body io.Reader, headers ...string) (int, http.Header, string) {
	s.t.Helper()
	return s.do(http.MethodPost, path, body, append([]string{"Content-Type", contentType}, headers...)...)
}

// postForm posts an urlencoded form.
func (s *httpSession) postForm(path string, form url.Values, headers ...string) (int, http.Header, string) {
	s.t.Helper()
	return s.post(path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), headers...)
}

// postRawForm posts an urlencoded body as given (bytes a browser would
// not send, for instance).
func (s *httpSession) postRawForm(path, encoded string) (int, http.Header, string) {
	s.t.Helper()
	return s.post(path, "application/x-www-form-urlencoded", strings.NewReader(encoded))
}

// dataTables hold what the application stores for its users; a refused
// request must leave them as they were. (The audit log grows by design,
// sessions are touched, notifications marked read.)
var dataTables = []string{"practice", "practice_event", "practice_counter", "exemption", "exemption_event",
	"beneficiary", "attachment", "exemption_draft", "intake_request", "api_idempotency", "email_outbox",
	"notification", "registry_exemption"}

// fingerprint digests the data tables and the attachment bucket.
func fingerprint(t testing.TB, e *apptest.Env) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, table := range dataTables {
		var sum string
		err := e.Store().DB.NewRaw("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM "+table+" AS t").Scan(ctx, &sum)
		require.NoError(t, err, table)
		out[table] = sum
	}
	n := 0
	for obj := range e.App.S3.ListObjects(ctx, e.App.Config.S3Bucket, minio.ListObjectsOptions{Recursive: true}) {
		require.NoError(t, obj.Err)
		n++
	}
	out["s3 objects"] = strings.Repeat("#", n)
	return out
}

// italianPage: an HTML answer with the application's layout in Italian and
// a message announced to the user (the error page's alert, or a field's
// message on a form shown again, which all carry role="alert").
var italianPage = regexp.MustCompile(`(?s)<html lang="it">.*role="alert"[^>]*>\s*(<h1[^>]*>)?\s*[A-ZÈ«][^<]{5,}`)

// leaksInternals matches error text of libraries, the database and Go.
var leaksInternals = regexp.MustCompile(`SQLSTATE|wrapError|pq: |pgdriver|sql: |json: |jsontext|runtime error|goroutine |panic|invalid input syntax|serviceerror|rpc error`)
