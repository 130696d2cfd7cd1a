package promemoria

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed promemoria.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("promemoria").
	Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).
	Parse(htmlSource))

// WriteHTML renders the promemoria as a standalone printable HTML page (UTF-8,
// inline CSS, no external resources) with the same content as WritePDF.
// Services are kept whole across printed pages (break-inside: avoid); the
// page numbers come from the @page margin boxes where the browser supports
// them.
func WriteHTML(w io.Writer, p Promemoria) error {
	if err := p.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	if err := htmlTemplate.Execute(bw, newView(&p)); err != nil {
		return fmt.Errorf("sheet: render html: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sheet: write html: %w", err)
	}
	return nil
}
