package promemoria

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// Page geometry (millimetres, A4 portrait).
const (
	pageW        = 210.0
	pageH        = 297.0
	marginX      = 15.0
	marginTop    = 15.0
	contentW     = pageW - 2*marginX
	footerRuleY  = pageH - 13 // rule above the footer
	footerTextY  = footerRuleY + 1
	contentLimit = footerRuleY - 3 // nothing of the body goes below this
	runningY     = 8.0             // running header of the following pages
	cellMargin   = 1.0             // left and right padding inside a cell

	bodySize    = 10.0 // beneficiary block, statement, details
	bodyLine    = 5.2
	smallSize   = 8.5 // ASL address lines
	smallLine   = 4.2
	tableSize   = 9.0
	tableLine   = 4.2
	tablePad    = 1.5
	serviceSize = 9.0
	serviceLine = 4.0
	servicePad  = 0.9 // above and below each service
	serviceGap  = 2.0 // between the number, code and description columns
	footerSize  = 7.5
	nextHeadH   = 7.0 // "Prestazioni esenti (segue)" plus its spacing
)

var (
	black     = [3]int{0, 0, 0}
	grey      = [3]int{85, 85, 85}
	ruleGrey  = [3]int{150, 150, 150}
	white     = [3]int{255, 255, 255}
	headFill  = [3]int{225, 225, 225}
	zebraFill = [3]int{243, 243, 243}
)

// WritePDF renders the promemoria as an A4 PDF to w.
//
// Layout: the ASL header, title, beneficiary, table and details on the first
// page, then the exempt services, one per row (progressive number, code when
// any service has one, wrapped description). A service is never split across
// pages: its height is computed first and a page is added when it does not
// fit (only a service taller than a whole page, which real catalogues do not
// have, flows over). Following pages repeat a small identification line and
// the heading "Prestazioni esenti (segue)"; every page ends with the
// generation date and "Pagina X di Y".
func WritePDF(w io.Writer, p Promemoria) error {
	if err := p.Validate(); err != nil {
		return err
	}
	r := newPDFRenderer(newView(&p))
	r.document(&p)
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("sheet: render pdf: %w", err)
	}
	if err := r.pdf.Output(w); err != nil {
		return fmt.Errorf("sheet: write pdf: %w", err)
	}
	return nil
}

type pdfRenderer struct {
	pdf        *fpdf.Fpdf
	v          *view
	inServices bool      // the following pages continue the services list
	cur        fontState // last font and colour set by font(), valid on this page
}

type fontState struct {
	style string
	size  float64
	color [3]int
	set   bool
}

func newPDFRenderer(v *view) *pdfRenderer {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true) // fonts in a fixed order: same input, same bytes
	pdf.SetMargins(marginX, marginTop, marginX)
	// Safety net only: every block checks its own room (see fits).
	pdf.SetAutoPageBreak(true, pageH-contentLimit)
	pdf.SetCellMargin(cellMargin)
	pdf.AddUTF8FontFromBytes(family, "", sansRegular)
	pdf.AddUTF8FontFromBytes(family, "B", sansBold)
	r := &pdfRenderer{pdf: pdf, v: v}
	pdf.SetHeaderFunc(r.pageHeader)
	return r
}

func (r *pdfRenderer) document(p *Promemoria) {
	pdf, v := r.pdf, r.v
	pdf.SetTitle(v.Title(), true)
	pdf.SetSubject(subtitle, true)
	pdf.SetAuthor(v.ASLName, true)
	pdf.SetCreator("esenzioni", true)
	pdf.SetLang("it-IT")
	pdf.SetCreationDate(p.GeneratedAt)
	pdf.SetModificationDate(p.GeneratedAt)

	pdf.AddPage()
	r.header()
	r.titleBlock()
	r.beneficiary()
	r.table()
	r.details()
	r.services()
	r.footers()
}

// pageHeader runs at the top of every page; the first page has the full
// header drawn by header() instead.
func (r *pdfRenderer) pageHeader() {
	pdf := r.pdf
	if pdf.PageNo() == 1 {
		return
	}
	r.font("", 7.5, grey)
	pdf.SetXY(marginX, runningY)
	pdf.CellFormat(contentW, 4, pdfString(r.v.Running), "", 0, "L", false, 0, "")
	r.rule(runningY+4.5, ruleGrey)
	pdf.SetXY(marginX, marginTop)
	if r.inServices {
		r.font("B", 10, black)
		pdf.CellFormat(contentW, 5, pdfString(servicesNext), "", 2, "L", false, 0, "")
		pdf.SetY(marginTop + nextHeadH)
	}
	// fpdf restores the font and colours of before the header.
	r.cur = fontState{}
}

func (r *pdfRenderer) header() {
	pdf, v := r.pdf, r.v
	if v.ASLName != "" {
		r.font("B", 12.5, black)
		pdf.CellFormat(contentW, 6.5, pdfString(v.ASLName), "", 2, "L", false, 0, "")
	}
	r.font("", smallSize, black)
	for _, line := range []string{v.ASLLine1, v.ASLLine2} {
		if line != "" {
			r.lines(line, contentW, smallLine, "L")
		}
	}
	pdf.Ln(2)
	r.rule(pdf.GetY(), ruleGrey)
	pdf.Ln(7)
}

func (r *pdfRenderer) titleBlock() {
	pdf, v := r.pdf, r.v
	r.font("B", 11.5, black)
	title := pdfString(v.Title())
	if pdf.GetStringWidth(title)+2 <= contentW {
		r.lines(v.Title(), contentW, 6, "C")
	} else { // the number on its own line rather than wherever it breaks
		r.lines(titlePrefix, contentW, 6, "C")
		r.lines("n. "+v.Number, contentW, 6, "C")
	}
	pdf.Ln(1.5)
	r.font("", 9.5, black)
	r.lines(subtitle, contentW, 5, "C")
	pdf.Ln(7)
}

func (r *pdfRenderer) beneficiary() {
	pdf, v := r.pdf, r.v
	r.flow("", "Assistito/a", "B", orDash(v.Name))
	if v.BirthDate != "" || v.BirthPlace != "" {
		r.flow("", " nato/a")
		if v.BirthDate != "" {
			r.flow("", " il", "B", v.BirthDate)
		}
		if v.BirthPlace != "" {
			r.flow("", " a", "B", v.BirthPlace)
		}
	}
	pdf.Ln(bodyLine + 0.8)
	r.flow("", "Residente", "B", orDash(v.Residence))
	pdf.Ln(bodyLine + 0.8)
	r.flow("", "CF", "B", orDash(v.FiscalCode), "", "      Tessera regionale", "B", orDash(v.CardNumber))
	pdf.Ln(bodyLine + 5)
	r.font("", bodySize, black)
	r.lines(statement, contentW, bodyLine, "L")
	pdf.Ln(3)
}

// table draws the exemption table: a header row and one row, every cell
// wrapped in its column and the row as tall as its tallest cell.
var tableWidths = [5]float64{27, 54, 54, 22, 23}

func (r *pdfRenderer) table() {
	var header, row [5]string
	for i := range header {
		header[i] = pdfString(tableHeader[i])
		row[i] = pdfString(r.v.Row[i])
	}
	r.tableRow(header, "B", headFill)
	r.tableRow(row, "", white)
	r.pdf.Ln(7)
}

func (r *pdfRenderer) tableRow(cells [5]string, style string, fill [3]int) {
	pdf := r.pdf
	r.font(style, tableSize, black)
	var split [5][]string
	n := 1
	for i, c := range cells {
		split[i] = r.split(c, tableWidths[i])
		n = max(n, len(split[i]))
	}
	h := float64(n)*tableLine + 2*tablePad
	r.fits(h)
	pdf.SetFillColor(fill[0], fill[1], fill[2])
	pdf.SetDrawColor(ruleGrey[0], ruleGrey[1], ruleGrey[2])
	pdf.SetLineWidth(0.2)
	x, y := marginX, pdf.GetY()
	for i, lines := range split {
		pdf.Rect(x, y, tableWidths[i], h, "FD")
		for k, line := range lines {
			pdf.SetXY(x, y+tablePad+float64(k)*tableLine)
			pdf.CellFormat(tableWidths[i], tableLine, line, "", 0, "L", false, 0, "")
		}
		x += tableWidths[i]
	}
	pdf.SetXY(marginX, y+h)
}

func (r *pdfRenderer) details() {
	pdf, v := r.pdf, r.v
	r.fits(6 + 2*bodyLine)
	r.font("B", 11, black)
	pdf.CellFormat(contentW, 6, pdfString(detailHeading), "", 2, "L", false, 0, "")
	pdf.Ln(1)
	r.flow("B", "Esenzione", "", v.Exemption)
	pdf.Ln(bodyLine + 0.8)
	r.flow("B", "Diagnosi", "", v.Diagnosis)
	pdf.Ln(bodyLine + 7)
}

// services prints every service. Columns: progressive number (right
// aligned), code (only when some service has one, as wide as the widest
// code up to 40 mm) and the description, wrapped.
func (r *pdfRenderer) services() {
	pdf, v := r.pdf, r.v

	// Columns, measured with the services' font.
	r.font("", serviceSize, black)
	numW := pdf.GetStringWidth(strconv.Itoa(len(v.Services))+".") + 2
	codeW := 0.0
	codes := make([]string, len(v.Services))
	if v.HasCodes {
		for i, s := range v.Services {
			codes[i] = pdfString(s.Code)
			codeW = max(codeW, pdf.GetStringWidth(codes[i])+2)
		}
		codeW = min(codeW, 40)
	}
	descX := marginX + numW + serviceGap
	if codeW > 0 {
		descX += codeW + serviceGap
	}
	descW := marginX + contentW - descX
	// measure wraps service i: its description and code lines and height.
	measure := func(i int) (desc, code []string, h float64) {
		desc = r.split(pdfString(v.Services[i].Description), descW)
		if codes[i] != "" {
			code = r.split(codes[i], codeW)
		}
		n := max(len(desc), len(code), 1)
		return desc, code, float64(n)*serviceLine + 2*servicePad
	}
	// Tallest service that fits on a continuation page.
	room := contentLimit - (marginTop + nextHeadH)

	// The heading stays with the first service.
	const headH = 7.0
	next := bodyLine
	if len(v.Services) > 0 {
		_, _, next = measure(0)
	}
	r.fits(headH + min(next, room))
	r.font("B", 11, black)
	pdf.CellFormat(contentW-40, 6, pdfString(servicesTitle), "", 0, "L", false, 0, "")
	r.font("", 9, grey)
	count := strconv.Itoa(len(v.Services)) + " prestazioni"
	if len(v.Services) == 1 {
		count = "1 prestazione"
	}
	pdf.CellFormat(40, 6, count, "", 1, "R", false, 0, "")
	pdf.Ln(headH - 6)
	r.inServices = true
	if len(v.Services) == 0 {
		r.font("", bodySize, black)
		r.lines(noServices, contentW, bodyLine, "L")
		return
	}

	for i := range v.Services {
		desc, code, h := measure(i)
		fits := h <= room
		if fits {
			r.fits(h)
		}
		y := pdf.GetY()
		if i%2 == 1 && fits {
			pdf.SetFillColor(zebraFill[0], zebraFill[1], zebraFill[2])
			pdf.Rect(marginX, y, contentW, h, "F")
		}
		y += servicePad
		for k := 0; k < len(desc) || k < len(code) || k == 0; k++ {
			if y+serviceLine > contentLimit { // only for a service taller than a page
				pdf.AddPage()
				y = pdf.GetY()
			}
			if k == 0 {
				r.font("", serviceSize, grey)
				pdf.SetXY(marginX, y)
				pdf.CellFormat(numW, serviceLine, strconv.Itoa(i+1)+".", "", 0, "R", false, 0, "")
			}
			if k < len(code) {
				r.font("", serviceSize, grey)
				pdf.SetXY(marginX+numW+serviceGap, y)
				pdf.CellFormat(codeW, serviceLine, code[k], "", 0, "L", false, 0, "")
			}
			if k < len(desc) {
				r.font("", serviceSize, black)
				pdf.SetXY(descX, y)
				pdf.CellFormat(descW, serviceLine, desc[k], "", 0, "L", false, 0, "")
			}
			y += serviceLine
		}
		pdf.SetXY(marginX, y+servicePad)
	}
}

// footers draws the footer of every page once the page count is known, so
// that "Pagina X di Y" is exact and right-aligned (fpdf's page-count alias is
// substituted after layout, when its width is already wrong).
func (r *pdfRenderer) footers() {
	pdf := r.pdf
	pdf.SetAutoPageBreak(false, 0)
	total := pdf.PageCount()
	left := pdfString("Documento generato il " + r.v.Generated)
	for page := 1; page <= total; page++ {
		pdf.SetPage(page)
		r.cur = fontState{}
		// Colours and font are emitted again on every page: its content
		// stream ends with whatever that page last used.
		r.rule(footerRuleY, ruleGrey)
		r.font("", footerSize, grey)
		pdf.SetXY(marginX, footerTextY)
		pdf.CellFormat(contentW/2, 4, left, "", 0, "L", false, 0, "")
		pdf.CellFormat(contentW/2, 4, "Pagina "+strconv.Itoa(page)+" di "+strconv.Itoa(total), "", 0, "R", false, 0, "")
	}
}

// font selects the font and text colour. No fill colour used here equals a
// text colour, so fpdf always emits the text colour with the text (it omits it
// when text and fill colours are the same), which keeps the footers drawn
// afterwards on earlier pages independent of those pages' last colours.
func (r *pdfRenderer) font(style string, size float64, color [3]int) {
	want := fontState{style: style, size: size, color: color, set: true}
	if r.cur == want {
		return // fpdf emits the operators again on every call
	}
	r.cur = want
	r.pdf.SetFont(family, style, size)
	r.pdf.SetTextColor(color[0], color[1], color[2])
}

func (r *pdfRenderer) rule(y float64, color [3]int) {
	r.pdf.SetDrawColor(color[0], color[1], color[2])
	r.pdf.SetLineWidth(0.2)
	r.pdf.Line(marginX, y, marginX+contentW, y)
}

// lines prints text wrapped in width w, one cell per line.
func (r *pdfRenderer) lines(text string, w, h float64, align string) {
	pdf := r.pdf
	for _, line := range r.split(pdfString(text), w) {
		pdf.SetX(marginX)
		pdf.CellFormat(w, h, line, "", 2, align, false, 0, "")
	}
}

// split wraps text, as prepared by pdfString, into lines that fit in cells of
// width w in the current font. Lines break at spaces (not at the no-break
// space), or inside a word longer than a line; the space at a break is
// dropped. It is fpdf's SplitLines for UTF-8 text: fpdf's SplitText also
// breaks at no-break spaces.
func (r *pdfRenderer) split(text string, w float64) []string {
	pdf := r.pdf
	_, size := pdf.GetFontSize()
	wmax := int(math.Ceil((w - 2*cellMargin) * 1000 / size))
	var lines []string
	start, sep, width := 0, -1, 0 // byte offsets of the line and of its last space
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(text); {
		c, n := utf8.DecodeRuneInString(text[i:])
		width += pdf.GetStringSymbolWidth(string(buf[:utf8.EncodeRune(buf[:], c)]))
		if c == ' ' {
			sep = i
		}
		if width <= wmax {
			i += n
			continue
		}
		switch {
		case sep >= 0: // break at the last space
			lines = append(lines, text[start:sep])
			i = sep + 1
		case i == start: // not even one character fits
			lines = append(lines, text[start:i+n])
			i += n
		default: // break inside the word
			lines = append(lines, text[start:i])
		}
		start, sep, width = i, -1, 0
	}
	if start < len(text) {
		lines = append(lines, text[start:])
	}
	return lines
}

// flow writes flowing text (wrapping at the right margin) from the current
// position: pairs of style and text, separated by a space. A text starting
// with spaces keeps them (they separate it from what was written before).
func (r *pdfRenderer) flow(pairs ...string) {
	pdf := r.pdf
	for i := 0; i+1 < len(pairs); i += 2 {
		style, text := pairs[i], pairs[i+1]
		r.font(style, bodySize, black)
		lead := len(text) - len(strings.TrimLeft(text, " "))
		if i > 0 {
			lead = max(lead, 1)
		}
		if lead > 0 {
			pdf.Write(bodyLine, strings.Repeat(" ", lead))
		}
		pdf.Write(bodyLine, pdfString(text))
	}
}

// fits adds a page when a block of height h does not fit in what is left of
// the current one.
func (r *pdfRenderer) fits(h float64) {
	if r.pdf.GetY()+h > contentLimit {
		r.pdf.AddPage()
	}
}
