package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/internal/apptest"
	"esenzioni/internal/requestid"
	"esenzioni/web"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every request gets an ID (the caller's when usable), answered in
// X-Request-Id, written in the JSON access log and in the audit rows it
// causes; /metrics counts it by route template; neither the log nor the
// metrics hold the fiscal code that was in the path and the query.
func TestRequestIDMetricsAndAccessLog(t *testing.T) {
	e := apptest.New(t, apptest.Options{NoWorker: true})
	logs := &syncBuffer{}
	log := slog.New(requestid.LogHandler(slog.NewJSONHandler(logs, nil)))
	cfg := e.App.Config
	cfg.MetricsAddr = "" // the web server answers /metrics itself
	deps := e.App.WebDeps(log)
	deps.Config = cfg
	deps.Practices, deps.Exemptions = e.Practices, e.Exemptions
	srv, err := web.New(deps)
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	get := func(path, id string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		require.NoError(t, err)
		if id != "" {
			req.Header.Set(requestid.Header, id)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	resp := get("/login", "req-login-00000001")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "req-login-00000001", resp.Header.Get(requestid.Header))
	// An unusable ID (a log-forging attempt) is replaced by a new one.
	resp = get("/login", "x\"y")
	require.Regexp(t, `^[0-9a-f]{32}$`, resp.Header.Get(requestid.Header))

	const fc = "RSSMRA80A01H501U"
	get("/esenzioni/persona/"+fc+"?codiceFiscale="+fc, "req-person-0000001")
	get("/nowhere/"+fc, "req-nowhere-000001")

	// An anonymous POST from another site is refused and audited: the
	// audit row carries the request's ID.
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/login", strings.NewReader(url.Values{"username": {"x"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set(requestid.Header, "req-csrf-000000001")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	var rid string
	require.NoError(t, e.App.DB.NewRaw(`SELECT coalesce(request_id, '') FROM audit_log WHERE action = 'CSRF' ORDER BY id DESC LIMIT 1`).Scan(context.Background(), &rid))
	require.Equal(t, "req-csrf-000000001", rid, "the audit row names the request")

	// The access log: one JSON line per request, with the ID and the route
	// template, never the path or the query.
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		if m["msg"] == "http" {
			lines = append(lines, m)
		}
	}
	require.NotEmpty(t, lines)
	byID := map[string]map[string]any{}
	for _, l := range lines {
		id, _ := l["request_id"].(string)
		byID[id] = l
	}
	require.Equal(t, "/login", byID["req-login-00000001"]["route"])
	require.EqualValues(t, 200, byID["req-login-00000001"]["status"])
	require.Equal(t, "unmatched", byID["req-nowhere-000001"]["route"])
	require.Contains(t, byID, "req-person-0000001")
	require.NotContains(t, logs.String(), fc, "the access log holds personal data")

	// /metrics: counted by route template, nothing personal.
	resp, err = http.Get(ts.URL + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	text := string(body)
	require.Regexp(t, regexp.MustCompile(`esenzioni_http_requests_total\{method="GET",route="/login",status="200"\} [1-9]`), text)
	require.Regexp(t, regexp.MustCompile(`esenzioni_http_request_duration_seconds_bucket\{method="GET",route="/login",le="[^"]+"\} [1-9]`), text)
	require.Contains(t, text, `route="unmatched"`)
	require.NotContains(t, text, fc, "a metric label holds personal data")
	// The database pool and query metrics are there too (app.Open).
	require.Contains(t, text, `go_sql_in_use_connections{db_name="esenzioni"}`)
	require.Regexp(t, regexp.MustCompile(`esenzioni_db_query_duration_seconds_count\{operation="INSERT",outcome="ok"\} [1-9]`), text)
}
