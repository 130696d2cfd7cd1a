package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/web"
)

// TestHostileInput feeds every route of the router, in every path
// parameter, query parameter and form field it reads (and one it does not),
// every API body field, and the headers the application reads, values an
// attacker or a broken client sends: NUL and other control characters,
// invalid UTF-8, bidirectional overrides, huge values, out-of-range dates and
// numbers, wrong JSON types, SQL, HTML and template injection strings. No
// answer may be a 5xx or carry an internal error text; a refused value
// gets an Italian page in the UI and a stable code in the API; injected
// markup never comes back unescaped; and nothing is stored: the data tables
// and the attachment bucket are the same at the end. One application, plain
// HTTP, a few thousand requests. Run it alone with
//
//	./scripts/test.sh -run TestHostileInput ./web/
func TestHostileInput(t *testing.T) {
	w := newSuiteWorld(t)
	before := fingerprint(t, w.Env)
	op := w.identity("operatore.to3")
	admin := w.identity("amministratore")
	to3 := w.asl["TO3"]
	apiToken := w.apis[1].Token // the doctors' software, TO3's practices

	// The valid value of each path parameter, by route: the hostile ones
	// replace it one at a time.
	params := map[string]string{
		":number": to3.Open, ":id": strconv.FormatInt(to3.Exemption, 10), ":draft": op.Draft,
		":doc": to3.CitizenDoc, ":action": "prendi", "*path": "app/app.js", ":provider": "spid",
	}
	apiFields := web.APIRequestFields()
	knownFields := map[string]bool{}
	for _, fields := range hostileFields {
		for _, f := range fields {
			knownFields[f] = true
		}
	}
	for _, f := range web.FieldNames() {
		require.True(t, knownFields[f], "field %q of the input rules is fed to no route: add it to hostileFields", f)
	}

	var routes []gin_route
	for _, r := range w.Web.Routes() {
		routes = append(routes, gin_route{r.Method, r.Path})
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].key() < routes[j].key() })
	requests := 0
	failures := map[string]int{} // by kind of problem
	var examples []string
	for _, r := range routes {
		key := r.key()
		api := strings.HasPrefix(r.path, "/api/v1/")
		codec := strings.HasPrefix(r.path, "/codec/")
		s := op.Session
		switch {
		case strings.HasPrefix(r.path, "/amministrazione/") || codec:
			s = admin.Session
		case key == "POST /logout" || key == "POST /login" || api:
			s = newHTTPSession(t, w.URL) // never end the suite's sessions
		}
		base := hostileBase[key]
		params := params
		if key == "POST /api/v1/practices/:number/cancel" {
			// The validated practice: a cancel that passes is still refused.
			params = map[string]string{":number": to3.Validated}
		}
		send := func(path string, form url.Values, rawBody string, headers []string, what string, invalid bool) {
			t.Helper()
			requests++
			var status int
			var h http.Header
			var body string
			switch {
			case api:
				hs := append([]string{"Authorization", "Bearer " + apiToken}, headers...)
				if r.method == http.MethodGet {
					status, h, body = s.get(path, hs...)
				} else {
					ct := "application/json"
					if strings.HasSuffix(path, "/attachments") || strings.Contains(path, "/attachments?") {
						ct = "application/pdf"
					}
					status, h, body = s.post(path, ct, strings.NewReader(rawBody), hs...)
				}
			case codec:
				hs := append([]string{"Origin", "http://localhost:8233", "Content-Type", "application/json"}, headers...)
				status, h, body = s.do(r.method, path, strings.NewReader(rawBody), hs...)
			case r.method == http.MethodGet || r.method == http.MethodOptions:
				status, h, body = s.do(r.method, path, nil, headers...)
			default:
				enc := url.Values{}
				for k, v := range form {
					enc[k] = v
				}
				status, h, body = s.post(path, "application/x-www-form-urlencoded", strings.NewReader(enc.Encode()), headers...)
			}
			for _, problem := range checkHostileAnswer(status, h, body, api || codec || r.path == "/healthz", invalid) {
				failures[problem]++
				if len(examples) < 25 {
					examples = append(examples, key+" "+what+": "+problem+": "+truncate(body))
				}
			}
		}

		// Path parameters.
		for _, seg := range strings.Split(r.path, "/") {
			if !strings.HasPrefix(seg, ":") && !strings.HasPrefix(seg, "*") {
				continue
			}
			for _, v := range hostileValues {
				path := fillPath(r.path, params, seg, url.PathEscape(v.value))
				send(path+base.query, base.form, base.body, nil, "path "+seg+"="+v.name, v.invalid && seg != "*path")
			}
		}
		path := fillPath(r.path, params, "", "")
		// Query parameters (GET) and form fields (POST), and one the route
		// does not read.
		for _, field := range append(append([]string{}, hostileFields[key]...), "campo_sconosciuto") {
			for _, v := range hostileValues {
				v.invalid = v.invalid && !(multiline[field] && v.name == crlf)
				if r.method == http.MethodGet || api || codec {
					q, _ := url.ParseQuery(strings.TrimPrefix(base.query, "?"))
					q.Set(field, v.value)
					send(path+"?"+q.Encode(), nil, base.body, nil, "query "+field+"="+v.name, v.invalid)
					continue
				}
				form := url.Values{}
				for k, vs := range base.form {
					form[k] = vs
				}
				form.Set(field, v.value)
				send(path+base.query, form, "", nil, "form "+field+"="+v.name, v.invalid)
			}
		}
		// The same parameter twice (a list where one value is read).
		if fields := hostileFields[key]; len(fields) > 0 && r.method == http.MethodGet {
			q, _ := url.ParseQuery(strings.TrimPrefix(base.query, "?"))
			q[fields[0]] = []string{"1", "2"}
			send(path+"?"+q.Encode(), nil, "", nil, "repeated "+fields[0], false)
		}
		// Headers the application reads.
		for _, hname := range []string{"Idempotency-Key", "HX-Request", "Origin", "Referer"} {
			for _, v := range hostileValues {
				if !v.invalid || v.name == "huge accented" || strings.IndexFunc(v.value, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
					continue // net/http sends no control characters in headers, nor reads them
				}
				send(path+base.query, base.form, base.body, []string{hname, v.value}, "header "+hname+"="+v.name, true)
			}
		}
		// JSON body fields, with hostile strings and wrong types.
		for _, field := range apiFields[key] {
			for _, v := range hostileValues {
				v.invalid = v.invalid && !(multiline[field] && v.name == crlf)
				send(path+base.query, nil, jsonWith(base.body, field, v.value), nil, "json "+field+"="+v.name, v.invalid)
			}
			for _, wrong := range []string{`0`, `-1e400`, `true`, `null`, `{}`, `[]`, `[[]]`, `{"$gt":""}`} {
				send(path+base.query, nil, jsonWithRaw(base.body, field, wrong), nil, "json "+field+" of type "+wrong, wrong != `null`)
			}
		}
		// Whole bodies that are not what the route reads.
		if api || codec {
			for name, b := range map[string]string{"empty": "", "NUL": "\x00", "not JSON": "ciao", "two objects": "{}{}",
				"deep": strings.Repeat("[", 10000) + strings.Repeat("]", 10000), "invalid UTF-8": "{\"a\":\"\xff\"}"} {
				send(path+base.query, nil, b, nil, "body "+name, r.method == http.MethodPost && !strings.Contains(path, "/attachments"))
			}
		}
	}
	t.Logf("%d routes, %d requests", len(routes), requests)
	if len(failures) > 0 {
		t.Errorf("problems in %d answers: %v; the first:\n  %s", len(examples), failures, strings.Join(examples, "\n  "))
	}
	require.Equal(t, before, fingerprint(t, w.Env), "hostile input stored something")
}

type gin_route struct{ method, path string }

func (r gin_route) key() string { return r.method + " " + r.path }

// fillPath puts the valid parameters in a route's path, and value in place
// of the one named replace.
func fillPath(route string, params map[string]string, replace, value string) string {
	segs := strings.Split(route, "/")
	for i, seg := range segs {
		switch {
		case seg == replace && replace != "":
			segs[i] = value
		case strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*"):
			segs[i] = params[seg]
		}
	}
	return strings.Join(segs, "/")
}

// jsonWith sets the string at path (a.b, list[]) in a JSON object.
func jsonWith(body, path, value string) string {
	b, _ := json.Marshal(value)
	// json.Marshal turns invalid UTF-8 into U+FFFD: put the raw bytes back.
	raw := string(b)
	if !isValidUTF8(value) {
		raw = `"` + strings.NewReplacer(`"`, `\"`, `\`, `\\`).Replace(value) + `"`
	}
	return jsonWithRaw(body, path, raw)
}

func jsonWithRaw(body, path, raw string) string {
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	if m == nil {
		m = map[string]any{}
	}
	const marker = "\u0001VALORE\u0001"
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	last := parts[len(parts)-1]
	if name, ok := strings.CutSuffix(last, "[]"); ok {
		cur[name] = []any{marker}
	} else {
		cur[last] = marker
	}
	out, _ := json.Marshal(m)
	quoted, _ := json.Marshal(marker)
	return strings.Replace(string(out), string(quoted), raw, 1)
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "") == s }

var apiCode = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)*$`)

// checkHostileAnswer: never 5xx, never internal text, invalid input
// refused with an Italian page or a stable code, markup escaped. It
// returns the problems of an answer.
func checkHostileAnswer(status int, h http.Header, body string, api, invalid bool) []string {
	var problems []string
	if status >= 500 {
		problems = append(problems, "5xx")
	}
	if leaksInternals.MatchString(body) {
		problems = append(problems, "internal error text")
	}
	if strings.Contains(body, "<script>alert(1)</script>") || strings.Contains(body, `<img src=x onerror=alert(1)>`) {
		problems = append(problems, "markup not escaped")
	}
	if invalid && status < 400 {
		problems = append(problems, "invalid input accepted")
	}
	if status < 400 {
		return problems
	}
	if api || strings.Contains(h.Get("Content-Type"), "application/json") {
		var out struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil || !apiCode.MatchString(out.Error.Code) || out.Error.Message == "" {
			problems = append(problems, "API error without a stable code")
		}
		return problems
	}
	if !italianPage.MatchString(body) {
		problems = append(problems, "no Italian message")
	}
	return problems
}

// hostileValue is one value an attacker sends; invalid ones must be
// refused wherever they go, the others must at least not break anything.
type hostileValue struct {
	name, value string
	invalid     bool
}

var hostileValues = []hostileValue{
	{"NUL", "A\x00B", true},
	{"escape sequence", "\x1b[2J\x1b[31mX", true},
	{"bell and backspace", "A\x07\x08B", true},
	{crlf, "A\r\nSet-Cookie: x=1", true},
	{"bidi override", "A\u202eB", true},
	{"invalid UTF-8", "A\xff\xfeB", true},
	{"truncated UTF-8", "A\xc3", true},
	{"overlong UTF-8 slash", "\xc0\xaf", true},
	{"huge", strings.Repeat("A", 5000), true},
	{"huge accented", strings.Repeat("è", 4001), true},
	{"SQL", "' OR '1'='1' --", false},
	{"SQL stacked", "1; DROP TABLE practice; --", false},
	{"HTML", "<script>alert(1)</script>", false},
	{"attribute", `"><img src=x onerror=alert(1)>`, false},
	{"template", "{{.}}${7*7}#{7*7}", false},
	{"path traversal", "../../../etc/passwd", false},
	{"year 0", "01/01/0000", false},
	{"year 9999", "31/12/9999", false},
	{"impossible date", "31/02/2026", false},
	{"negative", "-1", false},
	{"huge number", "99999999999999999999999", false},
	{"float", "1e309", false},
	{"wide letters", "ＲＯＳＳＩ🙂", false},
}

const crlf = "CR LF header injection"

// multiline fields take newlines (CR LF becomes LF).
var multiline = map[string]bool{"nota_beneficiario": true, "nota_interna": true, "nota": true, "beneficiaryNote": true}

// hostileBase is the valid rest of a route's request, so that a hostile
// value is what the route judges (and, for actions, a stale version or a
// missing field so that nothing is done even when the value is fine).
var hostileBase = map[string]struct {
	query, body string
	form        url.Values
}{
	"POST /pratiche/:number/azioni/:action":  {form: staleAction},
	"POST /esenzioni/:id/modifica":           {form: form("versione", "999", "chiave", "ostile", "data_fine", "01/01/2030")},
	"GET /esenzioni/:id/modifica":            {query: "?chiave=ostile"},
	"POST /esenzioni/:id/modifica/documenti": {query: "?chiave=ostile"},
	"GET /esenzioni":                         {query: "?cognome=ZAFFIRO"},
	"GET /amministrazione/accessi.csv":       {query: "?cf=RSSMRA80A01H501U"},
	"POST /api/v1/practices":                 {body: `{"submitter":{"kind":"MEDICO"},"beneficiary":{"fiscalCode":"RSSMRA80A01H501U"},"exemptionCode":"000","diagnosisCode":"2960"}`},
	"POST /api/v1/practices/:number/cancel":  {body: `{"beneficiaryNote":"nota"}`},
	"POST /codec/encode":                     {body: `{"payloads":[]}`},
	"POST /codec/decode":                     {body: `{"payloads":[]}`},
}

// hostileFields are the query parameters (GET) and form fields (POST) each
// route reads.
var hostileFields = map[string][]string{
	"GET /login":                             {"next"},
	"GET /login/certificato":                 {"next"},
	"GET /login/certificato/tls":             {"richiesta"},
	"GET /login/certificato/esito":           {"richiesta"},
	"GET /login/oidc/:provider":              {"next"},
	"GET /login/oidc/:provider/callback":     {"state", "code", "error", "error_description", "iss", "session_state"},
	"POST /login":                            {"username", "password", "pin", "next"},
	"POST /profilo":                          {"profilo"},
	"GET /pratiche/da-fare":                  {"stato", "codice", "da", "a", "cognome", "nome", "cf", "dopo"},
	"GET /pratiche/chiuse":                   {"stato", "codice", "da", "a", "cognome", "nome", "cf", "dopo"},
	"POST /pratiche/:number/azioni/:action":  {"versione", "chiave", "nota_beneficiario", "nota_interna", "motivazione"},
	"GET /esenzioni":                         {"stato", "codice", "da", "a", "cognome", "nome", "cf", "dopo"},
	"GET /esenzioni/nuova":                   {"cognome", "nome", "cf"},
	"GET /esenzioni/nuova/assistito":         {"cf"},
	"POST /esenzioni/nuova":                  {"cf"},
	"GET /esenzioni/nuova/:draft/tipologia":  {"categoria", "diagnosi", "codice"},
	"POST /esenzioni/nuova/:draft/tipologia": {"categoria", "diagnosi", "codice"},
	"POST /esenzioni/nuova/:draft/scadenza":  {"data_fine", "senza_scadenza"},
	"GET /esenzioni/:id":                     {"rilasciata"},
	"GET /esenzioni/:id/modifica":            {"chiave"},
	"POST /esenzioni/:id/modifica":           {"chiave", "versione", "data_fine", "nota"},
	"POST /esenzioni/:id/modifica/documenti": {"tipo", "data_rilascio", "data_validita"},
	"GET /amministrazione/accessi.csv":       {"cf", "da", "a"},
	"POST /api/v1/attachments":               {"fileName"},
}
