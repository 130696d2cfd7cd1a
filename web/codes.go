package web

import (
	"html/template"
	"strings"
	"sync"

	"esenzioni/store"
)

// codeLists renders the list of exemption codes of the search forms (some
// hundreds of options) once per catalogue, not at every search: rendering
// it with the page template cost more than the search itself.
type codeLists struct {
	mu       sync.Mutex
	of       *store.CodeOption // the catalogue answer the lists were built from
	options  []string          // one <option> per code, without selection
	datalist template.HTML
}

func (l *codeLists) build(codes []store.CodeOption) {
	if len(codes) > 0 && l.of == &codes[0] {
		return
	}
	l.of, l.options = nil, make([]string, len(codes))
	var dl strings.Builder
	dl.WriteString(`<datalist id="elenco-codici">`)
	for i, c := range codes {
		code, desc := template.HTMLEscapeString(c.Code), template.HTMLEscapeString(c.Description)
		l.options[i] = `<option value="` + code + `">` + code + " - " + desc + "</option>"
		dl.WriteString(`<option value="` + code + " - " + desc + `"></option>`)
	}
	dl.WriteString("</datalist>")
	l.datalist = template.HTML(dl.String())
	if len(codes) > 0 {
		l.of = &codes[0]
	}
}

// options are the <option> elements of a code select, with selected marked.
func (l *codeLists) selectOptions(codes []store.CodeOption, selected string) template.HTML {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.build(codes)
	var b strings.Builder
	for i, c := range codes {
		if c.Code == selected {
			code := template.HTMLEscapeString(c.Code)
			b.WriteString(`<option value="` + code + `" selected>` + code + " - " + template.HTMLEscapeString(c.Description) + "</option>")
			continue
		}
		b.WriteString(l.options[i])
	}
	return template.HTML(b.String())
}

// dataList is the <datalist> of the Esenzioni search's code field.
func (l *codeLists) dataList(codes []store.CodeOption) template.HTML {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.build(codes)
	return l.datalist
}
