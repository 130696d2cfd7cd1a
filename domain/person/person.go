// Package person holds the rules for the personal data that submitter
// systems (doctors' software, the citizens' portal) send about a
// beneficiary: what a name, an email and the other text fields may hold,
// their maximum lengths, and the agreement of a new person's data with the
// fiscal code. The rules are pure functions; the intake service applies
// them.
package person

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"esenzioni/domain/fiscalcode"
)

// Maximum lengths, in characters, of the beneficiary's text fields.
const (
	MaxNameLen    = 60  // first name, surname
	MaxEmailLen   = 254 // RFC 5321 path limit
	MaxAddressLen = 150 // residence address
	MaxComuneLen  = 80  // comune of residence
	MaxCodeLen    = 16  // fiscal code, ASL code, short codes
)

// Stable codes of the problems found.
const (
	CodeTooLong        = "text.too_long"
	CodeControl        = "text.control_characters"
	CodeNameChars      = "name.invalid_characters"
	CodeNameMismatch   = "name.fiscal_code_mismatch"
	CodeEmail          = "email.invalid"
	CodeBirthDate      = "birth_date.fiscal_code_mismatch"
	CodeSex            = "sex.fiscal_code_mismatch"
	CodeBirthPlace     = "birth_place.fiscal_code_mismatch"
	CodeBirthDateValue = "birth_date.invalid"
)

// Problem is one invalid field: a stable code and an Italian message.
type Problem struct {
	Field, Code, Message string
}

// CheckText checks a free text field: valid UTF-8, no control characters
// (CR, LF, NUL, tab included) and at most max characters.
func CheckText(field, label, s string, max int) *Problem {
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return &Problem{field, CodeControl, fmt.Sprintf("%s contiene caratteri non ammessi (a capo, tabulazioni o caratteri di controllo).", label)}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &Problem{field, CodeTooLong, fmt.Sprintf("%s è troppo lungo: al massimo %d caratteri, ne ha %d.", label, max, n)}
	}
	return nil
}

// CheckName checks a first name or surname: letters (accented ones too),
// spaces, apostrophes and hyphens, at least one letter, at most
// MaxNameLen characters.
func CheckName(field, label, s string) *Problem {
	if p := CheckText(field, label, s, MaxNameLen); p != nil {
		return p
	}
	letters := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Latin) && unicode.IsLetter(r):
			letters++
		case r == ' ' || r == '\'' || r == '’' || r == '-':
		default:
			return &Problem{field, CodeNameChars, fmt.Sprintf("%s può contenere solo lettere, spazi, apostrofi e trattini.", label)}
		}
	}
	if letters == 0 {
		return &Problem{field, CodeNameChars, fmt.Sprintf("%s deve contenere almeno una lettera.", label)}
	}
	return nil
}

// CheckEmail checks an email address: a bare addr-spec (no display name,
// no comments) as net/mail reads it, at most MaxEmailLen characters, a
// local part of at most 64, a domain with a dot and only letters, digits,
// hyphens and dots, no control characters (so no CR/LF header injection).
func CheckEmail(field, s string) *Problem {
	bad := &Problem{field, CodeEmail, "Indirizzo email non valido (esempio: nome.cognome@dominio.it)."}
	if p := CheckText(field, "L'indirizzo email", s, MaxEmailLen); p != nil {
		return p
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return bad
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) == 0 || len(local) > 64 || strings.ContainsAny(local, " \"\\<>()[],;:") {
		return bad
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return bad
	}
	for _, r := range domain {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return bad
		}
	}
	return nil
}

// Claimed is what a submitter states about a new person besides the fiscal
// code: names always, birth data optionally (zero values are not checked).
type Claimed struct {
	FirstName, LastName string
	BirthDate           time.Time // calendar date; zero: not stated
	Sex                 string    // "M" or "F"; "": not stated
	BirthPlaceCode      string    // Belfiore code; "": not stated
}

// CheckAgainstFiscalCode reports where a new person's data disagree with
// the fiscal code: surname and first name letters, birth date, sex and
// place of birth (omocodia decoded: fc comes from fiscalcode.Parse).
func CheckAgainstFiscalCode(fc fiscalcode.Code, d Claimed) []Problem {
	var out []Problem
	if !fc.MatchesNames(d.LastName, d.FirstName) {
		out = append(out, Problem{"beneficiary.lastName", CodeNameMismatch,
			"Cognome e nome non corrispondono al codice fiscale " + fc.Normalized + "."})
	}
	if !d.BirthDate.IsZero() {
		y, m, dd := d.BirthDate.Date()
		by, bm, bd := fc.BirthDate.Date()
		if y != by || m != bm || dd != bd {
			out = append(out, Problem{"beneficiary.birthDate", CodeBirthDate,
				"La data di nascita non corrisponde al codice fiscale (" + fc.BirthDate.Format("02/01/2006") + ")."})
		}
	}
	if d.Sex != "" && strings.ToUpper(strings.TrimSpace(d.Sex)) != string(fc.Sex) {
		out = append(out, Problem{"beneficiary.sex", CodeSex, "Il sesso non corrisponde al codice fiscale."})
	}
	if d.BirthPlaceCode != "" && strings.ToUpper(strings.TrimSpace(d.BirthPlaceCode)) != fc.PlaceCode {
		out = append(out, Problem{"beneficiary.birthPlaceCode", CodeBirthPlace,
			"Il luogo di nascita non corrisponde al codice fiscale (" + fc.Place.Name + ")."})
	}
	return out
}
