package web

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	single := textRule{Max: 10}
	multi := textRule{Max: 20, Multiline: true}
	for _, tc := range []struct {
		in   string
		rule textRule
		out  string
		code string
	}{
		{"  ROSSI\t", single, "ROSSI", ""},
		{"RSSMRA80A01H501U\r\n", single, "RSSMRA80A01H501U", codeTooLong},
		{"D'ANGELO", single, "D'ANGELO", ""},
		{"NICOLÒ", single, "NICOLÒ", ""},
		{"RO\x00SSI", single, "", codeInvalidChars},
		{"RO\tSSI", single, "", codeInvalidChars},
		{"RO\nSSI", single, "", codeInvalidChars},
		{"RO\x1bSSI", single, "", codeInvalidChars},
		{"RO\x7fSSI", single, "", codeInvalidChars},
		{"RO\u0085SSI", single, "", codeInvalidChars},
		{"RO\xffSSI", single, "", codeInvalidChars},
		{"RO\xc3SSI", single, "", codeInvalidChars},
		{"RO\ufffdSSI", single, "", codeInvalidChars},
		{"RO\u202eISSI", single, "", codeInvalidChars},
		{"RO\u2028SSI", single, "", codeInvalidChars},
		{"ABCDEFGHIJK", single, "", codeTooLong},
		{"ÀÈÌÒÙÀÈÌÒÙ", single, "ÀÈÌÒÙÀÈÌÒÙ", ""}, // ten characters, twenty bytes
		{"riga 1\r\nriga 2\rriga 3", multi, "riga 1\nriga 2\nriga 3", ""},
		{"colonna\tdue\n", multi, "colonna\tdue", ""},
		{"a\x00b", multi, "", codeInvalidChars},
		{"a\vb", multi, "", codeInvalidChars},
		{"a\u2029b", multi, "a\nb", ""},
		{"  pw with spaces  ", textRule{Max: 30, Raw: true}, "  pw with spaces  ", ""},
		{"abc", textRule{Max: 64, Format: keyFormat}, "abc", ""},
		{strings.Repeat("a", 65), textRule{Max: 64, Format: keyFormat}, "", codeTooLong},
		{"a b", textRule{Max: 64, Format: keyFormat}, "", codeInvalidFormat},
	} {
		out, code := cleanText(tc.in, tc.rule)
		if code != tc.code {
			t.Errorf("%q: code %q, want %q", tc.in, code, tc.code)
			continue
		}
		if code == "" && out != tc.out {
			t.Errorf("%q: %q, want %q", tc.in, out, tc.out)
		}
	}
}

func TestCheckValuesNormalisesAndRefuses(t *testing.T) {
	q := url.Values{"cognome": {" ROSSI\t"}, "nota_interna": {"a\r\nb"}}
	if err := checkValues(q, "form"); err != nil {
		t.Fatal(err)
	}
	if q.Get("cognome") != "ROSSI" || q.Get("nota_interna") != "a\nb" {
		t.Fatalf("normalised: %v", q)
	}
	err := checkValues(url.Values{"nota_beneficiario": {strings.Repeat("x", 4001)}}, "form")
	if err == nil || err.Code != codeTooLong || err.Field != "nota_beneficiario" || !strings.Contains(err.Message(), "Nota per il beneficiario") ||
		!strings.Contains(err.Message(), "4000") {
		t.Fatalf("too long: %+v %q", err, err.Message())
	}
	if err := checkValues(url.Values{"x\x00": {"1"}}, "query"); err == nil || err.Code != codeInvalidChars {
		t.Fatalf("bad name: %+v", err)
	}
	many := url.Values{}
	for i := 0; i <= maxFields; i++ {
		many.Add("k", "v")
	}
	if err := checkValues(many, "query"); err == nil || err.Code != codeTooManyFields {
		t.Fatalf("too many: %+v", err)
	}
}

// safeNext accepts only same-origin absolute paths: every way of making a
// browser leave the host is turned into "/".
func TestSafeNext(t *testing.T) {
	for _, ok := range []string{"/", "/pratiche/da-fare", "/pratiche/da-fare?cognome=ROSSI&dopo=1-2", "/esenzioni/12#doc",
		"/pratiche/da-fare?cognome=D%27ANGELO"} {
		if got := safeNext(ok); got != ok {
			t.Errorf("%q became %q", ok, got)
		}
	}
	for _, bad := range []string{"", "//evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
		"/\n/evil.example", "/\r/evil.example", " /x", "/ /evil", "https://evil.example", "http:/evil.example",
		"evil.example", "javascript:alert(1)", "/%2F/evil.example", "/\x00", "/é", "/\u3000/evil.example",
		"/" + strings.Repeat("a", 2048), "//", "///evil.example", "/\\/evil.example"} {
		if got := safeNext(bad); got != "/" {
			t.Errorf("%q kept as %q", bad, got)
		}
	}
	// What the login page reads from ?next= is the decoded value.
	for _, raw := range []string{"next=/%09/evil.example", "next=%2F%2Fevil.example", "next=/%5Cevil.example",
		"next=%2F%09%2Fevil.example", "next=/%0d%0a/evil.example", "next=%09//evil.example"} {
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := safeNext(q.Get("next")); got != "/" {
			t.Errorf("%s kept as %q", raw, got)
		}
	}
}

func TestOriginOf(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:8233":             "http://localhost:8233",
		"http://LocalHost:8233/namespaces/": "http://localhost:8233",
		"https://temporal.asl.example:443/": "https://temporal.asl.example",
		"http://temporal.asl.example:80":    "http://temporal.asl.example",
		"":                                  "",
	} {
		got, err := originOf(in)
		if err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	if _, err := originOf("localhost:8233"); err == nil {
		t.Error("a URL without scheme is refused")
	}
}

// A strict decoder: each way of smuggling a second meaning into a body
// has its code.
func TestDecodeJSONStrict(t *testing.T) {
	for _, tc := range []struct {
		body, code, field string
	}{
		{`{"exemptionCode":"044"}`, "", ""},
		{`  {"exemptionCode":"044"}  ` + "\n", "", ""},
		{``, codeMalformed, ""},
		{`   `, codeMalformed, ""},
		{`{"exemptionCode":"044"`, codeMalformed, ""},
		{`[]`, codeMalformed, ""},
		{`"044"`, codeMalformed, ""},
		{`null`, codeMalformed, ""},
		{`{"exemptionCode":"044"} garbage`, codeTrailingData, ""},
		{`{"exemptionCode":"044"}{"exemptionCode":"048"}`, codeTrailingData, ""},
		{`{"exemptionCode":"044"} {}`, codeTrailingData, ""},
		{`{"ExemptionCode":"044"}`, codeUnknownField, "ExemptionCode"},
		{`{"EXEMPTIONCODE":"044"}`, codeUnknownField, "EXEMPTIONCODE"},
		{`{"beneficiary":{"LastName":"X"}}`, codeUnknownField, "beneficiary.LastName"},
		{`{"unexpected":true}`, codeUnknownField, "unexpected"},
		{`{"exemptionCode":"044","exemptionCode":"048"}`, codeDuplicateField, "exemptionCode"},
		{`{"exemptionCode":44}`, codeWrongType, "exemptionCode"},
		{`{"attachmentIds":"a"}`, codeWrongType, "attachmentIds"},
		{`{"attachmentIds":[1]}`, codeWrongType, "attachmentIds[0]"},
		{`{"beneficiary":"ROSSI"}`, codeWrongType, "beneficiary"},
		{`{"submitter":{"kind":true}}`, codeWrongType, "submitter.kind"},
		{`{"exemptionCode":"0\u000044"}`, codeInvalidChars, "exemptionCode"},
		{`{"beneficiary":{"lastName":"RO\u001bSSI"}}`, codeInvalidChars, "beneficiary.lastName"},
		{`{"beneficiary":{"lastName":"RO\ud800SSI"}}`, codeInvalidChars, "beneficiary.lastName"},
		{"{\"beneficiary\":{\"lastName\":\"RO\xffSSI\"}}", codeInvalidChars, ""},
		{`{"beneficiary":{"lastName":"` + strings.Repeat("A", 201) + `"}}`, codeTooLong, "beneficiary.lastName"},
		{`{"attachmentIds":["` + strings.Repeat(`a","`, 20) + `a"]}`, codeTooManyFields, "attachmentIds"},
		{`{"attachmentIds":["ok","a\u0000"]}`, codeInvalidChars, "attachmentIds[1]"},
	} {
		var req submitRequest
		err := decodeJSON([]byte(tc.body), &req)
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s: refused with %s (%s)", tc.body, err.Code, err.Message())
		case tc.code != "" && err == nil:
			t.Errorf("%s: accepted, want %s", tc.body, tc.code)
		case err != nil && (err.Code != tc.code || err.Field != tc.field):
			t.Errorf("%s: %s on %q, want %s on %q", tc.body, err.Code, err.Field, tc.code, tc.field)
		case err != nil && (err.Status != 400 || err.Message() == "" || strings.Contains(err.Message(), "json:") ||
			strings.Contains(err.Message(), "jsontext")):
			t.Errorf("%s: status %d, message %q", tc.body, err.Status, err.Message())
		}
	}
	var cancel cancelRequest
	if err := decodeJSON([]byte(`{"beneficiaryNote":"riga 1\r\nriga 2\twith tab"}`), &cancel); err != nil {
		t.Fatal(err)
	}
	if cancel.BeneficiaryNote != "riga 1\nriga 2\twith tab" {
		t.Fatalf("note normalised to %q", cancel.BeneficiaryNote)
	}
}

// Every string the decoder lets through passes the checks: valid UTF-8,
// no control character outside multi-line fields.
func checkDecoded(t *testing.T, v any) {
	t.Helper()
	if err := checkStrings(reflectValue(v), ""); err != nil {
		t.Fatalf("a decoded request fails its own checks: %s on %s", err.Code, err.Field)
	}
	walkStrings(reflectValue(v), func(path, s string) {
		if !utf8.ValidString(s) {
			t.Fatalf("%s: invalid UTF-8 %q", path, s)
		}
		for _, r := range s {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
				t.Fatalf("%s: control character in %q", path, s)
			}
		}
	})
}
