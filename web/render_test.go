package web

import "testing"

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
