package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esenzioni/domain/access"
	"esenzioni/domain/practice"
	"esenzioni/internal/apptest"
	"esenzioni/internal/config"
	"esenzioni/store"
)

// Regression tests of issue 12 (input and web): each fails on the code
// before the fix.

// TestMalformedInputGetsNoServerError: identifiers that are not
// identifiers, NUL in filters and cursors, year 0, huge keys, actions on a
// workflow that is gone: 4xx with an Italian page, never 500 (116 of them
// were found), never an internal error text.
func TestMalformedInputGetsNoServerError(t *testing.T) {
	w := newUIWorld(t)
	op := loginHTTP(t, w.URL, "operatore.to3")
	admin := loginHTTP(t, w.URL, "amministratore")
	nulNames := base64.RawURLEncoding.EncodeToString([]byte("ROSSI\x00\nMARIO"))
	for _, tc := range []struct {
		name, path string
		s          *httpSession
		status     int
	}{
		{"document id not a UUID", "/documenti/non-un-uuid", op, 404},
		{"document content id not a UUID", "/documenti/1%27%20OR%201=1--/contenuto", op, 404},
		{"draft id not a UUID", "/esenzioni/nuova/non-un-uuid/tipologia", op, 404},
		{"draft summary id not a UUID", "/esenzioni/nuova/12345/riepilogo", op, 404},
		{"NUL in a filter", "/pratiche/da-fare?cognome=ROS%00SI", op, 400},
		{"NUL in the code filter", "/pratiche/chiuse?codice=%00", op, 400},
		{"NUL in an exemption filter", "/esenzioni?cognome=%00", op, 400},
		{"NUL in the wizard search", "/esenzioni/nuova?cf=%00&cognome=A&nome=B", op, 400},
		{"NUL in a cursor", "/pratiche/da-fare?dopo=%00", op, 400},
		{"NUL inside a cursor's names", "/pratiche/da-fare?cognome=ROSSI&dopo=1772359200000000-202601020300000001-" + nulNames, op, 200},
		{"year 0 in an exemption cursor", "/esenzioni?cognome=ROSSI&dopo=00000101-7-" + nulNames, op, 200},
		{"out of range cursor time", "/pratiche/da-fare?dopo=-62167219200000001-202601020300000001", op, 200},
		{"year 0000 in a practice filter", "/pratiche/da-fare?da=01/01/0000", op, 422},
		{"year 0000 in an exemption filter", "/esenzioni?cognome=ROSSI&a=0000-01-01", op, 422},
		{"year 0000 in the audit export", "/amministrazione/accessi.csv?cf=" + w.rossi.FiscalCode + "&da=01/01/0000", admin, 422},
		{"invalid UTF-8 in a filter", "/pratiche/da-fare?cognome=%C3%28", op, 400},
		{"invalid percent-encoding", "/pratiche/da-fare?cognome=%zz", op, 400},
		{"a Modifica key of 1500 characters", "/esenzioni/1/modifica?chiave=" + strings.Repeat("k", 1500), op, 400},
		{"no such page", "/non-esiste", op, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := tc.s.get(tc.path)
			require.Equal(t, tc.status, status, body)
			require.NotRegexp(t, leaksInternals, body)
			if status >= 400 && !strings.Contains(h.Get("Content-Type"), "csv") {
				require.Regexp(t, italianPage, body)
			}
		})
	}

	t.Run("an action key of 1500 characters", func(t *testing.T) {
		status, _, body := op.postForm("/pratiche/"+w.sent+"/azioni/nota", url.Values{"versione": {"1"},
			"chiave": {strings.Repeat("k", 1500)}, "nota_interna": {"prova"}})
		require.Equal(t, http.StatusBadRequest, status, body)
		require.NotRegexp(t, leaksInternals, body)
		require.Contains(t, body, "chiave del modulo")
	})

	t.Run("an element of a path that is not a document", func(t *testing.T) {
		status, _, body := op.postForm("/esenzioni/nuova/non-un-uuid/documenti/non-un-uuid/elimina", url.Values{})
		require.Equal(t, http.StatusNotFound, status, body)
	})

	t.Run("an action on a practice whose workflow is gone", func(t *testing.T) {
		number := w.Submit(w.bianchi, "044", "2960")
		require.NoError(t, w.App.Temporal.TerminateWorkflow(context.Background(), practice.WorkflowID(number), "", "prova"))
		status, _, body := op.postForm("/pratiche/"+number+"/azioni/prendi", url.Values{"versione": {"1"}, "chiave": {"k1"}})
		require.Equal(t, http.StatusConflict, status, body)
		require.Contains(t, body, "Operazione non più possibile")
		require.NotRegexp(t, leaksInternals, body)
	})

	t.Run("API: JSON errors name no library", func(t *testing.T) {
		token := w.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, "")
		api := newHTTPSession(t, w.URL)
		for _, body := range []string{`{"unexpected":true}`, `{"exemptionCode":`, `{"exemptionCode":44}`, `[]`} {
			status, _, out := api.post("/api/v1/practices", "application/json", strings.NewReader(body), "Authorization", "Bearer "+token)
			require.Equal(t, http.StatusBadRequest, status, out)
			require.NotRegexp(t, leaksInternals, out)
		}
		status, _, out := api.get("/api/v1/practices/1%00", "Authorization", "Bearer "+token)
		require.Equal(t, http.StatusBadRequest, status, out)
		require.Equal(t, "input.invalid_characters", apiErrorCode(t, out))
	})
}

func apiErrorCode(t *testing.T, body string) string {
	t.Helper()
	var out struct {
		Error struct {
			Code   string
			Fields []struct{ Field, Code string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &out), body)
	return out.Error.Code
}

func apiErrorField(t *testing.T, body string) string {
	t.Helper()
	var out struct {
		Error struct{ Fields []struct{ Field string } }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &out), body)
	if len(out.Error.Fields) == 0 {
		return ""
	}
	return out.Error.Fields[0].Field
}

// TestBadBytesAreRefusedAndNothingStored: NUL, control characters and
// invalid UTF-8 in a form, a query, a multipart field, a JSON body or a
// header are refused with an Italian message (the form again, for the
// practice notes) or a stable code, and nothing is stored; CRLF in a note
// is stored as LF.
func TestBadBytesAreRefusedAndNothingStored(t *testing.T) {
	w := newUIWorld(t)
	op := loginHTTP(t, w.URL, "operatore.to3")

	t.Run("NUL in a note: the form again, the text kept, nothing stored", func(t *testing.T) {
		before := fingerprint(t, w.Env)
		status, _, body := op.postForm("/pratiche/"+w.sent+"/azioni/nota", url.Values{"versione": {"1"}, "chiave": {"nul1"},
			"nota_beneficiario": {"Visita fissata"}, "nota_interna": {"Contatto\x00 telefonico"}})
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Contains(t, body, "Il campo «Nota interna» contiene caratteri non ammessi")
		require.Contains(t, body, "Contatto telefonico</textarea>", "the note is on the form again, without the NUL")
		require.Contains(t, body, "Visita fissata</textarea>")
		require.Equal(t, before, fingerprint(t, w.Env))
	})

	for name, note := range map[string]string{
		"escape character": "rosso\x1b[31m", "vertical tab": "a\vb", "bidi override": "a\u202eb", "invalid UTF-8": "a\xffb",
	} {
		t.Run(name+" in a note", func(t *testing.T) {
			before := fingerprint(t, w.Env)
			status, _, body := op.postRawForm("/pratiche/"+w.sent+"/azioni/nota",
				"versione=1&chiave=bad&nota_interna="+url.QueryEscape(note))
			require.Equal(t, http.StatusBadRequest, status, body)
			require.Contains(t, body, "caratteri non ammessi")
			require.Equal(t, before, fingerprint(t, w.Env))
		})
	}

	t.Run("CRLF in a note is stored as LF", func(t *testing.T) {
		status, _, body := op.postForm("/pratiche/"+w.sent+"/azioni/nota", url.Values{"versione": {"1"}, "chiave": {"crlf1"},
			"nota_interna": {"riga 1\r\nriga 2\r\n\tpunto"}})
		require.Equal(t, http.StatusSeeOther, status, body)
		events, err := w.Store().PracticeEvents(context.Background(), w.sent)
		require.NoError(t, err)
		require.Equal(t, "riga 1\nriga 2\n\tpunto", events[0].InternalNote)
	})

	t.Run("a tab inside a single-line field", func(t *testing.T) {
		status, _, body := op.get("/pratiche/da-fare?cognome=" + url.QueryEscape("ROS\tSI"))
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Contains(t, body, "Il campo «Cognome» contiene caratteri non ammessi")
		// Around it, spaces and a tab copied from a spreadsheet are trimmed.
		status, _, body = op.get("/pratiche/da-fare?cf=" + url.QueryEscape(w.rossi.FiscalCode+"\t"))
		require.Equal(t, http.StatusOK, status, body)
		require.Contains(t, body, w.sent)
	})

	t.Run("a form over its size", func(t *testing.T) {
		status, _, body := op.postRawForm("/pratiche/"+w.sent+"/azioni/nota", "versione=1&chiave=big&x="+strings.Repeat("a", 300<<10))
		require.Equal(t, http.StatusRequestEntityTooLarge, status, body)
	})

	t.Run("a note over its length", func(t *testing.T) {
		before := fingerprint(t, w.Env)
		status, _, body := op.postForm("/pratiche/"+w.sent+"/azioni/nota", url.Values{"versione": {"1"}, "chiave": {"long1"},
			"nota_interna": {strings.Repeat("è", 4001)}})
		require.Equal(t, http.StatusBadRequest, status, body)
		require.Contains(t, body, "supera la lunghezza massima di 4000 caratteri")
		require.Equal(t, before, fingerprint(t, w.Env))
	})

	t.Run("NUL in a multipart field of an upload", func(t *testing.T) {
		ew := newExemptionWorld(t)
		id := ew.soon
		s := loginHTTP(t, ew.URL, "operatore.to3")
		before := fingerprint(t, ew.Env)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		require.NoError(t, mw.WriteField("tipo", "CERT\x00"))
		require.NoError(t, mw.WriteField("data_rilascio", "01/02/2025"))
		fw, err := mw.CreateFormFile("file", "certificato.pdf")
		require.NoError(t, err)
		_, _ = fw.Write(ew.SignedPDF("certificato"))
		require.NoError(t, mw.Close())
		status, _, out := s.post("/esenzioni/"+strconv.FormatInt(id, 10)+"/modifica/documenti?chiave=k1", mw.FormDataContentType(), &body)
		require.Equal(t, http.StatusUnprocessableEntity, status, out)
		require.Contains(t, out, "Il campo «Tipo documento» contiene caratteri non ammessi")
		require.Equal(t, before, fingerprint(t, ew.Env))
	})

	token := w.APIClient("portale", []practice.SubmitterKind{practice.SubmitterCitizen}, "")
	api := newHTTPSession(t, w.URL)
	apiPost := func(path, body string, headers ...string) (int, string) {
		status, _, out := api.post(path, "application/json", strings.NewReader(body), append([]string{"Authorization", "Bearer " + token}, headers...)...)
		return status, out
	}
	t.Run("API: NUL in a note is refused, the practice stays as it was", func(t *testing.T) {
		status, out := apiPost("/api/v1/practices", `{"submitter":{"kind":"CITTADINO","fiscalCode":"`+w.bianchi.FiscalCode+
			`"},"beneficiary":{"fiscalCode":"`+w.bianchi.FiscalCode+`"},"exemptionCode":"044","diagnosisCode":"2960"}`)
		require.Equal(t, http.StatusCreated, status, out)
		var created struct{ Number string }
		require.NoError(t, json.Unmarshal([]byte(out), &created))
		number := created.Number
		w.WaitPractice(number, func(store.Practice) bool { return true })
		before := fingerprint(t, w.Env)
		status, out = apiPost("/api/v1/practices/"+number+"/cancel", `{"beneficiaryNote":"annullata\u0000"}`)
		require.Equal(t, http.StatusBadRequest, status, out)
		require.Equal(t, "input.invalid_characters", apiErrorCode(t, out))
		require.Equal(t, "beneficiaryNote", apiErrorField(t, out))
		require.Equal(t, before, fingerprint(t, w.Env))
		p, err := w.Store().PracticeByNumber(context.Background(), number)
		require.NoError(t, err)
		require.Equal(t, "INVIATA", p.State)
	})
	t.Run("API: invalid UTF-8, control characters, an Idempotency-Key that is not text", func(t *testing.T) {
		before := fingerprint(t, w.Env)
		submit := `{"submitter":{"kind":"CITTADINO","fiscalCode":"` + w.bianchi.FiscalCode + `"},"beneficiary":{"fiscalCode":"` +
			w.bianchi.FiscalCode + `","lastName":"%s"},"exemptionCode":"044","diagnosisCode":"2960"}`
		for name, tc := range map[string]struct {
			body    string
			headers []string
			code    string
		}{
			"raw invalid UTF-8":          {strings.Replace(submit, "%s", "BIANCHI\xff", 1), nil, "input.invalid_characters"},
			"escaped NUL":                {strings.Replace(submit, "%s", `BIANCHI\u0000`, 1), nil, "input.invalid_characters"},
			"escape sequence":            {strings.Replace(submit, "%s", `\u001b[2J`, 1), nil, "input.invalid_characters"},
			"CR LF in a one-line field":  {strings.Replace(submit, "%s", `BIANCHI\r\nBcc: x@y.it`, 1), nil, "input.invalid_characters"},
			"Idempotency-Key not UTF-8":  {strings.Replace(submit, "%s", "BIANCHI", 1), []string{"Idempotency-Key", "chiave\xff"}, "input.invalid_characters"},
			"Idempotency-Key with space": {strings.Replace(submit, "%s", "BIANCHI", 1), []string{"Idempotency-Key", "due parole"}, "input.invalid_format"},
		} {
			status, out := apiPost("/api/v1/practices", tc.body, tc.headers...)
			require.Equal(t, http.StatusBadRequest, status, "%s: %s", name, out)
			require.Equal(t, tc.code, apiErrorCode(t, out), name)
		}
		require.Equal(t, before, fingerprint(t, w.Env))
	})
}

// TestStrictJSON: the intake API reads one JSON object, keys as written,
// no unknown or duplicated key, no value of the wrong type, nothing after
// it; each refusal has its code, and nothing is created.
func TestStrictJSON(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	person := e.Person("CARLA", "FERRARI", apptest.ASLTO3, "")
	token := e.APIClient("medico", []practice.SubmitterKind{practice.SubmitterDoctor}, apptest.FiscalCode("VERDI", "GIOVANNI", 'M'))
	api := newHTTPSession(t, e.URL)
	good := `{"submitter":{"kind":"MEDICO"},"beneficiary":{"fiscalCode":"` + person.FiscalCode + `"},"exemptionCode":"044","diagnosisCode":"2960"}`
	before := fingerprint(t, e)
	for _, tc := range []struct {
		name, body, contentType, code, field string
		status                               int
	}{
		{"trailing garbage", good + "garbage", "", "request.trailing_data", "", 400},
		{"a second object", good + good, "", "request.trailing_data", "", 400},
		{"keys in another case", strings.Replace(good, `"exemptionCode"`, `"ExemptionCode"`, 1), "", "request.unknown_field", "ExemptionCode", 400},
		{"nested key in another case", strings.Replace(good, `"fiscalCode"`, `"FISCALCODE"`, 1), "", "request.unknown_field", "beneficiary.FISCALCODE", 400},
		{"unknown field", strings.Replace(good, `{"submitter"`, `{"admin":true,"submitter"`, 1), "", "request.unknown_field", "admin", 400},
		{"duplicate field", strings.Replace(good, `"exemptionCode":"044"`, `"exemptionCode":"044","exemptionCode":"048"`, 1), "", "request.duplicate_field", "exemptionCode", 400},
		{"number for a string", strings.Replace(good, `"044"`, `44`, 1), "", "request.wrong_type", "exemptionCode", 400},
		{"object for a string", strings.Replace(good, `"MEDICO"`, `{"x":1}`, 1), "", "request.wrong_type", "submitter.kind", 400},
		{"string for a list", strings.Replace(good, `{"submitter"`, `{"attachmentIds":"x","submitter"`, 1), "", "request.wrong_type", "attachmentIds", 400},
		{"not an object", `["` + person.FiscalCode + `"]`, "", "request.malformed", "", 400},
		{"empty body", ``, "", "request.malformed", "", 400},
		{"form instead of JSON", good, "application/x-www-form-urlencoded", "request.unsupported_media_type", "", 415},
		{"too large", `{"exemptionCode":"` + strings.Repeat("0", 300<<10) + `"}`, "", "request.too_large", "", 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			status, _, out := api.post("/api/v1/practices", ct, strings.NewReader(tc.body), "Authorization", "Bearer "+token)
			require.Equal(t, tc.status, status, out)
			require.Equal(t, tc.code, apiErrorCode(t, out))
			require.Equal(t, tc.field, apiErrorField(t, out))
			require.NotRegexp(t, leaksInternals, out)
		})
	}
	require.Equal(t, before, fingerprint(t, e), "nothing was created")
	status, _, out := api.post("/api/v1/practices", "application/json; charset=utf-8", strings.NewReader(good), "Authorization", "Bearer "+token)
	require.Equal(t, http.StatusCreated, status, out)
}

// TestLoginRedirectStaysOnSite: after login the browser goes back only to
// a page of the application, whatever next= says.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	e := apptest.New(t, apptest.Options{})
	e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "X"))
	login := func(next string) (int, string) {
		s := newHTTPSession(t, e.URL)
		s.get("/login")
		status, h, _ := s.post("/login", "application/x-www-form-urlencoded", strings.NewReader(url.Values{
			"username": {"operatore.to3"},
			"password": {apptest.Password}, "pin": {apptest.PIN}, "next": {next}}.Encode()))
		return status, h.Get("Location")
	}
	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example",
		"\\/evil.example", "https://evil.example/", "/%09/evil.example", "/\u3000/evil.example", " //evil.example"} {
		status, loc := login(next)
		if status == http.StatusBadRequest {
			continue // refused as input: no redirect at all
		}
		require.Equal(t, http.StatusSeeOther, status, "next=%q", next)
		require.Equal(t, "/", loc, "next=%q", next)
	}
	status, loc := login("/pratiche/chiuse?cognome=ROSSI")
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/pratiche/chiuse?cognome=ROSSI", loc)

	// The login page carries next to its form only when it is safe.
	s := newHTTPSession(t, e.URL)
	_, _, page := s.get("/login?next=" + url.QueryEscape("//evil.example"))
	require.Contains(t, page, `name="next" value="/"`)
}

// TestClientAddressFromTrustedProxiesOnly: the audit log and the session
// record the connection's address; X-Forwarded-For and X-Real-IP count
// only from a configured proxy (TRUSTED_PROXIES), and so does
// X-Forwarded-Proto for HSTS and Secure cookies.
func TestClientAddressFromTrustedProxiesOnly(t *testing.T) {
	lastLogin := func(e *apptest.Env) (audit, session string) {
		ctx := context.Background()
		require.NoError(t, e.Store().DB.NewRaw("SELECT address FROM audit_log WHERE action = 'LOGIN' ORDER BY id DESC LIMIT 1").Scan(ctx, &audit))
		require.NoError(t, e.Store().DB.NewRaw("SELECT address FROM web_session ORDER BY created_at DESC LIMIT 1").Scan(ctx, &session))
		return audit, session
	}
	loginVia := func(e *apptest.Env, headers ...string) http.Header {
		s := newHTTPSession(t, e.URL)
		s.get("/login", headers...)
		status, h, body := s.post("/login", "application/x-www-form-urlencoded", strings.NewReader(url.Values{
			"username": {"operatore.to3"},
			"password": {apptest.Password}, "pin": {apptest.PIN}}.Encode()), headers...)
		require.Equal(t, http.StatusSeeOther, status, body)
		return h
	}

	t.Run("no proxy trusted by default", func(t *testing.T) {
		e := apptest.New(t, apptest.Options{})
		e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "X"))
		h := loginVia(e, "X-Forwarded-For", "203.0.113.9", "X-Real-IP", "198.51.100.7", "X-Forwarded-Proto", "https")
		audit, session := lastLogin(e)
		require.Equal(t, "127.0.0.1", audit)
		require.Equal(t, "127.0.0.1", session)
		require.Empty(t, h.Get("Strict-Transport-Security"), "a forged X-Forwarded-Proto means nothing")
		for _, c := range (&http.Response{Header: h}).Cookies() {
			require.False(t, c.Secure, "cookie %s", c.Name)
		}
	})
	t.Run("a trusted proxy", func(t *testing.T) {
		e := apptest.New(t, apptest.Options{Configure: func(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1/32"} }})
		e.Operator("operatore.to3", apptest.Profile(access.OperatoreASL, apptest.ASLTO3, "X"))
		h := loginVia(e, "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "https")
		audit, session := lastLogin(e)
		require.Equal(t, "203.0.113.9", audit)
		require.Equal(t, "203.0.113.9", session)
		require.Equal(t, "max-age=31536000; includeSubDomains", h.Get("Strict-Transport-Security"))
		secure := false
		for _, c := range (&http.Response{Header: h}).Cookies() {
			secure = secure || (c.Name == "esenzioni_sessione" && c.Secure)
		}
		require.True(t, secure, "the session cookie is Secure behind a TLS proxy")
	})
}

// TestSecurityHeaders: every answer carries the policies; the pages hold no
// inline script for the policy to allow.
func TestSecurityHeaders(t *testing.T) {
	w := newUIWorld(t)
	op := loginHTTP(t, w.URL, "operatore.to3")
	for _, path := range []string{"/login", "/pratiche/" + w.sent, "/api/openapi.yaml", "/static/app/app.js", "/non-esiste"} {
		_, h, body := op.get(path)
		csp := h.Get("Content-Security-Policy")
		require.Contains(t, csp, "script-src 'self';", "%s: scripts only from the application's files", path)
		require.NotContains(t, csp, "unsafe-eval", path)
		require.Contains(t, csp, "default-src 'self'", path)
		require.Contains(t, csp, "frame-ancestors 'none'", path)
		require.Contains(t, csp, "form-action 'self'", path)
		require.Contains(t, h.Get("Permissions-Policy"), "camera=()", path)
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), path)
		require.Equal(t, "DENY", h.Get("X-Frame-Options"), path)
		require.Equal(t, "same-origin", h.Get("Referrer-Policy"), path)
		require.Empty(t, h.Get("Strict-Transport-Security"), "plain HTTP gets no HSTS: %s", path)
		if strings.Contains(h.Get("Content-Type"), "text/html") {
			require.NotRegexp(t, `<script(\s[^>]*)?>[^<]`, body, "inline script on %s", path)
			require.NotRegexp(t, `\son[a-z]+=`, body, "inline handler on %s", path)
		}
	}
}

// TestCodecOnlyForTheTemporalUIOrigin: the codec endpoint answers the
// configured Temporal UI origin only, with credentials, after a preflight;
// another origin (another localhost port included), no origin, or a body a
// form could send are refused before anything is decoded.
func TestCodecOnlyForTheTemporalUIOrigin(t *testing.T) {
	e := apptest.New(t, apptest.Options{Configure: func(c *config.Config) { c.TemporalUIURL = "http://localhost:8233/" }})
	e.Operator("admin.codec", apptest.Profile(access.Amministratore, "", "CSI PIEMONTE"))
	admin := loginHTTP(t, e.URL, "admin.codec")
	body := `{"payloads":[]}`
	decode := func(headers ...string) (int, http.Header, string) {
		return admin.do(http.MethodPost, "/codec/decode", strings.NewReader(body), headers...)
	}
	status, h, out := decode("Origin", "http://localhost:8233", "Content-Type", "application/json")
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, "http://localhost:8233", h.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", h.Get("Access-Control-Allow-Credentials"))

	for name, headers := range map[string][]string{
		"another localhost port":  {"Origin", "http://localhost:9999", "Content-Type", "application/json"},
		"another host":            {"Origin", "http://evil.example", "Content-Type", "application/json"},
		"127.0.0.1 for localhost": {"Origin", "http://127.0.0.1:8233", "Content-Type", "application/json"},
		"https for http":          {"Origin", "https://localhost:8233", "Content-Type", "application/json"},
		"no origin":               {"Content-Type", "application/json"},
		"null origin":             {"Origin", "null", "Content-Type", "application/json"},
	} {
		status, h, out := decode(headers...)
		require.Equal(t, http.StatusForbidden, status, "%s: %s", name, out)
		require.Empty(t, h.Get("Access-Control-Allow-Origin"), name)
		require.Equal(t, "codec.origin_not_allowed", apiErrorCode(t, out), name)
	}
	// A cross-site form can post text/plain without a preflight.
	status, _, out = decode("Origin", "http://localhost:8233", "Content-Type", "text/plain")
	require.Equal(t, http.StatusUnsupportedMediaType, status, out)

	// The preflight: granted to the UI's origin, refused to others.
	status, h, _ = admin.do(http.MethodOptions, "/codec/decode", nil, "Origin", "http://localhost:8233",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,x-namespace")
	require.Equal(t, http.StatusNoContent, status)
	require.Equal(t, "http://localhost:8233", h.Get("Access-Control-Allow-Origin"))
	require.Contains(t, h.Get("Access-Control-Allow-Headers"), "Content-Type")
	status, h, _ = admin.do(http.MethodOptions, "/codec/decode", nil, "Origin", "http://localhost:9999",
		"Access-Control-Request-Method", "POST")
	require.Equal(t, http.StatusForbidden, status)
	require.Empty(t, h.Get("Access-Control-Allow-Origin"))
}
