package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"esenzioni/internal/apptest"
	"esenzioni/web"
)

// The spec-conformance check: every request the tests of this package send
// to /api/v1 through Go's default transport (http.DefaultClient, http.Get,
// any http.Client without a Transport of its own), and the application's
// answer, are validated against the OpenAPI document the server publishes
// at /api/openapi.yaml:
//
//   - a request the document accepts must get an answer the document
//     declares for it (status, content type, body schema, headers);
//   - a request the document refuses (a hostile or malformed one, as many
//     tests send on purpose) must be refused, with a 4xx the document
//     declares, and 401 when it lacks the bearer token;
//   - a path or method the document does not have must answer 404 or 405.
//
// Problems are reported, naming the operation, as errors of the test whose
// application (apptest.Env) answered; exchanges with a server that is no
// apptest.Env fail the run from TestMain.

func TestMain(m *testing.M) {
	if _, err := newSpecChecker(web.OpenAPIDocument()); err != nil {
		fmt.Fprintln(os.Stderr, "the OpenAPI document (web/static/api/openapi.yaml) is not valid:", err)
		os.Exit(1)
	}
	http.DefaultTransport = &specTransport{next: http.DefaultTransport, check: apiSpec()}
	apptest.Started = func(e *apptest.Env) { apiSpec().watch(e) }
	code := m.Run()
	if testing.Verbose() {
		fmt.Fprintln(os.Stderr, "OpenAPI: exchanges checked, by operation and status:")
		seen := apiSpec().checked()
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(os.Stderr, "  %-28s %d\n", k, seen[k])
		}
	}
	if lost := apiSpec().unattributed(); len(lost) > 0 {
		fmt.Fprintf(os.Stderr, "OpenAPI: %d exchanges with /api/v1 of no test application do not conform:\n", len(lost))
		for _, p := range lost {
			fmt.Fprintln(os.Stderr, "  "+p)
		}
		code = 1
	}
	os.Exit(code)
}

// specChecker validates exchanges against the OpenAPI document.
type specChecker struct {
	doc    *openapi3.T
	router routers.Router

	mu    sync.Mutex
	hosts map[string]*exchangeLog // by host:port of an apptest.Env
	lost  []string
	seen  map[string]int // "operationId status" → exchanges, of the whole run
}

// exchangeLog is what the checker saw of one application.
type exchangeLog struct {
	problems []string
	covered  map[string]int // "operationId status" → exchanges
}

var (
	specOnce sync.Once
	spec     *specChecker
)

// apiSpec is the checker of the document web serves.
func apiSpec() *specChecker {
	specOnce.Do(func() {
		c, err := newSpecChecker(web.OpenAPIDocument())
		if err != nil {
			panic("OpenAPI document: " + err.Error())
		}
		spec = c
	})
	return spec
}

func newSpecChecker(document []byte) (*specChecker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &specChecker{doc: doc, router: router, hosts: map[string]*exchangeLog{}, seen: map[string]int{}}, nil
}

func init() {
	// Formats the document uses that kin-openapi checks only on request.
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122))
	openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
}

// watch attributes the exchanges with e's server to e's test, which fails
// when it ends if any of them did not conform.
func (c *specChecker) watch(e *apptest.Env) {
	u, err := url.Parse(e.URL)
	if err != nil {
		e.T.Fatal(err)
	}
	l := &exchangeLog{covered: map[string]int{}}
	c.mu.Lock()
	c.hosts[u.Host] = l
	c.mu.Unlock()
	t := e.T
	t.Cleanup(func() {
		c.mu.Lock()
		delete(c.hosts, u.Host)
		problems := append([]string(nil), l.problems...)
		c.mu.Unlock()
		for _, p := range dedupe(problems) {
			t.Errorf("OpenAPI: %s", p)
		}
	})
}

// coverage is a copy of what was seen of e's server so far.
func (c *specChecker) coverage(e *apptest.Env) (covered map[string]int, problems []string) {
	u, _ := url.Parse(e.URL)
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.hosts[u.Host]
	if l == nil {
		return nil, nil
	}
	covered = map[string]int{}
	for k, v := range l.covered {
		covered[k] = v
	}
	return covered, append([]string(nil), l.problems...)
}

// checked counts the exchanges of the whole run.
func (c *specChecker) checked() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.seen))
	for k, v := range c.seen {
		out[k] = v
	}
	return out
}

func (c *specChecker) unattributed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return dedupe(c.lost)
}

func (c *specChecker) record(host, key string, problems []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[key]++
	l := c.hosts[host]
	if l == nil {
		c.lost = append(c.lost, problems...)
		return
	}
	l.covered[key]++
	l.problems = append(l.problems, problems...)
}

func dedupe(in []string) []string {
	n := map[string]int{}
	var order []string
	for _, p := range in {
		if n[p] == 0 {
			order = append(order, p)
		}
		n[p]++
	}
	out := make([]string, len(order))
	for i, p := range order {
		out[i] = p
		if n[p] > 1 {
			out[i] = fmt.Sprintf("%s (%d times)", p, n[p])
		}
	}
	return out
}

// specTransport validates the /api/v1 exchanges that go through it.
type specTransport struct {
	next  http.RoundTripper
	check *specChecker
}

func (st *specTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return st.next.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(reqBody))
	if reqBody == nil {
		out.Body = nil
	}
	resp, err := st.next.RoundTrip(out)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		// The server cut the answer (an upload over the limit, say):
		// nothing to validate.
		return resp, nil
	}
	key, problems := st.check.exchange(req, reqBody, resp.StatusCode, resp.Header, respBody)
	st.check.record(req.URL.Host, key, problems)
	return resp, nil
}

// exchange validates one request and its answer. key names the operation
// and the status; problems are empty when both conform.
func (c *specChecker) exchange(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) (key string, problems []string) {
	ctx := context.Background()
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	what := req.Method + " " + req.URL.Path
	route, params, err := c.router.FindRoute(r)
	if err != nil {
		key = fmt.Sprintf("(none) %d", status)
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			problems = append(problems, fmt.Sprintf("%s: no operation in the document (%v), but answered %d", what, err, status))
		}
		return key, problems
	}
	op := route.Operation.OperationID
	key = fmt.Sprintf("%s %d", op, status)
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerAuth},
	}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	var secErr *openapi3filter.SecurityRequirementsError
	if reqErr != nil && errors.As(reqErr, &secErr) {
		// Without a token: 401, unless the request is also malformed
		// (the input checks may answer first).
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		anyToken := *in
		anyToken.Options = &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
		if openapi3filter.ValidateRequest(ctx, &anyToken) == nil && status != http.StatusUnauthorized {
			problems = append(problems, fmt.Sprintf("%s (%s): no bearer token, but answered %d, not 401", what, op, status))
		}
	}
	if reqErr != nil && status < 400 {
		problems = append(problems, fmt.Sprintf("%s (%s): the request does not conform, but was answered %d: %s",
			what, op, status, short(reqErr)))
	}
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	respErr := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(respBody)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
	})
	if respErr != nil {
		problems = append(problems, fmt.Sprintf("%s (%s): the answer %d does not conform: %s\n\tbody: %s",
			what, op, status, short(respErr), shortBytes(respBody)))
	}
	return key, problems
}

// bearerAuth is the document's only security scheme: a bearer token
// present (whether the application knows it is its business: 401).
func bearerAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearer" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	token, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

func short(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

func shortBytes(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// operations lists the document's operation IDs.
func (c *specChecker) operations() []string {
	var out []string
	for _, item := range c.doc.Paths.Map() {
		for _, op := range item.Operations() {
			out = append(out, op.OperationID)
		}
	}
	sort.Strings(out)
	return out
}
