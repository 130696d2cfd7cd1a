package web_test

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAuthorizationMatrix requests every route of the router (pages, API,
// codec, downloads) as every role (ASL operator, district doctor, operator
// of the other ASL, regional administrator, no session; for the API the
// doctors' software, the citizens' portal and no token), on records of the
// identity's own ASL and of the other one, and checks the status and that
// no answer carries personal data of the other ASL where the manual does
// not show it.
//
// The list of routes comes from the router: a route added without an entry
// in authzMatrix fails this test, and so does an entry left behind by a
// removed route. Run it alone with
//
//	./scripts/test.sh -run TestAuthorizationMatrix ./web/
func TestAuthorizationMatrix(t *testing.T) {
	w := newSuiteWorld(t)
	routes := map[string]bool{}
	for _, r := range w.Web.Routes() {
		routes[r.Method+" "+r.Path] = true
	}
	var missing, stale []string
	for r := range routes {
		if _, ok := authzMatrix[r]; !ok {
			missing = append(missing, r)
		}
	}
	for r := range authzMatrix {
		if !routes[r] {
			stale = append(stale, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	require.Empty(t, missing, "routes without an entry in the authorization matrix (authz_matrix_test.go)")
	require.Empty(t, stale, "entries of the authorization matrix for routes that no longer exist")

	keys := make([]string, 0, len(authzMatrix))
	for k := range authzMatrix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	cells := 0
	for _, route := range keys {
		spec := authzMatrix[route]
		method, _, _ := strings.Cut(route, " ")
		if spec.api {
			for _, api := range w.apis {
				for _, own := range ownerships(spec) {
					cells++
					req := spec.request(w, nil, api, own)
					status, body := w.sendAPI(t, method, api, req)
					want := spec.want(nil, api, own)
					assert.Equal(t, want, status, "%s as %s, %s: %s", route, api.Name, ownWord(own), body)
					w.requireNoLeak(t, route, spec, api.ASL, api.Token == "", req.path, body)
				}
			}
			continue
		}
		for _, id := range w.ids {
			for _, own := range ownerships(spec) {
				cells++
				req := spec.request(w, id, nil, own)
				s := id.Session
				if spec.freshSession && id.Username != "" {
					s = loginHTTP(t, w.URL, id.Username)
				}
				status, body := w.sendUI(t, method, s, req)
				want := spec.want(id, nil, own)
				assert.Equal(t, want, status, "%s as %s, %s (%s): %s", route, id.Name, ownWord(own), req.path, truncate(body))
				w.requireNoLeak(t, route, spec, id.ASL, id.Username == "", req.path, body)
			}
		}
	}
	t.Logf("%d routes, %d cells", len(keys), cells)
}

func ownWord(own bool) string {
	if own {
		return "own ASL"
	}
	return "other ASL"
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

func ownerships(s authzSpec) []bool {
	if s.scoped {
		return []bool{true, false}
	}
	return []bool{true}
}

// authzRequest is one request of a cell.
type authzRequest struct {
	path        string
	form        url.Values // urlencoded body
	contentType string     // a raw body's type
	body        string
	headers     []string
}

// authzSpec is a route's row: how to build its request for an identity and
// records of its own ASL or of the other, and what must come back.
type authzSpec struct {
	api          bool // API route: identities are the API clients
	scoped       bool // the route names a record: try own and other ASL
	freshSession bool // the request ends its session (logout)
	// otherData: the page may show another ASL's person, as the manual
	// says (7.1: every operator sees a person's exemptions; 7.3: the
	// wizard finds any resident, and lets only the ASL of residence issue).
	otherData bool
	request   func(w *suiteWorld, id *identity, api *apiIdentity, own bool) authzRequest
	want      func(id *identity, api *apiIdentity, own bool) int
}

func (w *suiteWorld) sendUI(t *testing.T, method string, s *httpSession, r authzRequest) (int, string) {
	t.Helper()
	switch {
	case method == http.MethodGet || method == http.MethodOptions:
		status, _, body := s.do(method, r.path, nil, r.headers...)
		return status, body
	case r.contentType != "":
		status, _, body := s.post(r.path, r.contentType, strings.NewReader(r.body), r.headers...)
		return status, body
	}
	form := url.Values{}
	for k, v := range r.form {
		form[k] = v
	}
	status, _, body := s.postForm(r.path, form, r.headers...)
	return status, body
}

func (w *suiteWorld) sendAPI(t *testing.T, method string, api *apiIdentity, r authzRequest) (int, string) {
	t.Helper()
	s := newHTTPSession(t, w.URL)
	headers := r.headers
	if api.Token != "" {
		headers = append(headers, "Authorization", "Bearer "+api.Token)
	}
	if method == http.MethodGet {
		status, _, body := s.get(r.path, headers...)
		return status, body
	}
	ct := r.contentType
	if ct == "" {
		ct = "application/json"
	}
	status, _, body := s.post(r.path, ct, strings.NewReader(r.body), headers...)
	return status, body
}

// requireNoLeak: an answer to an identity of one ASL holds no fiscal code
// or surname of the other ASL's person (unless the route shows them by
// design); an anonymous one holds none at all. What the request itself
// carried (a fiscal code in the query, echoed by a redirect to the login)
// is not a leak.
func (w *suiteWorld) requireNoLeak(t *testing.T, route string, spec authzSpec, asl string, anonymous bool, requested, body string) {
	t.Helper()
	var forbidden []string
	switch {
	case anonymous:
		forbidden = append(append(forbidden, w.asl["TO3"].OtherPersonPII...), w.asl["CN2"].OtherPersonPII...)
	case spec.otherData || asl == "":
		return
	case asl == "TO3":
		forbidden = w.asl["CN2"].OtherPersonPII
	case asl == "CN2":
		forbidden = w.asl["TO3"].OtherPersonPII
	}
	for _, f := range forbidden {
		if !strings.Contains(requested, f) {
			assert.NotContains(t, body, f, "%s: personal data of another ASL in the answer", route)
		}
	}
}

// Expectations.

const loginRedirect = http.StatusSeeOther

// public: the same answer for everybody.
func public(status int) func(*identity, *apiIdentity, bool) int {
	return func(*identity, *apiIdentity, bool) int { return status }
}

// loggedIn: any operator gets status; no session goes to the login.
func loggedIn(status int) func(*identity, *apiIdentity, bool) int {
	return func(id *identity, _ *apiIdentity, _ bool) int {
		if id.Username == "" {
			return loginRedirect
		}
		return status
	}
}

// inScope: records of the operator's ASL (any for the regional
// administrator) get status, the other ASL's get otherStatus.
func inScope(status, otherStatus int) func(*identity, *apiIdentity, bool) int {
	return func(id *identity, _ *apiIdentity, own bool) int {
		switch {
		case id.Username == "":
			return loginRedirect
		case own || id.Regional:
			return status
		}
		return otherStatus
	}
}

// roles: status by identity name (own records), for rules that depend on
// the role.
func roles(byName map[string]int, otherStatus int) func(*identity, *apiIdentity, bool) int {
	return func(id *identity, _ *apiIdentity, own bool) int {
		if id.Username == "" {
			return loginRedirect
		}
		if !own && !id.Regional {
			return otherStatus
		}
		s, ok := byName[id.Name]
		if !ok {
			panic("no expectation for " + id.Name)
		}
		return s
	}
}

// perOperator: drafts belong to the operator who started them.
func perOperator(status int) func(*identity, *apiIdentity, bool) int {
	return func(id *identity, _ *apiIdentity, own bool) int {
		switch {
		case id.Username == "":
			return loginRedirect
		case own:
			return status
		}
		return http.StatusNotFound
	}
}

// adminOnly: the regional administrator's functions.
func adminOnly(status int) func(*identity, *apiIdentity, bool) int {
	return func(id *identity, _ *apiIdentity, _ bool) int {
		switch {
		case id.Username == "":
			return loginRedirect
		case id.Regional:
			return status
		}
		return http.StatusForbidden
	}
}

// apiScoped: a client sees only its own practices; no token is 401.
func apiScoped(status, otherStatus int) func(*identity, *apiIdentity, bool) int {
	return func(_ *identity, api *apiIdentity, own bool) int {
		switch {
		case api.Token == "":
			return http.StatusUnauthorized
		case own:
			return status
		}
		return otherStatus
	}
}

// codecAccess: the codec endpoint serves the administrator's session, from
// the Temporal UI's origin.
func codecAccess(id *identity, _ *apiIdentity, _ bool) int {
	if id.Regional {
		return http.StatusOK
	}
	return http.StatusForbidden
}

// codecDecodeAccess: a logged-in operator who is not an administrator gets
// the payloads back still encrypted (200, so the Temporal UI shows no error
// banner; web/codec_test.go checks they stay encrypted); without
// a session it is refused.
func codecDecodeAccess(id *identity, _ *apiIdentity, _ bool) int {
	if id.Regional || id.Username != "" {
		return http.StatusOK
	}
	return http.StatusForbidden
}

// Request builders.

func get(path string) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest { return authzRequest{path: path} }
}

func post(path string, form url.Values) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
		return authzRequest{path: path, form: form}
	}
}

func practicePath(suffix string, open bool, form url.Values) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(w *suiteWorld, id *identity, _ *apiIdentity, own bool) authzRequest {
		d := w.own(id)
		if !own {
			d = w.other(id)
		}
		n := d.Validated
		if open {
			n = d.Open
		}
		return authzRequest{path: "/pratiche/" + n + suffix, form: form}
	}
}

func exemptionPath(suffix string, form url.Values) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(w *suiteWorld, id *identity, _ *apiIdentity, own bool) authzRequest {
		d := w.own(id)
		if !own {
			d = w.other(id)
		}
		return authzRequest{path: "/esenzioni/" + strconv.FormatInt(d.Exemption, 10) + suffix, form: form}
	}
}

func draftPath(suffix string, form url.Values) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(w *suiteWorld, id *identity, _ *apiIdentity, own bool) authzRequest {
		return authzRequest{path: "/esenzioni/nuova/" + w.draftOf(id, own) + suffix, form: form}
	}
}

func documentPath(suffix string, certificate bool) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(w *suiteWorld, id *identity, _ *apiIdentity, own bool) authzRequest {
		d := w.own(id)
		if !own {
			d = w.other(id)
		}
		doc := d.CitizenDoc
		if certificate {
			doc = d.Certificate
		}
		return authzRequest{path: "/documenti/" + doc + suffix}
	}
}

func codecRequest(path string, preflight bool) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
		r := authzRequest{path: path, headers: []string{"Origin", "http://localhost:8233"}}
		if preflight {
			r.headers = append(r.headers, "Access-Control-Request-Method", "POST")
			return r
		}
		r.contentType, r.body = "application/json", `{"payloads":[]}`
		return r
	}
}

// apiPractice is the client's own practice (open, or closed: validated)
// or the other client's.
func apiPractice(suffix string, open bool, body string) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(w *suiteWorld, _ *identity, api *apiIdentity, own bool) authzRequest {
		asl := api.ASL
		if asl == "" {
			asl = "TO3"
		}
		if !own {
			asl = map[string]string{"TO3": "CN2", "CN2": "TO3"}[asl]
		}
		n := w.asl[asl].Validated
		if open {
			n = w.asl[asl].Open
		}
		return authzRequest{path: "/api/v1/practices/" + n + suffix, body: body}
	}
}

func apiBody(path, contentType, body string) func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
	return func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
		return authzRequest{path: path, contentType: contentType, body: body}
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// staleAction is an action form with a version the practice never had: the
// workflow's validator answers (409 for who may act), and nothing changes.
var staleAction = form("versione", "999", "chiave", "matrice")

// authzMatrix has one entry per route of the router. Actions are sent so
// that, where they are allowed, they are refused by the domain (a stale
// version, an empty form) and change nothing: the status still tells
// allowed (the domain answers) from forbidden (the scope answers).
var authzMatrix = map[string]authzSpec{
	// Public.
	"GET /healthz":          {request: get("/healthz"), want: public(http.StatusOK)},
	"GET /api/openapi.yaml": {request: get("/api/openapi.yaml"), want: public(http.StatusOK)},
	"GET /static/*path":     {request: get("/static/app/app.js"), want: public(http.StatusOK)},
	"GET /favicon.ico":      {request: get("/favicon.ico"), want: public(http.StatusNoContent)},
	"GET /login": {request: get("/login"), want: func(id *identity, _ *apiIdentity, _ bool) int {
		if id.Username == "" {
			return http.StatusOK
		}
		return http.StatusSeeOther // logged in already: on to the home page
	}},
	// The login form posted from another site is refused (login CSRF).
	"POST /login": {request: func(*suiteWorld, *identity, *apiIdentity, bool) authzRequest {
		return authzRequest{path: "/login", form: form("username", "operatore.to3", "password", "x", "pin", "1"),
			headers: []string{"Sec-Fetch-Site", "cross-site"}}
	}, want: public(http.StatusForbidden)},

	// Certificate and SPID/CIE login: public steps of a login (the test
	// application has neither a certificate listener nor a provider).
	"GET /login/certificato":             {request: get("/login/certificato"), want: public(http.StatusNotFound)},
	"GET /login/certificato/tls":         {request: get("/login/certificato/tls?richiesta=abc"), want: public(http.StatusSeeOther)},
	"GET /login/certificato/esito":       {request: get("/login/certificato/esito?richiesta=abc"), want: public(http.StatusBadRequest)},
	"GET /login/oidc/:provider":          {request: get("/login/oidc/spid"), want: public(http.StatusNotFound)},
	"GET /login/oidc/:provider/callback": {request: get("/login/oidc/spid/callback?state=abc&code=def"), want: public(http.StatusNotFound)},

	// Codec (Temporal UI), from the UI's origin.
	"POST /codec/encode":    {request: codecRequest("/codec/encode", false), want: codecAccess},
	"POST /codec/decode":    {request: codecRequest("/codec/decode", false), want: codecDecodeAccess},
	"OPTIONS /codec/encode": {request: codecRequest("/codec/encode", true), want: public(http.StatusNoContent)},
	"OPTIONS /codec/decode": {request: codecRequest("/codec/decode", true), want: public(http.StatusNoContent)},

	// Intake API.
	"POST /api/v1/attachments": {api: true, request: apiBody("/api/v1/attachments?fileName=vuoto.pdf", "application/pdf", ""),
		want: apiScoped(http.StatusUnprocessableEntity, 0)},
	"POST /api/v1/practices": {api: true, request: apiBody("/api/v1/practices", "application/json", `{}`),
		want: apiScoped(http.StatusUnprocessableEntity, 0)},
	"GET /api/v1/practices/:number": {api: true, scoped: true, request: apiPractice("", true, ""),
		want: apiScoped(http.StatusOK, http.StatusNotFound)},
	// Own: the validated practice, which can no longer be cancelled.
	"POST /api/v1/practices/:number/cancel": {api: true, scoped: true, request: apiPractice("/cancel", false, `{}`),
		want: apiScoped(http.StatusConflict, http.StatusNotFound)},

	// Pages of any operator.
	"POST /logout":          {freshSession: true, request: post("/logout", nil), want: loggedIn(http.StatusSeeOther)},
	"GET /":                 {request: get("/"), want: loggedIn(http.StatusOK)},
	"POST /profilo":         {request: post("/profilo", form("profilo", "0")), want: loggedIn(http.StatusBadRequest)},
	"GET /notifiche":        {request: get("/notifiche"), want: loggedIn(http.StatusOK)},
	"GET /pratiche":         {request: get("/pratiche"), want: loggedIn(http.StatusSeeOther)},
	"GET /esenzioni":        {request: get("/esenzioni"), want: loggedIn(http.StatusOK)},
	"GET /esenzioni/nuova":  {request: get("/esenzioni/nuova"), want: loggedIn(http.StatusOK)},
	"GET /pratiche/da-fare": {request: get("/pratiche/da-fare"), want: loggedIn(http.StatusOK)},
	"GET /pratiche/chiuse":  {request: get("/pratiche/chiuse"), want: loggedIn(http.StatusOK)},

	// A practice: its ASL's operators and doctors, and the region.
	"GET /pratiche/:number":             {scoped: true, request: practicePath("", true, nil), want: inScope(http.StatusOK, http.StatusNotFound)},
	"GET /pratiche/:number/cronologia":  {scoped: true, request: practicePath("/cronologia", true, nil), want: inScope(http.StatusOK, http.StatusNotFound)},
	"GET /pratiche/:number/prestazioni": {scoped: true, request: practicePath("/prestazioni", true, nil), want: inScope(http.StatusOK, http.StatusNotFound)},
	"GET /pratiche/:number/certificato": {scoped: true, request: practicePath("/certificato", true, nil), want: inScope(http.StatusOK, http.StatusNotFound)},
	"GET /pratiche/:number/allegati.zip": {scoped: true, request: practicePath("/allegati.zip", true, nil),
		want: inScope(http.StatusOK, http.StatusNotFound)},
	"POST /pratiche/:number/azioni/:action": {scoped: true, request: practicePath("/azioni/prendi", true, staleAction),
		want: roles(map[string]int{"operatore.to3": http.StatusConflict, "medico.to3": http.StatusConflict,
			"operatore.cn2": http.StatusConflict, "amministratore": http.StatusConflict}, http.StatusNotFound)},

	// Documents, through the application.
	"GET /documenti/:doc": {scoped: true, request: documentPath("", false), want: inScope(http.StatusOK, http.StatusNotFound)},
	"GET /documenti/:doc/contenuto": {scoped: true, request: documentPath("/contenuto", true),
		want: inScope(http.StatusOK, http.StatusNotFound)},

	// An exemption: every operator reads it (manual 7.1); only the ASL of
	// residence (and the region) changes it (7.2).
	"GET /esenzioni/:id":                {scoped: true, otherData: true, request: exemptionPath("", nil), want: inScope(http.StatusOK, http.StatusOK)},
	"GET /esenzioni/:id/prestazioni":    {scoped: true, otherData: true, request: exemptionPath("/prestazioni", nil), want: inScope(http.StatusOK, http.StatusOK)},
	"GET /esenzioni/:id/promemoria.pdf": {scoped: true, otherData: true, request: exemptionPath("/promemoria.pdf", nil), want: inScope(http.StatusOK, http.StatusOK)},
	"GET /esenzioni/:id/modifica":       {scoped: true, request: exemptionPath("/modifica", nil), want: inScope(http.StatusOK, http.StatusForbidden)},
	"POST /esenzioni/:id/modifica":      {scoped: true, request: exemptionPath("/modifica", form("versione", "1")), want: inScope(http.StatusUnprocessableEntity, http.StatusForbidden)},
	"POST /esenzioni/:id/modifica/documenti": {scoped: true, request: exemptionPath("/modifica/documenti?chiave=matrice", form("tipo", "X")),
		want: inScope(http.StatusUnprocessableEntity, http.StatusForbidden)},
	// Deletes only the caller's own staged documents: nothing to delete here.
	"POST /esenzioni/:id/modifica/documenti/:doc/elimina": {scoped: true,
		request: exemptionPath("/modifica/documenti/"+"00000000-0000-4000-8000-000000000000"+"/elimina", nil), want: inScope(http.StatusSeeOther, http.StatusSeeOther)},

	// The new-exemption wizard: any resident is found (7.3); a draft is its
	// operator's alone; only the ASL of residence issues.
	"GET /esenzioni/nuova/assistito": {scoped: true, otherData: true, request: func(w *suiteWorld, id *identity, _ *apiIdentity, own bool) authzRequest {
		d := w.own(id)
		if !own {
			d = w.other(id)
		}
		return authzRequest{path: "/esenzioni/nuova/assistito?cf=" + d.Person.FiscalCode}
	}, want: inScope(http.StatusOK, http.StatusOK)},
	"POST /esenzioni/nuova": {scoped: true, request: func(w *suiteWorld, id *identity, _ *apiIdentity, own bool) authzRequest {
		d := w.own(id)
		if !own {
			d = w.other(id)
		}
		return authzRequest{path: "/esenzioni/nuova", form: form("cf", d.Person.FiscalCode)}
	}, want: inScope(http.StatusSeeOther, http.StatusForbidden)},
	"GET /esenzioni/nuova/:draft/tipologia":  {scoped: true, request: draftPath("/tipologia", nil), want: perOperator(http.StatusOK)},
	"POST /esenzioni/nuova/:draft/tipologia": {scoped: true, request: draftPath("/tipologia", nil), want: perOperator(http.StatusUnprocessableEntity)},
	"GET /esenzioni/nuova/:draft/scadenza":   {scoped: true, request: draftPath("/scadenza", nil), want: perOperator(http.StatusSeeOther)},
	"POST /esenzioni/nuova/:draft/scadenza":  {scoped: true, request: draftPath("/scadenza", nil), want: perOperator(http.StatusSeeOther)},
	"GET /esenzioni/nuova/:draft/documenti":  {scoped: true, request: draftPath("/documenti", nil), want: perOperator(http.StatusOK)},
	"POST /esenzioni/nuova/:draft/documenti": {scoped: true, request: draftPath("/documenti", form("tipo", "X")), want: perOperator(http.StatusUnprocessableEntity)},
	"POST /esenzioni/nuova/:draft/documenti/:doc/elimina": {scoped: true,
		request: draftPath("/documenti/00000000-0000-4000-8000-000000000000/elimina", nil), want: perOperator(http.StatusSeeOther)},
	"GET /esenzioni/nuova/:draft/riepilogo": {scoped: true, request: draftPath("/riepilogo", nil), want: perOperator(http.StatusSeeOther)},
	"POST /esenzioni/nuova/:draft/conferma": {scoped: true, request: draftPath("/conferma", nil), want: perOperator(http.StatusSeeOther)},
	"GET /esenzioni/nuova/:draft/esito":     {scoped: true, request: draftPath("/esito", nil), want: perOperator(http.StatusSeeOther)},

	// The regional administrator's audit export.
	"GET /amministrazione/accessi": {request: get("/amministrazione/accessi"), want: adminOnly(http.StatusOK)},
	"GET /amministrazione/accessi.csv": {request: func(w *suiteWorld, _ *identity, _ *apiIdentity, _ bool) authzRequest {
		return authzRequest{path: "/amministrazione/accessi.csv?cf=" + w.asl["TO3"].Person.FiscalCode}
	}, want: adminOnly(http.StatusOK)},
}
