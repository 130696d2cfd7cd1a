package promemoria

import (
	_ "embed"
	"encoding/binary"
	"strings"
	"sync"
	"unicode"
)

// The PDF embeds Liberation Sans (SIL Open Font License, see fonts/OFL.txt),
// a TrueType font metrically compatible with Helvetica, as a UTF-8 font:
// fpdf writes only the glyphs a document uses. Text therefore stays UTF-8;
// pdfString only drops what the font cannot draw.

//go:embed fonts/LiberationSans-Regular.ttf
var sansRegular []byte

//go:embed fonts/LiberationSans-Bold.ttf
var sansBold []byte

// family is the name the fonts are registered under in each document.
const family = "LiberationSans"

// glyphSet tells which code points of the Basic Multilingual Plane (the only
// plane fpdf's UTF-8 fonts address) a font maps to a glyph.
type glyphSet [0x10000 / 64]uint64

func (g *glyphSet) has(r rune) bool {
	return r >= 0 && r < 0x10000 && g[r/64]&(1<<(r%64)) != 0
}

// glyphs holds the code points both faces draw.
var glyphs = sync.OnceValue(func() *glyphSet {
	regular, bold := cmapGlyphs(sansRegular), cmapGlyphs(sansBold)
	for i := range regular {
		regular[i] &= bold[i]
	}
	return regular
})

// cmapGlyphs reads the Unicode BMP subtable (format 4, the one fpdf reads)
// of a TrueType font's cmap table. A malformed font yields an empty set, which
// the tests catch.
func cmapGlyphs(font []byte) *glyphSet {
	set := new(glyphSet)
	u16 := func(off int) int {
		if off < 0 || off+2 > len(font) {
			return 0
		}
		return int(binary.BigEndian.Uint16(font[off:]))
	}
	u32 := func(off int) int {
		if off < 0 || off+4 > len(font) {
			return 0
		}
		return int(binary.BigEndian.Uint32(font[off:]))
	}
	cmap := 0
	for i := range u16(4) { // table records
		rec := 12 + 16*i
		if string(font[min(rec, len(font)):min(rec+4, len(font))]) == "cmap" {
			cmap = u32(rec + 8)
		}
	}
	if cmap == 0 {
		return set
	}
	sub := 0
	for i := range u16(cmap + 2) { // encoding records
		rec := cmap + 4 + 8*i
		platform, encoding := u16(rec), u16(rec+2)
		if (platform == 3 && encoding == 1) || platform == 0 {
			if off := cmap + u32(rec+4); u16(off) == 4 {
				sub = off
				break
			}
		}
	}
	if sub == 0 {
		return set
	}
	segX2 := u16(sub + 6)
	ends, starts := sub+14, sub+16+segX2
	deltas, ranges := starts+segX2, starts+2*segX2
	for s := 0; s < segX2; s += 2 {
		start, end := u16(starts+s), u16(ends+s)
		delta, rangeOff := u16(deltas+s), u16(ranges+s)
		for c := start; c <= end && c < 0xffff; c++ {
			glyph := 0
			if rangeOff == 0 {
				glyph = (c + delta) & 0xffff
			} else if g := u16(ranges + s + rangeOff + 2*(c-start)); g != 0 {
				glyph = (g + delta) & 0xffff
			}
			if glyph != 0 {
				set[c/64] |= 1 << (c % 64)
			}
		}
	}
	return set
}

// substitutes stand in for characters the font lacks that may occur in
// names and in the descriptions of health services.
var substitutes = map[rune]string{
	'\u2011': "-", // non-breaking hyphen
}

// pdfString prepares s for the PDF: every run of white space (and control
// characters) becomes a single space, the ends are trimmed, format characters
// (soft hyphen, zero-width space, BOM...) are dropped, and a separating " - "
// is glued to the following word. Characters the font lacks (emoji, CJK...)
// are substituted when possible and otherwise replaced with '?'; it never
// fails.
func pdfString(s string) string {
	set := glyphs()
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
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
		case set.has(r):
			b.WriteRune(r)
		case substitutes[r] != "":
			b.WriteString(substitutes[r])
		default:
			b.WriteByte('?')
		}
	}
	out := b.String()
	if strings.Contains(out, " - ") {
		// A separating dash stays with the word after it (no-break space), so
		// no line ends with "-", which text extraction would take for a
		// hyphenation and remove.
		out = strings.ReplaceAll(out, " - ", " -\u00a0")
	}
	return out
}

// clean collapses white space like pdfString but keeps every character (for
// HTML).
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
