package places

import (
	"unicode"
	"unicode/utf8"
)

// sameName compares two place names ignoring case, accents and apostrophes,
// without allocating: Find scans every comune.
func sameName(a, b string) bool {
	for {
		ra, na := nextFolded(a)
		rb, nb := nextFolded(b)
		if ra != rb {
			return false
		}
		if ra < 0 {
			return true
		}
		a, b = a[na:], b[nb:]
	}
}

// nextFolded returns the first significant rune of s, folded, and the bytes
// consumed; -1 at the end of s.
func nextFolded(s string) (rune, int) {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		n += size
		switch r {
		case '\'', '’', '`', '´': // ANPR transliterates "AGLIÈ" as "AGLIE'"
			continue
		}
		return foldRune(r), n
	}
	return -1, n
}

// foldRune upper-cases r and strips the accents found in Italian and
// bilingual (German, Slovene, French) place names.
func foldRune(r rune) rune {
	r = unicode.ToUpper(r)
	switch r {
	case 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å':
		return 'A'
	case 'È', 'É', 'Ê', 'Ë':
		return 'E'
	case 'Ì', 'Í', 'Î', 'Ï':
		return 'I'
	case 'Ò', 'Ó', 'Ô', 'Õ', 'Ö':
		return 'O'
	case 'Ù', 'Ú', 'Û', 'Ü':
		return 'U'
	case 'Ç', 'Č':
		return 'C'
	case 'Š':
		return 'S'
	case 'Ž':
		return 'Z'
	case 'Ñ':
		return 'N'
	}
	return r
}
