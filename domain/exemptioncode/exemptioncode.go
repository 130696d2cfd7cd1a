// Package exemptioncode validates the codes of the exemptions from the
// co-payment (esenzioni dal ticket) by family and format, following the
// national table of exemption codes ("tabellario delle esenzioni", adopted
// by every Region since April 2014), plus the codes a Region adds.
//
// It checks formats and the sub-code ranges the table fixes. Whether a
// well-formed rare-disease code (R + 5 characters) names an actual disease
// is for the catalogue to say: the table only gives the pattern.
package exemptioncode

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Category groups families for filters and reports. The values are stable
// (they are stored and exchanged).
type Category string

// Categories.
const (
	CategoryChronic        Category = "MC"  // chronic and disabling diseases (DM 329/1999)
	CategoryRare           Category = "MR"  // rare diseases (DM 279/2001), suspected ones included
	CategoryInvalidity     Category = "INV" // personal status: invalidity of war, work, service, civil; L. 210/1992; victims of terrorism and crime
	CategoryMaternity      Category = "MAT" // pregnancy
	CategoryEarlyDiagnosis Category = "DIA" // screening and early diagnosis of cancer
	CategoryOther          Category = "ALT" // exempt by purpose: donation, HIV, prevention, prisoners, fitness certificates, SASN, foreigners, pain therapy
	CategoryRegional       Category = "REG" // codes added by the Region, of no national family
)

// Level says who defines a code.
type Level string

// Levels.
const (
	LevelNational Level = "NAZIONALE"
	LevelRegional Level = "REGIONALE"
)

// Family is a family of the national table: Key is its code prefix ("0",
// "R", "G", "PML", ...; "R99" for suspected rare diseases), Name its
// Italian name.
type Family struct {
	Key      string
	Name     string
	Category Category
}

// Code is a valid exemption code.
type Code struct {
	Value  string // upper case, without spaces: "0A02", "RCG040", "M12"
	Family Family
	Level  Level
}

// String returns the code (Value).
func (c Code) String() string { return c.Value }

// Machine codes of Error, stable for API clients and translations.
const (
	CodeFormat        = "exemption_code.format"         // not the shape of any code, or not the shape its family prescribes
	CodeUnknownFamily = "exemption_code.unknown_family" // no national family nor configured regional code
	CodeUnknownCode   = "exemption_code.unknown_code"   // the family's shape, but a sub-code the table does not have (000, M42, G03)
)

// Error is a rejected exemption code: Code is one of the Code* constants,
// Message explains it to the user in Italian.
type Error struct {
	Code    string
	Message string
}

// Error returns the Italian message.
func (e *Error) Error() string { return e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: "Codice esenzione non valido: " + fmt.Sprintf(format, args...)}
}

// maxChronic is the last chronic-disease code of DPCM 12/01/2017 all. 8
// (067, connettiviti indifferenziate). A new national code needs a release;
// until then a Region can configure it as a regional code.
const maxChronic = 67

// chronicFourChar are the circulatory and hypertension codes, written with
// four characters (nota 1 of the table).
var chronicFourChar = map[string]bool{"0A02": true, "0B02": true, "0C02": true, "0A31": true, "0031": true}

// family is a Family with the sub-codes it admits, for families written as
// a letter and two digits.
type family struct {
	Family
	subs []span // empty: not a letter-and-two-digits family
}

type span struct{ lo, hi int }

// families is the national table, in its order.
var families = []family{
	{Family: Family{"0", "Malattie croniche", CategoryChronic}},
	{Family: Family{"R", "Malattie rare", CategoryRare}},
	{Family: Family{"R99", "Sospetto diagnostico di malattia rara", CategoryRare}},
	{Family{"G", "Invalidi di guerra", CategoryInvalidity}, []span{{1, 2}}},
	{Family{"L", "Invalidi del lavoro", CategoryInvalidity}, []span{{1, 4}}},
	{Family{"S", "Invalidi per servizio", CategoryInvalidity}, []span{{1, 4}}},
	{Family{"C", "Invalidi civili", CategoryInvalidity}, []span{{1, 7}}},
	{Family{"N", "Danneggiati da vaccinazioni, trasfusioni ed emoderivati (L. 210/1992)", CategoryInvalidity}, []span{{1, 1}}},
	{Family{"V", "Vittime del terrorismo, della criminalità organizzata e del dovere", CategoryInvalidity}, []span{{1, 2}}},
	// 00 preconception, 01-41 week of pregnancy, 50 at risk, 52 flight
	// crew, 99 week unknown to the prescriber.
	{Family{"M", "Maternità", CategoryMaternity}, []span{{0, 41}, {50, 50}, {52, 52}, {99, 99}}},
	{Family{"D", "Diagnosi precoce", CategoryEarlyDiagnosis}, []span{{1, 6}}},
	{Family{"T", "Donazione", CategoryOther}, []span{{1, 1}}},
	{Family{"B", "Soggetti a rischio di infezione HIV", CategoryOther}, []span{{1, 1}}},
	{Family{"P", "Prevenzione", CategoryOther}, []span{{1, 3}}},
	{Family{"F", "Detenuti ed internati", CategoryOther}, []span{{1, 1}}},
	{Family{"I", "Idoneità", CategoryOther}, []span{{1, 1}}},
	{Family: Family{"PML", "Prestazioni medico legali ai naviganti (SASN)", CategoryOther}},
	{Family{"X", "Stranieri extracomunitari non in regola con il soggiorno", CategoryOther}, []span{{1, 1}}},
	{Family: Family{"TDL", "Terapia del dolore severo", CategoryOther}},
}

var regionalFamily = Family{Key: "REG", Name: "Esenzioni regionali", Category: CategoryRegional}

func familyByKey(key string) *family {
	for i := range families {
		if families[i].Key == key {
			return &families[i]
		}
	}
	return nil
}

// Families returns the families of the national table, in its order.
func Families() []Family {
	out := make([]Family, len(families))
	for i, f := range families {
		out[i] = f.Family
	}
	return out
}

// RegionalFamily is the family of every code accepted as regional.
func RegionalFamily() Family { return regionalFamily }

// Validator parses exemption codes. The zero value knows the national codes
// only; it is safe for concurrent use.
type Validator struct {
	regional map[string]bool
}

// New returns a Validator that also accepts the given regional codes
// (e.g. "93A"), normalised like the input of Parse. A regional code that is
// also a valid national code stays national.
func New(regional ...string) *Validator {
	v := &Validator{regional: make(map[string]bool, len(regional))}
	for _, r := range regional {
		if r = clean(r); r != "" {
			v.regional[r] = true
		}
	}
	return v
}

// Parse validates code, ignoring case and spaces ("tdl 01" is TDL01).
// Codes in the HL7 draft notation (002A, 031A, ...) are refused with the
// national code to use; Normalize converts them.
func (v *Validator) Parse(code string) (Code, error) {
	s := clean(code)
	c, err := parseNational(s)
	if err == nil {
		return c, nil
	}
	if v.regional[s] {
		return Code{Value: s, Family: regionalFamily, Level: LevelRegional}, nil
	}
	if n := Normalize(s); n != s {
		if _, nerr := parseNational(n); nerr == nil {
			return Code{}, errorf(CodeFormat, "%s non è nel formato nazionale, il codice corrispondente è %s", s, n)
		}
	}
	return Code{}, err
}

// draftNotation maps codes written as in the HL7 Italia draft list
// (data/catalog/esenzioni_hl7it_bozza_commentata.csv) and other known
// variants to the national table.
var draftNotation = map[string]string{
	// The draft appends the sub-group letter to chronic code 002 (circulatory
	// diseases); nota 1 of the table puts it first and the code is 4 characters.
	"002A": "0A02", // malattie cardiache e del circolo polmonare
	"002B": "0B02", // malattie cerebrovascolari
	"002C": "0C02", // malattie delle arterie, arteriole, capillari, vene e vasi linfatici
	// Same for hypertension: the draft's 031A is "senza danno d'organo".
	"031A": "0A31",
	// The draft's 031 is "con danno d'organo", which nota 1 codes 0031; a
	// bare 031 is not a code of the table.
	"031": "0031",
	// Nota 1 as published spells 0A31 with a lower-case L ("0A3l"); text
	// copied from it must still match.
	"0A3L": "0A31",
	// Nota 7 calls the pain-therapy code "TDL"; its only sub-code is 01.
	"TDL": "TDL01",
}

// Normalize upper-cases code, removes spaces and rewrites the notations of
// the HL7 draft list to the national ones: 002A→0A02, 002B→0B02,
// 002C→0C02, 031A→0A31, 031→0031 (and 0A3L→0A31, TDL→TDL01). It does not
// validate: pass the result to Parse.
func Normalize(code string) string {
	s := clean(code)
	if n, ok := draftNotation[s]; ok {
		return n
	}
	return s
}

// clean removes every space and upper-cases.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

func parseNational(s string) (Code, error) {
	switch {
	case s == "":
		return Code{}, errorf(CodeFormat, "il codice è vuoto")
	case !isAlnum(s):
		return Code{}, errorf(CodeFormat, "%q contiene caratteri diversi da lettere e cifre", s)
	case s[0] == '0':
		return parseChronic(s)
	case s == "R99":
		return national(s, "R99"), nil
	case s[0] == 'R':
		return parseRare(s)
	case s == "PML":
		return national(s, "PML"), nil
	case strings.HasPrefix(s, "PML"):
		return Code{}, errorf(CodeFormat, "%s: il codice PML non ha sotto-codice", s)
	case strings.HasPrefix(s, "TDL"):
		switch {
		case s == "TDL01":
			return national(s, "TDL"), nil
		case len(s) == 5 && isDigits(s[3:]):
			return Code{}, errorf(CodeUnknownCode, "%s non è tra i codici della famiglia %q (TDL01)", s, familyByKey("TDL").Name)
		}
		return Code{}, errorf(CodeFormat, "%s: la terapia del dolore severo ha codice TDL01", s)
	}
	f := familyByKey(s[:1])
	if f == nil || len(f.subs) == 0 {
		return Code{}, errorf(CodeUnknownFamily, "%s non appartiene a nessuna famiglia di esenzioni nazionali né ai codici regionali", s)
	}
	if len(s) != 3 || !isDigits(s[1:]) {
		return Code{}, errorf(CodeFormat, "%s: i codici della famiglia %q sono %s seguito da due cifre (%s)", s, f.Name, f.Key, f.rangeText())
	}
	n, _ := strconv.Atoi(s[1:])
	for _, sp := range f.subs {
		if sp.lo <= n && n <= sp.hi {
			return national(s, f.Key), nil
		}
	}
	return Code{}, errorf(CodeUnknownCode, "%s non è tra i codici della famiglia %q (%s)", s, f.Name, f.rangeText())
}

func parseChronic(s string) (Code, error) {
	switch {
	case chronicFourChar[s]:
		return national(s, "0"), nil
	case len(s) != 3 || !isDigits(s):
		return Code{}, errorf(CodeFormat, "%s: le malattie croniche hanno codice 0NN (001-%03d) o, per le affezioni del sistema circolatorio e l'ipertensione, 0A02, 0B02, 0C02, 0A31, 0031", s, maxChronic)
	}
	switch n, _ := strconv.Atoi(s); {
	case n == 2:
		return Code{}, errorf(CodeFormat, "%s: le affezioni del sistema circolatorio hanno codice 0A02 (cardiache), 0B02 (cerebrovascolari) o 0C02 (arterie e vene)", s)
	case n == 31:
		return Code{}, errorf(CodeFormat, "%s: l'ipertensione arteriosa ha codice 0A31 (senza danno d'organo) o 0031 (con danno d'organo)", s)
	case n < 1 || n > maxChronic:
		return Code{}, errorf(CodeUnknownCode, "%s non è tra i codici delle malattie croniche (001-%03d)", s, maxChronic)
	}
	return national(s, "0"), nil
}

// parseRare accepts R, a group letter A-Q, a letter or digit, three digits:
// DM 279/2001 codes (RF0100) and DPCM 2017 group codes (RCG040) alike.
func parseRare(s string) (Code, error) {
	if len(s) != 6 || s[1] < 'A' || s[1] > 'Q' || !isDigits(s[3:]) {
		return Code{}, errorf(CodeFormat, "%s: le malattie rare hanno codice R, una lettera tra A e Q, una lettera o cifra e tre cifre (es. RCG040, RF0100), oppure R99 per il sospetto diagnostico", s)
	}
	return national(s, "R"), nil
}

func national(s, key string) Code {
	return Code{Value: s, Family: familyByKey(key).Family, Level: LevelNational}
}

// rangeText describes the sub-codes, e.g. "M00-M41, M50, M52, M99".
func (f *family) rangeText() string {
	parts := make([]string, len(f.subs))
	for i, sp := range f.subs {
		parts[i] = fmt.Sprintf("%s%02d", f.Key, sp.lo)
		if sp.hi != sp.lo {
			parts[i] += fmt.Sprintf("-%s%02d", f.Key, sp.hi)
		}
	}
	return strings.Join(parts, ", ")
}

func isAlnum(s string) bool {
	for i := range len(s) {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
