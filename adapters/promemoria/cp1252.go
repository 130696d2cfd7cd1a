package promemoria

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

// The PDF uses the core (non-embedded) Helvetica fonts, whose encoding is
// cp1252 (WinAnsi). Text therefore goes through encodePDF, which turns UTF-8
// into cp1252 bytes.
//
// The rune -> byte table is derived once from fpdf's own cp1252 descriptor
// (UnicodeTranslatorFromDescriptor("")), so that it is exactly the mapping the
// font metrics were built for. The translator returned by fpdf shares a buffer
// between calls (it is not safe for concurrent use) and silently turns unknown
// runes into '.', so it is not used directly: the table is read-only after
// construction and lets encodePDF transliterate what cp1252 lacks (Latin
// Extended-A letters of foreign names, a few Greek letters and math signs)
// and replace anything else with '?'.

// maxCP1252Rune is the highest code point cp1252 maps (U+2122 TRADE MARK SIGN).
const maxCP1252Rune = 0x2122

var cp1252Table = sync.OnceValue(func() []byte {
	table := make([]byte, maxCP1252Rune+1)
	for r := rune(0); r < 0x80; r++ {
		table[r] = byte(r)
	}
	tr := fpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("")
	var buf [utf8.UTFMax]byte
	for r := rune(0x80); r <= maxCP1252Rune; r++ {
		if b := tr(string(buf[:utf8.EncodeRune(buf[:], r)])); len(b) == 1 && b[0] != '.' {
			table[r] = b[0]
		}
	}
	return table
})

// latinExtA transliterates U+0100..U+017F (Latin Extended-A) to ASCII base
// letters, one byte per code point. Letters cp1252 has (Œ œ Š š Ÿ Ž ž) are
// found in the cp1252 table before this one is consulted.
const latinExtA = "" +
	"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHh" + // U+0100..U+0127
	"IiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOo" + // U+0128..U+014F
	"OoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYy" + // U+0150..U+0177
	"YZzZzZzs" // U+0178..U+017F

// translit covers a few more runes outside cp1252 that occur in names and in
// the descriptions of health services.
var translit = map[rune]string{
	'Ș': "S", 'ș': "s", 'Ț': "T", 'ț': "t", // Romanian comma-below (U+0218..U+021B)
	'‐': "-", '‑': "-", '‒': "-", '−': "-", '⁄': "/",
	'′': "'", '″': "\"", '≤': "<=", '≥': ">=", '≠': "<>", '×': "x",
	'α': "alfa", 'β': "beta", 'γ': "gamma", 'δ': "delta", 'ε': "epsilon",
	'κ': "kappa", 'λ': "lambda", 'μ': "\xb5", 'ω': "omega", 'Ω': "Omega",
}

// encodePDF converts s to cp1252 bytes for the core fonts, collapsing every
// run of white space (and control characters) into a single space, trimming
// the ends and gluing " - " to the following word. Runes cp1252 lacks are transliterated when possible and
// otherwise replaced with '?'; it never fails.
func encodePDF(s string) string {
	table := cp1252Table()
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) { // soft hyphen, zero-width space, BOM...
			continue
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		switch {
		case r <= maxCP1252Rune && table[r] != 0:
			b.WriteByte(table[r])
		case r >= 0x100 && r <= 0x17f:
			b.WriteByte(latinExtA[r-0x100])
		default:
			if t, ok := translit[r]; ok {
				b.WriteString(t)
			} else {
				b.WriteByte('?')
			}
		}
	}
	out := b.String()
	if strings.Contains(out, " - ") {
		// A separating dash stays with the word after it (no-break space), so
		// no line ends with "-", which text extraction would take for a
		// hyphenation and remove.
		out = strings.ReplaceAll(out, " - ", " -\xa0")
	}
	return out
}

// clean collapses white space like encodePDF but keeps UTF-8 (for HTML).
func clean(s string) string {
	if s == "" {
		return ""
	}
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)), " ")
}
