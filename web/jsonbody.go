package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"esenzioni/service/practices"
)

// Strict JSON for the intake API. encoding/json matches object keys without
// regard to case, keeps the last of duplicated keys, ignores what follows the
// first value and turns invalid UTF-8 into U+FFFD; a request body is read
// here instead with github.com/go-json-experiment/json (the prototype of
// encoding/json/v2, by its authors), which refuses all of that, and every
// string of the decoded request then passes the text checks of input.go.
//
// Each refusal has a stable code (400 unless said):
//
//	request.unsupported_media_type (415)  Content-Type other than application/json
//	request.too_large (413)               body over maxJSONBody
//	request.malformed                     empty body, invalid JSON, not an object
//	request.trailing_data                 anything but whitespace after the object
//	request.duplicate_field               the same key twice in an object
//	request.unknown_field                 a key the request does not have (case counts)
//	request.wrong_type                    a value of the wrong JSON type
//	input.invalid_characters              invalid UTF-8, control characters, ...
//	input.too_long                        a string over its field's limit
//	input.too_many_fields                 a list over its limit
//
// with the field named (as "beneficiary.lastName", "attachmentIds[2]") in
// error.fields when there is one.

// maxJSONBody bounds a JSON request body.
const maxJSONBody = 256 << 10

// Stable codes of malformed JSON.
const (
	codeMalformed      = "request.malformed"
	codeTrailingData   = "request.trailing_data"
	codeDuplicateField = "request.duplicate_field"
	codeUnknownField   = "request.unknown_field"
	codeWrongType      = "request.wrong_type"
)

// apiFieldRules are the strings of the API's request bodies, by JSON path
// ("[]" for the elements of a list). Strings not listed get defaultRule.
// The intake's own checks (fiscal codes, catalogue codes, ...) come after.
var apiFieldRules = map[string]textRule{
	"submitter.kind":               {Max: 32, Raw: true},
	"submitter.fiscalCode":         {Max: 32, Raw: true},
	"beneficiary.fiscalCode":       {Max: 32, Raw: true},
	"beneficiary.firstName":        {Max: 200, Raw: true},
	"beneficiary.lastName":         {Max: 200, Raw: true},
	"beneficiary.aslCode":          {Max: 16, Raw: true},
	"beneficiary.residenceAddress": {Max: 500, Raw: true},
	"beneficiary.residenceComune":  {Max: 200, Raw: true},
	"beneficiary.email":            {Max: 320, Raw: true},
	"beneficiary.birthDate":        {Max: 32, Raw: true},
	"beneficiary.sex":              {Max: 8, Raw: true},
	"beneficiary.birthPlaceCode":   {Max: 16, Raw: true},
	"exemptionCode":                {Max: 16, Raw: true},
	"diagnosisCode":                {Max: 16, Raw: true},
	"certificateId":                {Max: 64, Raw: true},
	"attachmentIds[]":              {Max: 64, Raw: true},
	"submitterFiscalCode":          {Max: 32, Raw: true},
	"beneficiaryNote":              {Max: 4000, Raw: true, Multiline: true},
}

// apiListLimits bound the lists of the API's request bodies (default 20).
var apiListLimits = map[string]int{"attachmentIds": 20}

const defaultListLimit = 20

// apiStringRule is the rule of the string at path.
func apiStringRule(path string) textRule {
	if r, ok := apiFieldRules[path]; ok {
		return r
	}
	r := defaultRule
	r.Raw = true
	return r
}

// readJSON reads the request's body strictly into v (a pointer to a
// struct), answering the client itself on failure. It returns the raw body
// (for idempotency hashes).
func readJSON(c *gin.Context, v any) ([]byte, bool) {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		if mt, params, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" ||
			(params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
			refuseAPIInput(c, &inputError{Status: http.StatusUnsupportedMediaType, Code: codeUnsupportedType, Where: "body",
				Detail: msgJSONContentType})
			return nil, false
		}
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxJSONBody+1))
	if err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError("request.unreadable", msgBodyUnreadable))
		return nil, false
	}
	if len(body) > maxJSONBody {
		refuseAPIInput(c, &inputError{Status: http.StatusRequestEntityTooLarge, Code: codeBodyTooLarge, Where: "body",
			Detail: fmt.Sprintf(msgJSONTooLarge, maxJSONBody>>10)})
		return nil, false
	}
	if ierr := decodeJSON(body, v); ierr != nil {
		refuseAPIInput(c, ierr)
		return nil, false
	}
	return body, true
}

// refuseAPIInput answers a refused body with its code and the field.
func refuseAPIInput(c *gin.Context, e *inputError) {
	msg := e.Message()
	body := apiErrorBody{Code: e.Code, Message: msg}
	if e.Field != "" {
		body.Fields = []practices.FieldError{{Field: e.Field, Code: e.Code, Message: msg}}
	}
	c.AbortWithStatusJSON(e.Status, gin.H{"error": body})
}

// decodeJSON decodes body, a single JSON object, strictly into v and checks
// (and normalises) every string in it. It touches nothing else: the fuzz
// targets call it directly.
func decodeJSON(body []byte, v any) *inputError {
	bad := func(code, field, detail string) *inputError {
		return &inputError{Status: http.StatusBadRequest, Code: code, Where: "body", Field: field, Detail: detail}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return bad(codeMalformed, "", msgJSONEmpty)
	}
	if !utf8.Valid(body) {
		return bad(codeInvalidChars, "", msgJSONNotUTF8)
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	val, err := dec.ReadValue()
	if err != nil {
		var se *jsontext.SyntacticError
		if errors.As(err, &se) {
			field := pointerField(se.JSONPointer)
			switch {
			case errors.Is(se.Err, jsontext.ErrDuplicateName):
				return bad(codeDuplicateField, field, fmt.Sprintf(msgJSONDuplicate, field))
			case se.Err != nil && (strings.Contains(se.Err.Error(), "surrogate") || strings.Contains(se.Err.Error(), "UTF-8")):
				return bad(codeInvalidChars, field, "")
			}
			return bad(codeMalformed, "", fmt.Sprintf(msgJSONInvalidAt, se.ByteOffset))
		}
		return bad(codeMalformed, "", msgJSONInvalid)
	}
	val = val.Clone() // the decoder reuses its buffer
	if _, err := dec.ReadToken(); err != io.EOF {
		return bad(codeTrailingData, "", msgJSONTrailing)
	}
	if val.Kind() != '{' {
		return bad(codeMalformed, "", msgJSONNotObject)
	}
	if err := json.Unmarshal(val, v, json.RejectUnknownMembers(true)); err != nil {
		var se *json.SemanticError
		if !errors.As(err, &se) {
			return bad(codeMalformed, "", msgJSONInvalid)
		}
		field := pointerField(se.JSONPointer)
		if errors.Is(se.Err, json.ErrUnknownName) {
			return bad(codeUnknownField, field, fmt.Sprintf(msgJSONUnknownField, field))
		}
		return bad(codeWrongType, field, fmt.Sprintf(msgJSONWrongType, field, expected(se.GoType)))
	}
	return checkStrings(reflect.ValueOf(v), "")
}

// pointerField turns a JSON pointer (/beneficiary/lastName, /attachmentIds/2)
// into the field names of the API's errors (beneficiary.lastName,
// attachmentIds[2]).
func pointerField(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return safeFieldName(b.String())
}

// expected names a Go type as a JSON type, in Italian.
func expected(t reflect.Type) string {
	if t == nil {
		return "un altro tipo"
	}
	switch t.Kind() {
	case reflect.String:
		return "testo"
	case reflect.Slice, reflect.Array:
		return "un elenco"
	case reflect.Struct, reflect.Map:
		return "un oggetto"
	case reflect.Bool:
		return "true o false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "un numero"
	case reflect.Pointer:
		return expected(t.Elem())
	}
	return "un altro tipo"
}

// checkStrings walks a decoded request and checks every string in it by
// the rule of its path; strings are normalised in place.
func checkStrings(v reflect.Value, path string) *inputError {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkStrings(v.Elem(), path)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			if err := checkStrings(v.Field(i), p); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		limit := defaultListLimit
		if n, ok := apiListLimits[path]; ok {
			limit = n
		}
		if v.Len() > limit {
			return &inputError{Status: http.StatusBadRequest, Code: codeTooManyFields, Where: "body", Field: path,
				Detail: fmt.Sprintf(msgJSONListTooLong, path, limit)}
		}
		for i := 0; i < v.Len(); i++ {
			el := v.Index(i)
			if el.Kind() == reflect.String {
				if err := checkString(el, path+"[]", fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
				continue
			}
			if err := checkStrings(el, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.Len() > maxFields {
			return &inputError{Status: http.StatusBadRequest, Code: codeTooManyFields, Where: "body", Field: path}
		}
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			if k.Kind() == reflect.String {
				if _, code := cleanText(k.String(), textRule{Raw: true, Max: maxFieldName}); code != "" {
					return &inputError{Status: http.StatusBadRequest, Code: code, Where: "body", Field: path, Max: maxFieldName}
				}
			}
			if err := checkStrings(iter.Value(), path+"."+k.String()); err != nil {
				return err
			}
		}
	case reflect.String:
		return checkString(v, path, path)
	}
	return nil
}

func checkString(v reflect.Value, rulePath, field string) *inputError {
	rule := apiStringRule(rulePath)
	clean, code := cleanText(v.String(), rule)
	if code != "" {
		return &inputError{Status: http.StatusBadRequest, Code: code, Where: "body", Field: safeFieldName(field), Max: rule.Max}
	}
	if clean != v.String() && v.CanSet() {
		v.SetString(clean)
	}
	return nil
}
