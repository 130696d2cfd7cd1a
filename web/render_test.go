package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// Every template parses (they load lazily at the first request otherwise).
func TestTemplatesParse(t *testing.T) {
	if err := tpl.load(); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"login.html", "home.html", "practices.html", "practice.html", "history.html",
		"exemptions.html", "exemption.html", "exemption_edit.html", "wizard_search.html", "wizard_person.html",
		"wizard.html", "wizard_result.html", "audit.html", "error.html", "notifications.html"} {
		if _, ok := tpl.pages[page]; !ok {
			t.Errorf("page %s missing", page)
		}
	}
}

// Bootstrap Italia styles form controls by their type: an <input> without a
// type attribute renders with no border, an invisible field.
func TestEveryInputHasAType(t *testing.T) {
	input := regexp.MustCompile(`<input\b[^>]*>`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(path)
		if err != nil {
			return err
		}
		for _, tag := range input.FindAllString(string(b), -1) {
			if !strings.Contains(tag, ` type="`) {
				t.Errorf("%s: input without a type: %s", path, tag)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
