package web

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
)

// The Content-Security-Policy runs only the application's script files:
// no template may hold an inline script, an inline event handler or a
// javascript: URL, which the browser would refuse to run.
func TestTemplatesHoldNoInlineScript(t *testing.T) {
	inlineScript := regexp.MustCompile(`(?is)<script\b[^>]*>\s*[^<\s]`)
	scriptTag := regexp.MustCompile(`(?is)<script\b[^>]*>`)
	handler := regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`)
	jsURL := regexp.MustCompile(`(?i)(href|src|action|formaction)\s*=\s*["']?\s*javascript:`)
	styleAttr := regexp.MustCompile(`(?i)<[a-z][^>]*\sstyle\s*=`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(path)
		if err != nil {
			return err
		}
		src := string(b)
		for _, tag := range scriptTag.FindAllString(src, -1) {
			if !strings.Contains(tag, " src=") {
				t.Errorf("%s: script without src: %s", path, tag)
			}
		}
		for name, re := range map[string]*regexp.Regexp{"inline script": inlineScript,
			"inline event handler": handler, "javascript: URL": jsURL, "style attribute": styleAttr} {
			if m := re.FindString(src); m != "" {
				t.Errorf("%s: %s: %s", path, name, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := policyWithFormTargets([]string{"https://idp.example"}); !strings.Contains(p, "form-action 'self' https://idp.example;") {
		t.Errorf("provider origins in form-action: %s", p)
	}
	if !strings.Contains(contentSecurityPolicy, "script-src 'self';") || strings.Contains(contentSecurityPolicy, "unsafe-eval") ||
		strings.Count(contentSecurityPolicy, "unsafe-inline") != strings.Count(contentSecurityPolicy, "style-src 'self' 'unsafe-inline'") {
		t.Fatalf("policy: %s", contentSecurityPolicy)
	}
}

// Only the domain's refusals reach a client with their message: a
// workflow's failure carrying a database error is not one.
func TestOnlyDomainRefusalsAreShown(t *testing.T) {
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{practice.CodeStaleVersion, true},
		{"exemption.closed", true},
		{"wrapError", false},
		{"PanicError", false},
		{"", false},
		{"practicex.y", false},
	} {
		_, ok := domainRefusal(&refusal.Refusal{Code: tc.code, Message: "ERROR: syntax error (SQLSTATE 42601)"})
		if ok != tc.ok {
			t.Errorf("%q: shown %v, want %v", tc.code, ok, tc.ok)
		}
	}
}

// A panic is logged and answered with the generic page or code: its text
// never reaches the client.
func TestPanicGetsTheGenericAnswer(t *testing.T) {
	var logs strings.Builder
	s := &Server{Deps: Deps{Log: slog.New(slog.NewTextHandler(&logs, nil))}}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(s.recovery(), s.securityHeaders())
	boom := func(*gin.Context) { panic("runtime error: index out of range [3] with length 2 (SQLSTATE 42601)") }
	e.GET("/api/v1/boom", boom)
	e.GET("/boom", boom)
	for path, want := range map[string]string{"/api/v1/boom": `"code":"internal"`, "/boom": "Errore interno"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), want) ||
			strings.Contains(rec.Body.String(), "SQLSTATE") || strings.Contains(rec.Body.String(), "runtime error") {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
	}
	if !strings.Contains(logs.String(), "SQLSTATE") {
		t.Errorf("the panic is not logged: %s", logs.String())
	}
}
