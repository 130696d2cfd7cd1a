// Package fiscalcode parses, checks and generates the Italian codice
// fiscale of natural persons (DM 23/12/1976): surname and name letters,
// birth date and sex, Belfiore code of the place of birth and check
// character, including omocodia.
package fiscalcode

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"esenzioni/domain/places"
)

// Machine codes of Error, stable for API clients and translations.
const (
	CodeLength    = "fiscal_code.length"     // not 16 characters
	CodeFormat    = "fiscal_code.format"     // a character not allowed in its position
	CodeCheckChar = "fiscal_code.check_char" // the 16th character does not match
	CodeBirthDate = "fiscal_code.birth_date" // day out of range or not a calendar date
	CodePlace     = "fiscal_code.place"      // place code unknown or not valid on the birth date
)

// Error is a rejected codice fiscale: Code is one of the Code* constants,
// Message explains it to the user in Italian.
type Error struct {
	Code    string
	Message string
}

// Error returns the Italian message.
func (e *Error) Error() string { return e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: "Codice fiscale non valido: " + fmt.Sprintf(format, args...)}
}

// Code is a valid codice fiscale.
type Code struct {
	Normalized string       // as given, trimmed and upper-case
	Canonical  string       // with omocodia decoded and the check character recomputed
	BirthDate  time.Time    // midnight UTC
	Sex        byte         // 'M' or 'F'
	PlaceCode  string       // Belfiore code of the place of birth, omocodia decoded
	Place      places.Place // the place of birth as it was on the birth date
	Omocode    bool         // some digits were replaced by letters (omocodia)
}

// String returns the code as given (Normalized).
func (c Code) String() string { return c.Normalized }

const (
	months = "ABCDEHLMPRST" // month letters, January to December
	// omocodia replaces digit d with omocodeLetters[d].
	omocodeLetters = "LMNPQRSTUV"
)

// numericPos are the positions (0-based) of digits that omocodia may replace.
var numericPos = [...]int{6, 7, 9, 10, 12, 13, 14}

// Parse checks s as a codice fiscale with the current time as reference for
// the century of the birth year. A nil reg means places.Default().
func Parse(s string, reg *places.Registry) (Code, error) {
	return ParseAt(s, reg, time.Now())
}

// ParseAt is Parse with now as the reference time: the two-digit birth year
// is taken in the latest century that does not put the birth after now's
// date, so a code for someone older than 100 reads as a younger person,
// which the code itself cannot tell apart.
func ParseAt(s string, reg *places.Registry, now time.Time) (Code, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if n := utf8.RuneCountInString(s); n != 16 {
		return Code{}, errorf(CodeLength, "deve essere di 16 caratteri, ne ha %d", n)
	}
	if err := checkFormat(s); err != nil {
		return Code{}, err
	}
	if CheckChar(s[:15]) != s[15] {
		return Code{}, errorf(CodeCheckChar, "carattere di controllo errato")
	}

	canon := []byte(s)
	omocode := false
	for _, i := range numericPos {
		if d := strings.IndexByte(omocodeLetters, canon[i]); d >= 0 {
			canon[i] = byte('0' + d)
			omocode = true
		}
	}
	canon[15] = CheckChar(string(canon[:15]))

	yy := twoDigits(canon[6:8])
	month := strings.IndexByte(months, canon[8]) + 1
	day := twoDigits(canon[9:11])
	sex := byte('M')
	if day > 40 {
		sex, day = 'F', day-40
	}
	if day < 1 || day > 31 {
		return Code{}, errorf(CodeBirthDate, "giorno di nascita %s non valido (1-31 per gli uomini, 41-71 per le donne)", canon[9:11])
	}
	year := birthYear(yy, month, day, now)
	birth := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if birth.Day() != day { // time.Date normalises 31 April to 1 May
		return Code{}, errorf(CodeBirthDate, "la data di nascita %02d/%02d/%d non esiste", day, month, year)
	}

	if reg == nil {
		reg = places.Default()
	}
	placeCode := string(canon[11:15])
	place, ok := reg.Lookup(placeCode, birth)
	if !ok {
		return Code{}, errorf(CodePlace, "il codice del luogo di nascita %s non corrisponde a un comune o a uno stato estero esistente il %s",
			placeCode, birth.Format("02/01/2006"))
	}
	return Code{
		Normalized: s,
		Canonical:  string(canon),
		BirthDate:  birth,
		Sex:        sex,
		PlaceCode:  placeCode,
		Place:      place,
		Omocode:    omocode,
	}, nil
}

// checkFormat checks the class of every character: letters for surname,
// name, month, place and check; digits or omocodia letters elsewhere.
func checkFormat(s string) error {
	for i := range len(s) {
		c := s[i]
		var ok bool
		var want string
		switch i {
		case 6, 7, 9, 10, 12, 13, 14:
			ok = isDigit(c) || strings.IndexByte(omocodeLetters, c) >= 0
			want = "una cifra (o una lettera di omocodia " + omocodeLetters + ")"
		case 8:
			ok = strings.IndexByte(months, c) >= 0
			want = "la lettera del mese (" + months + ")"
		default:
			ok = isLetter(c)
			want = "una lettera"
		}
		if !ok {
			// Bytes before i are ASCII, so i+1 is also the rune's position.
			r, _ := utf8.DecodeRuneInString(s[i:])
			return errorf(CodeFormat, "il carattere %q in posizione %d deve essere %s", r, i+1, want)
		}
	}
	return nil
}

// birthYear chooses 19yy or 20yy: the later one unless it is after now.
func birthYear(yy, month, day int, now time.Time) int {
	ny, nm, nd := now.Date()
	year := 2000 + yy
	if year > ny || year == ny && (month > int(nm) || month == int(nm) && day > nd) {
		year -= 100
	}
	return year
}

// Odd-position values of the check-character algorithm for 0-9 and A-Z
// (the same for a digit and the letter of the same rank).
var oddValues = [26]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

// CheckChar returns the check character of the first 15 characters of a
// codice fiscale, or 0 if first15 is not 15 characters of A-Z and 0-9.
func CheckChar(first15 string) byte {
	if len(first15) != 15 {
		return 0
	}
	sum := 0
	for i := range 15 {
		c := first15[i]
		var rank int
		switch {
		case isDigit(c):
			rank = int(c - '0')
		case isLetter(c):
			rank = int(c - 'A')
		default:
			return 0
		}
		if i%2 == 0 { // odd positions counting from 1
			sum += oddValues[rank]
		} else {
			sum += rank
		}
	}
	return byte('A' + sum%26)
}

// Generate builds the codice fiscale of a person, without omocodia: the
// surname and name letters by the official rules, birth's calendar date,
// sex 'F' (or 'f') for women and anything else for men, and placeCode, the
// Belfiore code valid at birth, which Generate does not check.
func Generate(surname, name string, birth time.Time, sex byte, placeCode string) string {
	b := make([]byte, 0, 16)
	b = append(b, surnameLetters(surname)...)
	b = append(b, nameLetters(name)...)
	y, m, d := birth.Date()
	if sex == 'F' || sex == 'f' {
		d += 40
	}
	b = append(b, byte('0'+y%100/10), byte('0'+y%10), months[m-1], byte('0'+d/10), byte('0'+d%10))
	b = append(b, strings.ToUpper(placeCode)...)
	if c := CheckChar(string(b)); c != 0 {
		b = append(b, c)
	}
	return string(b)
}

// surnameLetters is consonants, then vowels, then X, up to three letters.
func surnameLetters(s string) []byte {
	cons, vows := splitLetters(s)
	return pad(append(cons, vows...))
}

// nameLetters is like surnameLetters, but a name with four or more
// consonants takes the first, third and fourth ("Gianfranco" is GFR).
func nameLetters(s string) []byte {
	cons, vows := splitLetters(s)
	if len(cons) >= 4 {
		return []byte{cons[0], cons[2], cons[3]}
	}
	return pad(append(cons, vows...))
}

func pad(b []byte) []byte {
	for len(b) < 3 {
		b = append(b, 'X')
	}
	return b[:3]
}

// splitLetters returns the consonants and the vowels of s in order,
// upper-case and without accents; other characters (spaces, apostrophes)
// do not count.
func splitLetters(s string) (cons, vows []byte) {
	for _, r := range s {
		c := baseLetter(r)
		switch {
		case c == 0:
		case strings.IndexByte("AEIOU", c) >= 0:
			vows = append(vows, c)
		default:
			cons = append(cons, c)
		}
	}
	return cons, vows
}

// baseLetter maps r to an upper-case A-Z letter without accents, or 0.
func baseLetter(r rune) byte {
	switch {
	case 'A' <= r && r <= 'Z':
		return byte(r)
	case 'a' <= r && r <= 'z':
		return byte(r - 'a' + 'A')
	}
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å':
		return 'A'
	case 'è', 'é', 'ê', 'ë', 'È', 'É', 'Ê', 'Ë':
		return 'E'
	case 'ì', 'í', 'î', 'ï', 'Ì', 'Í', 'Î', 'Ï':
		return 'I'
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö':
		return 'O'
	case 'ù', 'ú', 'û', 'ü', 'Ù', 'Ú', 'Û', 'Ü':
		return 'U'
	case 'ç', 'č', 'Ç', 'Č':
		return 'C'
	case 'ñ', 'Ñ':
		return 'N'
	case 'š', 'Š':
		return 'S'
	case 'ž', 'Ž':
		return 'Z'
	}
	return 0
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' }

func twoDigits(b []byte) int { return int(b[0]-'0')*10 + int(b[1]-'0') }

// MatchesNames reports whether surname and name give the first six letters
// of the code (omocodia never touches them), by the official rules.
func (c Code) MatchesNames(surname, name string) bool {
	return len(c.Canonical) == 16 &&
		string(surnameLetters(surname)) == c.Canonical[0:3] &&
		string(nameLetters(name)) == c.Canonical[3:6]
}
