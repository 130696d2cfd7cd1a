package web

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	json "github.com/go-json-experiment/json"
)

// Fuzz targets of the request decoders. `go test` runs their seeds (the
// f.Add calls and testdata/fuzz/<target>/) as ordinary tests, so they run
// in `make test`; `go test -fuzz=FuzzDecodeSubmitRequest ./web/` explores.
//
// The property of a decoder: it never panics, it refuses with one of its
// stable codes and a 4xx, and what it accepts passes the checks again, is
// text without control characters, and reads back the same once encoded.

var decoderCodes = map[string]bool{
	codeMalformed: true, codeTrailingData: true, codeDuplicateField: true, codeUnknownField: true,
	codeWrongType: true, codeInvalidChars: true, codeTooLong: true, codeTooManyFields: true,
}

func fuzzDecoder[T any](f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v T
		err := decodeJSON(body, &v)
		if err != nil {
			if !decoderCodes[err.Code] || err.Status < 400 || err.Status > 499 || err.Message() == "" {
				t.Fatalf("refusal %+v", err)
			}
			if err.Field != "" && !utf8.ValidString(err.Field) {
				t.Fatalf("field name not text: %q", err.Field)
			}
			return
		}
		checkDecoded(t, &v)
		again, merr := json.Marshal(v)
		if merr != nil {
			t.Fatal(merr)
		}
		var w T
		if err := decodeJSON(again, &w); err != nil {
			t.Fatalf("re-encoded request refused: %s on %s (%s)", err.Code, err.Field, again)
		}
		if !reflect.DeepEqual(normalizeNil(v), normalizeNil(w)) {
			t.Fatalf("round trip changed the request:\n%#v\n%#v", v, w)
		}
	})
}

func FuzzDecodeSubmitRequest(f *testing.F) {
	fuzzDecoder[submitRequest](f,
		`{"submitter":{"kind":"MEDICO"},"beneficiary":{"fiscalCode":"RSSMRA80A01H501U"},"exemptionCode":"044","diagnosisCode":"2960"}`,
		`{"beneficiary":{"fiscalCode":"X","firstName":"ANNA","lastName":"D'ANGELO","email":"a@b.it"},"attachmentIds":["a","b"]}`,
		`{"exemptionCode":"044"} {"exemptionCode":"048"}`,
		`{"EXEMPTIONCODE":"044"}`,
		`{"exemptionCode":"0\u000044"}`,
		`{"attachmentIds":[1,2]}`,
	)
}

func FuzzDecodeCancelRequest(f *testing.F) {
	fuzzDecoder[cancelRequest](f,
		`{"submitterFiscalCode":"RSSMRA80A01H501U","beneficiaryNote":"Non serve più"}`,
		`{"beneficiaryNote":"riga\r\nriga"}`,
		`{"beneficiaryNote":"\ud800"}`,
		`{}`,
	)
}

// FuzzCleanText: the normalised text is valid UTF-8 without refused
// characters, within its limit, and cleaning it again changes nothing.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"ROSSI", " a\tb ", "riga\r\nriga", "\x00", "\xff", "\u202e", strings.Repeat("è", 30)} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, multiline bool) {
		rule := textRule{Max: 20, Multiline: multiline}
		out, code := cleanText(in, rule)
		if code != "" {
			return
		}
		if !utf8.ValidString(out) || utf8.RuneCountInString(out) > rule.Max {
			t.Fatalf("%q -> %q", in, out)
		}
		for _, r := range out {
			if !allowedRune(r, multiline) || r == '\r' {
				t.Fatalf("%q -> %q keeps %U", in, out, r)
			}
		}
		if again, code := cleanText(out, rule); code != "" || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q (%s)", in, out, again, code)
		}
	})
}

// FuzzSafeNext: a redirect target is "/" or a path of this origin that a
// browser cannot read as another host.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/pratiche/da-fare", "//evil.example", "/\t/evil.example", "/\\evil", "https://x", "/%2F%2Fx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got == "/" {
			return
		}
		if got != next || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Fatalf("%q -> %q", next, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] <= 0x20 || got[i] >= 0x7f || got[i] == '\\' {
				t.Fatalf("%q kept byte %#x", got, got[i])
			}
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("%q parses as %+v (%v)", got, u, err)
		}
		base, _ := url.Parse("https://esenzioni.example/pratiche/1")
		if r := base.ResolveReference(u); r.Host != base.Host {
			t.Fatalf("%q resolves to host %q", got, r.Host)
		}
	})
}

func reflectValue(v any) reflect.Value { return reflect.ValueOf(v) }

// walkStrings calls fn for every string in v.
func walkStrings(v reflect.Value, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), fn)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), fn)
		}
	case reflect.String:
		fn(v.Type().String(), v.String())
	}
}

// normalizeNil makes an empty list and no list compare equal (omitempty
// drops the former when encoding).
func normalizeNil[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	var fix func(reflect.Value)
	fix = func(x reflect.Value) {
		switch x.Kind() {
		case reflect.Struct:
			for i := 0; i < x.NumField(); i++ {
				if x.Type().Field(i).IsExported() {
					fix(x.Field(i))
				}
			}
		case reflect.Slice:
			if x.Len() == 0 && x.CanSet() {
				x.Set(reflect.Zero(x.Type()))
			}
		}
	}
	fix(rv)
	return v
}
