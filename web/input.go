package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"esenzioni/service/practices"
)

// Input at the boundary. Every path, path parameter, query parameter, form
// field (urlencoded and multipart), JSON string and the request headers the
// application reads pass the same check before a handler sees them:
//
//   - text must be valid UTF-8;
//   - no control characters (C0, DEL, C1), no Unicode bidirectional
//     overrides and no U+FFFD (which stands for bytes that were not text);
//     newline and tab only in multi-line fields (notes), where CRLF and a
//     lone CR become LF;
//   - every field has a maximum length in characters (fieldRules,
//     apiFieldRules, headerRules; documented in docs/SECURITY.md), and a
//     request a maximum number of fields and bytes;
//   - single-line fields lose their leading and trailing spaces (a tab or a
//     newline copied from a spreadsheet with a fiscal code is not an error).
//
// A refusal answers 400 with an Italian page (or the form again, for the
// multipart upload fields) in the UI and a stable code in the API
// (input.invalid_characters, input.too_long, input.invalid_format,
// input.too_many_fields), before anything is read from or written to the
// database, the workflows or the object store. Values are never logged.

// Stable codes of refused input.
const (
	codeInvalidChars    = "input.invalid_characters"
	codeTooLong         = "input.too_long"
	codeInvalidFormat   = "input.invalid_format"
	codeTooManyFields   = "input.too_many_fields"
	codeBadEncoding     = "input.malformed_encoding"
	codeBodyTooLarge    = "request.too_large"
	codeUnsupportedType = "request.unsupported_media_type"
)

// Request-wide bounds.
const (
	maxPathBytes  = 1024      // the URL path, decoded
	maxQueryBytes = 8 << 10   // the raw query string
	maxFields     = 64        // query parameters, and form fields, per request
	maxFieldName  = 64        // bytes of a parameter's or field's name
	maxFormBytes  = 256 << 10 // an urlencoded (or non-upload multipart) form body
)

// textRule is what a field may hold.
type textRule struct {
	Label     string         // Italian name, for messages
	Max       int            // characters (runes), after normalisation
	Multiline bool           // newline and tab allowed; line ends become LF
	Raw       bool           // kept exactly as typed (no trimming): passwords
	Format    *regexp.Regexp // whole value, when not empty
}

var (
	keyFormat    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	keyFormat128 = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	digitsFormat = regexp.MustCompile(`^[0-9]{1,9}$`)
	flagFormat   = regexp.MustCompile(`^[01]$`)
	asciiVisible = regexp.MustCompile(`^[\x21-\x7e]+$`)
)

// fieldRules are the query parameters and form fields of the pages, by name
// (a name means the same wherever it appears). Names not listed get
// defaultRule. Where the domain has a stricter limit (notes: 2000 characters,
// practice.MaxNoteLength) the form is shown again with its message; these are
// the outer bounds.
var fieldRules = map[string]textRule{
	// Session and forms.
	"username": {Label: "Nome utente", Max: 100},
	"password": {Label: "Password", Max: 256, Raw: true},
	"pin":      {Label: "PIN", Max: 32, Raw: true},
	"next":     {Label: "pagina di destinazione", Max: 2048},
	"profilo":  {Label: "Profilo", Max: 19, Format: digitsFormat},
	"versione": {Label: "versione", Max: 9, Format: digitsFormat},
	"chiave":   {Label: "chiave del modulo", Max: 64, Format: keyFormat},
	// Search filters.
	"stato":      {Label: "Stato", Max: 32},
	"codice":     {Label: "Codice esenzione", Max: 300},
	"da":         {Label: "Data da", Max: 32},
	"a":          {Label: "Data a", Max: 32},
	"cognome":    {Label: "Cognome", Max: 100},
	"nome":       {Label: "Nome", Max: 100},
	"cf":         {Label: "Codice fiscale", Max: 32},
	"dopo":       {Label: "pagina successiva", Max: 512},
	"rilasciata": {Label: "rilasciata", Max: 1, Format: flagFormat},
	// Practice actions.
	"nota_beneficiario": {Label: "Nota per il beneficiario", Max: 4000, Multiline: true},
	"nota_interna":      {Label: "Nota interna", Max: 4000, Multiline: true},
	"motivazione":       {Label: "Motivazione", Max: 64},
	// Modifica and the wizard.
	"nota":           {Label: "Nota", Max: 4000, Multiline: true},
	"data_fine":      {Label: "Data di fine validità", Max: 32},
	"senza_scadenza": {Label: "Senza scadenza", Max: 1, Format: flagFormat},
	"categoria":      {Label: "Tipologia", Max: 16},
	"diagnosi":       {Label: "Diagnosi", Max: 16},
	// Certificate and SPID/CIE login (the state of an attempt; what an
	// OpenID provider sends back to the callback).
	"richiesta":         {Label: "richiesta di accesso", Max: 128, Format: keyFormat128},
	"state":             {Label: "state", Max: 256},
	"code":              {Label: "code", Max: 4096},
	"error":             {Label: "error", Max: 256},
	"error_description": {Label: "error_description", Max: 2048},
	"iss":               {Label: "iss", Max: 1024},
	"session_state":     {Label: "session_state", Max: 1024},
	// Documents (multipart fields, and the API's ?fileName=).
	"tipo":          {Label: "Tipo documento", Max: 64},
	"data_rilascio": {Label: "Data rilascio documento", Max: 32},
	"data_validita": {Label: "Data fine validità documento", Max: 32},
	"fileName":      {Label: "Nome del file", Max: 255},
}

// defaultRule bounds any other parameter: handlers do not read it, but it
// reaches the logs and the audit's query text.
var defaultRule = textRule{Max: 256}

// fileNameRule is the name of an uploaded file (multipart).
var fileNameRule = textRule{Label: "Nome del file", Max: 255}

// headerRules are the request headers the application reads. Go's server
// already refuses control characters in headers; these add UTF-8, lengths
// and formats.
var headerRules = map[string]textRule{
	"Idempotency-Key": {Label: "Idempotency-Key", Max: 200, Raw: true, Format: asciiVisible},
	"Authorization":   {Label: "Authorization", Max: 1024, Raw: true},
	"Origin":          {Label: "Origin", Max: 512, Raw: true},
	"Referer":         {Label: "Referer", Max: 4096, Raw: true},
	"Hx-Request":      {Label: "HX-Request", Max: 8, Raw: true},
	"Hx-Boosted":      {Label: "HX-Boosted", Max: 8, Raw: true},
	"Hx-Current-Url":  {Label: "HX-Current-URL", Max: 4096, Raw: true},
	"Hx-Target":       {Label: "HX-Target", Max: 256, Raw: true},
	"Hx-Trigger":      {Label: "HX-Trigger", Max: 256, Raw: true},
	"X-Namespace":     {Label: "X-Namespace", Max: 256, Raw: true},
}

// paramFormats are the path parameters: one that does not fit answers 404,
// as a record that does not exist would.
var paramFormats = map[string]*regexp.Regexp{
	"number":   regexp.MustCompile(`^[0-9]{18}$`),
	"id":       regexp.MustCompile(`^[1-9][0-9]{0,17}$`),
	"draft":    uuidFormat,
	"doc":      uuidFormat,
	"action":   regexp.MustCompile(`^[a-z]{1,20}$`),
	"provider": regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`),
}

var uuidFormat = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// inputError is a refused piece of input.
type inputError struct {
	Status int
	Code   string // stable code (input.*, request.*)
	Where  string // path, query, form, header, body
	Field  string // the parameter, field, header or JSON path ("" for the whole request)
	Label  string // Italian name of the field, when known
	Max    int    // the limit, for input.too_long
	Detail string // Italian message replacing the default one
}

// Message is the Italian explanation shown to the user.
func (e *inputError) Message() string {
	if e.Detail != "" {
		return e.Detail
	}
	name := e.Label
	if name == "" && e.Field != "" {
		name = e.Field
	}
	subject := subjectRequest
	if name != "" {
		subject = fmt.Sprintf(subjectField, name)
		if e.Where == "header" {
			subject = fmt.Sprintf(subjectHeader, name)
		}
	}
	switch e.Code {
	case codeInvalidChars:
		return fmt.Sprintf(msgInvalidChars, subject)
	case codeTooLong:
		return fmt.Sprintf(msgTooLong, subject, e.Max)
	case codeInvalidFormat:
		return fmt.Sprintf(msgInvalidFormat, subject)
	case codeTooManyFields:
		return fmt.Sprintf(msgTooManyFields, maxFields)
	case codeBadEncoding:
		return msgBadURLEncoding
	case codeBodyTooLarge:
		return msgRequestTooLarge
	case codeUnsupportedType:
		return msgUnsupportedType
	}
	return fmt.Sprintf(msgInvalid, subject)
}

// cleanText checks v against rule and returns it normalised: line ends of
// multi-line fields become LF, single-line fields are trimmed. The code is
// "" when v is acceptable.
func cleanText(v string, rule textRule) (string, string) {
	if !utf8.ValidString(v) {
		return v, codeInvalidChars
	}
	if rule.Multiline && strings.ContainsAny(v, "\r\u2028\u2029") {
		v = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n").Replace(v)
	}
	if !rule.Raw {
		v = strings.TrimSpace(v)
	}
	n := 0
	for _, r := range v {
		if !allowedRune(r, rule.Multiline) {
			return v, codeInvalidChars
		}
		n++
	}
	if rule.Max > 0 && n > rule.Max {
		return v, codeTooLong
	}
	if rule.Format != nil && v != "" && !rule.Format.MatchString(v) {
		return v, codeInvalidFormat
	}
	return v, ""
}

// allowedRune refuses control characters (newline and tab only in
// multi-line text), the replacement character and the bidirectional
// controls that make text display differently from what it holds.
func allowedRune(r rune, multiline bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return multiline
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return false
	case r == utf8.RuneError:
		return false
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
		return false
	}
	return true
}

// ruleOf is the rule of a query parameter or form field.
func ruleOf(name string) textRule {
	if r, ok := fieldRules[name]; ok {
		return r
	}
	return defaultRule
}

// checkName refuses parameter names that are not short printable text.
func checkName(name, where string) *inputError {
	if len(name) > maxFieldName {
		return &inputError{Status: http.StatusBadRequest, Code: codeTooLong, Where: where, Max: maxFieldName,
			Detail: msgFieldNameTooLong}
	}
	if _, code := cleanText(name, textRule{Raw: true}); code != "" || name == "" {
		return &inputError{Status: http.StatusBadRequest, Code: codeInvalidChars, Where: where,
			Detail: msgFieldNameChars}
	}
	return nil
}

// checkValues checks (and normalises in place) the values of a query or a
// form.
func checkValues(values url.Values, where string) *inputError {
	n := 0
	for name, vs := range values {
		if err := checkName(name, where); err != nil {
			return err
		}
		rule := ruleOf(name)
		for i, v := range vs {
			n++
			if n > maxFields {
				return &inputError{Status: http.StatusBadRequest, Code: codeTooManyFields, Where: where}
			}
			clean, code := cleanText(v, rule)
			if code != "" {
				return &inputError{Status: http.StatusBadRequest, Code: code, Where: where, Field: name, Label: rule.Label, Max: rule.Max}
			}
			vs[i] = clean
		}
	}
	return nil
}

// checkFormField checks one field of a streamed multipart form (the upload
// routes, which read their body themselves).
func checkFormField(name, value string) (string, *inputError) {
	if err := checkName(name, "form"); err != nil {
		return value, err
	}
	rule := ruleOf(name)
	clean, code := cleanText(value, rule)
	if code != "" {
		return value, &inputError{Status: http.StatusBadRequest, Code: code, Where: "form", Field: name, Label: rule.Label, Max: rule.Max}
	}
	return clean, nil
}

// checkFileName checks the name of an uploaded file.
func checkFileName(name string) *inputError {
	if _, code := cleanText(name, fileNameRule); code != "" {
		return &inputError{Status: http.StatusBadRequest, Code: code, Where: "form", Field: "file", Label: fileNameRule.Label, Max: fileNameRule.Max}
	}
	return nil
}

// isAPI reports whether a request gets JSON answers.
func isAPI(c *gin.Context) bool {
	p := c.Request.URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/codec/") || p == "/healthz"
}

// inputGuard is the middleware that applies the rules above to the path,
// the path parameters, the query, the headers and the form body of every
// request. It runs before the cross-origin check (crossOrigin) and the
// routes' own middleware (login).
func (s *Server) inputGuard(c *gin.Context) {
	if err := s.checkRequest(c); err != nil {
		if reshowRoutes[c.FullPath()] != nil && err.Where == "form" && err.Field != "" && c.Request.PostForm != nil {
			// The form is shown again, with what was typed (without the
			// characters refused), once the origin and login have passed:
			// deferredInput, in the pages' middleware. Nothing runs the
			// route's handler.
			sanitizeForm(c.Request)
			c.Set(ctxDeferredInput, err)
			c.Next()
			return
		}
		s.refuseInput(c, err)
		return
	}
	c.Next()
}

const ctxDeferredInput = "deferredInput"

// uploadRoutes read their multipart body as a stream (readUpload), which
// checks its fields itself: parsing the body here would buffer the whole
// file.
var uploadRoutes = map[string]bool{
	"/esenzioni/:id/modifica/documenti": true,
	"/esenzioni/nuova/:draft/documenti": true,
}

// reshowRoutes show their form again, with the message by the field, when
// a field is refused: the practice's notes are typed text an operator must
// not lose.
var reshowRoutes = map[string]func(*Server, *gin.Context, *inputError){
	"/pratiche/:number/azioni/:action": (*Server).reshowPracticeForm,
}

// deferredInput answers a refusal the input guard deferred to after login
// the route's form again, and never its handler.
func (s *Server) deferredInput(c *gin.Context) {
	v, ok := c.Get(ctxDeferredInput)
	if !ok {
		c.Next()
		return
	}
	e := v.(*inputError)
	if reshow := reshowRoutes[c.FullPath()]; reshow != nil {
		s.Log.Warn("input refused", "route", c.FullPath(), "where", e.Where, "field", safeFieldName(e.Field), "code", e.Code)
		reshow(s, c, e)
		c.Abort()
		return
	}
	s.refuseInput(c, e)
}

// sanitizeForm drops what the rules refuse from every field of a form that
// is shown again: invalid bytes and refused characters go, long values are
// cut at their limit.
func sanitizeForm(r *http.Request) {
	clean := func(values url.Values) {
		for name, vs := range values {
			rule := ruleOf(name)
			for i, v := range vs {
				v = strings.ToValidUTF8(v, "")
				if rule.Multiline {
					v = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n").Replace(v)
				}
				var b strings.Builder
				n := 0
				for _, r := range v {
					if allowedRune(r, rule.Multiline) && (rule.Max == 0 || n < rule.Max) {
						b.WriteRune(r)
						n++
					}
				}
				vs[i] = b.String()
				if rule.Format != nil && vs[i] != "" && !rule.Format.MatchString(vs[i]) {
					vs[i] = ""
				}
			}
		}
	}
	clean(r.PostForm)
	clean(r.Form)
}

func (s *Server) checkRequest(c *gin.Context) *inputError {
	r := c.Request
	if len(r.URL.Path) > maxPathBytes {
		return &inputError{Status: http.StatusRequestURITooLong, Code: codeTooLong, Where: "path", Max: maxPathBytes,
			Detail: msgURLTooLong}
	}
	if _, code := cleanText(r.URL.Path, textRule{Raw: true}); code != "" {
		return &inputError{Status: http.StatusBadRequest, Code: codeInvalidChars, Where: "path",
			Detail: msgURLChars}
	}
	for _, p := range c.Params {
		if f, ok := paramFormats[p.Key]; ok && !f.MatchString(p.Value) {
			return &inputError{Status: http.StatusNotFound, Code: "not_found", Where: "path", Field: p.Key}
		}
	}
	if len(r.URL.RawQuery) > maxQueryBytes {
		return &inputError{Status: http.StatusRequestURITooLong, Code: codeTooLong, Where: "query", Max: maxQueryBytes,
			Detail: msgURLTooLong}
	}
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return &inputError{Status: http.StatusBadRequest, Code: codeBadEncoding, Where: "query"}
		}
		before := q.Encode()
		if err := checkValues(q, "query"); err != nil {
			return err
		}
		if after := q.Encode(); after != before {
			r.URL.RawQuery = after
		}
	}
	for name, rule := range headerRules {
		for _, v := range r.Header.Values(name) {
			if _, code := cleanText(v, rule); code != "" {
				return &inputError{Status: http.StatusBadRequest, Code: code, Where: "header", Field: name, Label: rule.Label, Max: rule.Max}
			}
		}
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if isAPI(c) {
			return nil // JSON (readJSON) or a file (the attachments service)
		}
		return s.checkForm(c)
	}
	return nil
}

// checkForm parses and checks a form body (urlencoded, or multipart outside
// the upload routes, which stream theirs through readUpload). Other bodies
// (JSON of the API, the file of an API upload) are their handlers'.
func (s *Server) checkForm(c *gin.Context) *inputError {
	r := c.Request
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil // no form: the handler finds no fields
	}
	tooLarge := func(err error) bool {
		var mbe *http.MaxBytesError
		return errors.As(err, &mbe)
	}
	switch {
	case ct == "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(c.Writer, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			if tooLarge(err) {
				return &inputError{Status: http.StatusRequestEntityTooLarge, Code: codeBodyTooLarge, Where: "form"}
			}
			return &inputError{Status: http.StatusBadRequest, Code: codeBadEncoding, Where: "form",
				Detail: msgFormEncoding}
		}
	case strings.HasPrefix(ct, "multipart/"):
		if uploadRoutes[c.FullPath()] {
			return nil
		}
		r.Body = http.MaxBytesReader(c.Writer, r.Body, maxFormBytes)
		if err := r.ParseMultipartForm(maxFormBytes); err != nil {
			if tooLarge(err) {
				return &inputError{Status: http.StatusRequestEntityTooLarge, Code: codeBodyTooLarge, Where: "form"}
			}
			return &inputError{Status: http.StatusBadRequest, Code: codeBadEncoding, Where: "form",
				Detail: msgFormEncoding}
		}
		if err := checkValues(r.MultipartForm.Value, "form"); err != nil {
			return err
		}
		for _, files := range r.MultipartForm.File {
			for _, f := range files {
				if err := checkFileName(f.Filename); err != nil {
					return err
				}
			}
		}
	default:
		return nil
	}
	if err := checkValues(r.PostForm, "form"); err != nil {
		return err
	}
	// r.Form holds the query and the body: rebuild it from the checked parts.
	form := url.Values{}
	for k, vs := range r.URL.Query() {
		form[k] = append(form[k], vs...)
	}
	for k, vs := range r.PostForm {
		form[k] = append(form[k], vs...)
	}
	r.Form = form
	return nil
}

// notFoundHeadings name what a path parameter that does not fit points to.
var notFoundHeadings = map[string][2]string{
	"number": {titlePracticeNotFound, msgPracticeNotFound},
	"id":     {titleExemptionNotFound, msgExemptionNotFound},
	"draft":  {titleDraftNotFound, msgDraftNotFound},
	"doc":    {titleDocumentNotFound, msgDocumentNotFound},
}

// refuseInput answers refused input: a stable code in the API, an Italian
// page in the UI. It logs where and why, never the value.
func (s *Server) refuseInput(c *gin.Context, e *inputError) {
	s.Log.Warn("input refused", "route", c.FullPath(), "where", e.Where, "field", safeFieldName(e.Field), "code", e.Code)
	if e.Status == http.StatusNotFound {
		if isAPI(c) {
			code := "not_found"
			if e.Field == "number" {
				code = "practice.not_found"
			}
			c.AbortWithStatusJSON(http.StatusNotFound, apiError(code, msgResourceNotFound))
			return
		}
		h, ok := notFoundHeadings[e.Field]
		if !ok {
			h = [2]string{titlePageNotFound, msgPageMissing}
		}
		s.renderError(c, http.StatusNotFound, h[0], h[1])
		c.Abort()
		return
	}
	msg := e.Message()
	if isAPI(c) {
		body := apiErrorBody{Code: e.Code, Message: msg}
		if e.Field != "" {
			body.Fields = []practices.FieldError{{Field: safeFieldName(e.Field), Code: e.Code, Message: msg}}
		}
		c.AbortWithStatusJSON(e.Status, gin.H{"error": body})
		return
	}
	s.renderError(c, e.Status, titleInvalidData, fmt.Sprintf(msgInvalidDataPage, msg))
	c.Abort()
}

// safeFieldName is a field name fit for logs and answers (field names come
// from the client).
func safeFieldName(name string) string {
	if len(name) > maxFieldName {
		name = name[:maxFieldName]
	}
	if _, code := cleanText(name, textRule{Raw: true}); code != "" {
		return "?"
	}
	return name
}

// reshowPracticeForm shows the practice again with the notes as typed
// (without the refused characters) and the message, status 400.
func (s *Server) reshowPracticeForm(c *gin.Context, e *inputError) {
	_, _, page, ok := s.practicePageOf(c)
	if !ok {
		return
	}
	msg := e.Message()
	page.Errors[e.Field] = msg
	page.Notes.Beneficiary, page.Notes.Internal = c.PostForm("nota_beneficiario"), c.PostForm("nota_interna")
	page.Flash = &Flash{Kind: "danger", Message: fmt.Sprintf(msgNotesReshown, msg)}
	s.render(c, http.StatusBadRequest, "practice.html", page)
}
