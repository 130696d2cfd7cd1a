package practice

import "unicode/utf8"

// ValidText reports whether s may be stored and shown: valid UTF-8 with no
// NUL or other control characters, except newline and tab in multi-line
// text (notes). PostgreSQL cannot store NUL in text at all, and control
// characters in a note or a name only ever come from an attack or a broken
// client.
func ValidText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			if !multiline {
				return false
			}
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return false
		case r == '\u2028' || r == '\u2029' || r == '\ufeff':
			return false
		}
	}
	return true
}
