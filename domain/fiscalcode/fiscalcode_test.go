package fiscalcode

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"esenzioni/domain/places"
)

// The expected codes below were computed by hand from the published rules
// (and cross-checked with a separate script), not with this package.

// now is the reference date of the tests: the operator manual's date.
var now = time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseValid(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		now       time.Time
		canonical string
		birth     time.Time
		sex       byte
		place     string
		placeName string
		omocode   bool
	}{
		{"Mario Rossi, Rome 1980", "RSSMRA80A01H501U", now, "RSSMRA80A01H501U", date(1980, 1, 1), 'M', "H501", "ROMA", false},
		{"trimmed and upper-cased", "  rssmra80a01h501u\t", now, "RSSMRA80A01H501U", date(1980, 1, 1), 'M', "H501", "ROMA", false},
		{"woman (day + 40)", "BNCMRA90C55L219Q", now, "BNCMRA90C55L219Q", date(1990, 3, 15), 'F', "L219", "TORINO", false},
		{"woman born on the 31st", "DLCLAX99T71L219R", now, "DLCLAX99T71L219R", date(1999, 12, 31), 'F', "L219", "TORINO", false},
		{"born abroad", "HXHRBN85L22Z100S", now, "HXHRBN85L22Z100S", date(1985, 7, 22), 'M', "Z100", "ALBANIA", false},
		{"born in a state that no longer exists", "VNVLGO75D70Z135V", now, "VNVLGO75D70Z135V", date(1975, 4, 30), 'F', "Z135", "UNIONE SOVIETICA", false},
		{"29 February of a leap year", "DNGNCL00B29F205H", now, "DNGNCL00B29F205H", date(2000, 2, 29), 'M', "F205", "MILANO", false},
		{"comune valid at birth, suppressed since", "BNCLCU17H01A211G", now, "BNCLCU17H01A211G", date(2017, 6, 1), 'M', "A211", "ALLUVIONI CAMBIÒ", false},
		{"comune re-established after a gap", "CSTGUO50E05C140L", now, "CSTGUO50E05C140L", date(1950, 5, 5), 'M', "C140", "CASTELLAR", false},
		{"omocodia: last digit", "RSSMRA80A01H50MM", now, "RSSMRA80A01H501U", date(1980, 1, 1), 'M', "H501", "ROMA", true},
		{"omocodia: two digits", "RSSMRA80A01H5LMX", now, "RSSMRA80A01H501U", date(1980, 1, 1), 'M', "H501", "ROMA", true},
		{"omocodia: every digit", "RSSMRAULALMHRLMD", now, "RSSMRA80A01H501U", date(1980, 1, 1), 'M', "H501", "ROMA", true},
		{"born today: this century", "REAGUO26C30H501L", now, "REAGUO26C30H501L", date(2026, 3, 30), 'M', "H501", "ROMA", false},
		{"tomorrow would be future: last century", "REAGUO26C31H501K", now, "REAGUO26C31H501K", date(1926, 3, 31), 'M', "H501", "ROMA", false},
		{"centenarian reads as a child", "MRTMTT25D09F205Z", now, "MRTMTT25D09F205Z", date(2025, 4, 9), 'M', "F205", "MILANO", false},
		{"same code seen in 2020", "MRTMTT25D09F205Z", date(2020, 1, 1), "MRTMTT25D09F205Z", date(1925, 4, 9), 'M', "F205", "MILANO", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseAt(tt.in, places.Default(), tt.now)
			if err != nil {
				t.Fatalf("ParseAt(%q) error: %v", tt.in, err)
			}
			if c.Normalized != strings.ToUpper(strings.TrimSpace(tt.in)) || c.Canonical != tt.canonical ||
				!c.BirthDate.Equal(tt.birth) || c.Sex != tt.sex || c.PlaceCode != tt.place ||
				c.Place.Name != tt.placeName || c.Omocode != tt.omocode {
				t.Errorf("ParseAt(%q) = %+v\nwant canonical %s, birth %s, sex %c, place %s %s, omocode %v",
					tt.in, c, tt.canonical, tt.birth.Format(time.DateOnly), tt.sex, tt.place, tt.placeName, tt.omocode)
			}
			if c.BirthDate.Location() != time.UTC || c.BirthDate.Hour() != 0 {
				t.Errorf("BirthDate = %v, want midnight UTC", c.BirthDate)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		now      time.Time
		code     string
		msg      string // part of the Italian message
	}{
		{"empty", "", now, CodeLength, "deve essere di 16 caratteri, ne ha 0"},
		{"15 characters", "RSSMRA80A01H501", now, CodeLength, "ne ha 15"},
		{"17 characters", "RSSMRA80A01H501UX", now, CodeLength, "ne ha 17"},
		{"inner space", "RSSMRA80A01 H501U", now, CodeLength, "ne ha 17"},
		{"accented letter", "RSSMRA80A01H501À", now, CodeFormat, "il carattere 'À' in posizione 16 deve essere una lettera"},
		{"digit in the surname", "R5SMRA80A01H501U", now, CodeFormat, "posizione 2 deve essere una lettera"},
		{"letter in the year", "RSSMRA8XA01H501U", now, CodeFormat, "posizione 8 deve essere una cifra"},
		{"not a month letter", "RSSMRA80F01H501U", now, CodeFormat, "posizione 9 deve essere la lettera del mese (ABCDEHLMPRST)"},
		{"non-omocodia letter in the day", "RSSMRA80A0AH501U", now, CodeFormat, "posizione 11"},
		{"O is not an omocodia letter", "RSSMRA80A01H5O1U", now, CodeFormat, "posizione 14"},
		{"digit as place letter", "RSSMRA80A011501U", now, CodeFormat, "posizione 12"},
		{"digit as check character", "RSSMRA80A01H5012", now, CodeFormat, "posizione 16"},
		{"wrong check character", "RSSMRA80A01H501A", now, CodeCheckChar, "carattere di controllo errato"},
		{"omocode with the base check character", "RSSMRA80A01H50MU", now, CodeCheckChar, "carattere di controllo errato"},
		{"day 00", "RSSMRA80A00H501V", now, CodeBirthDate, "giorno di nascita 00 non valido"},
		{"day 32", "RSSMRA80A32H501C", now, CodeBirthDate, "giorno di nascita 32 non valido"},
		{"day 40", "RSSMRA80A40H501Z", now, CodeBirthDate, "giorno di nascita 40 non valido"},
		{"day 72", "RSSMRA80A72H501G", now, CodeBirthDate, "giorno di nascita 72 non valido"},
		{"30 February", "RSSMRA80B30H501X", now, CodeBirthDate, "la data di nascita 30/02/1980 non esiste"},
		{"29 February of a common year", "RSSMRA81B29H501R", now, CodeBirthDate, "29/02/1981 non esiste"},
		{"31 April", "RSSMRA80D31H501D", now, CodeBirthDate, "31/04/1980 non esiste"},
		{"31 April, woman", "RSSMRA80D71H501H", now, CodeBirthDate, "31/04/1980 non esiste"},
		{"29 February 1900 (2000 still future)", "DNGNCL00B29F205H", date(1999, 6, 1), CodeBirthDate, "29/02/1900 non esiste"},
		{"unknown state", "RSSMRA80A01Z999Y", now, CodePlace, "Z999 non corrisponde a un comune o a uno stato estero esistente il 01/01/1980"},
		{"unknown comune", "RSSMRA80A01A000C", now, CodePlace, "A000"},
		{"comune suppressed before the birth date", "BNCLCU18B01A211Q", now, CodePlace, "A211"},
		{"comune not existing at the birth date (gap)", "CSTGUO35E05C140K", now, CodePlace, "C140"},
		{"state suppressed before the birth date", "VNVLGO95D70Z135Z", now, CodePlace, "Z135"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseAt(tt.in, nil, tt.now)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseAt(%q) = %+v, %v; want *Error %s", tt.in, c, err, tt.code)
			}
			if e.Code != tt.code || !strings.HasPrefix(e.Message, "Codice fiscale non valido: ") || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("ParseAt(%q) error = {%s %q}, want {%s ...%q...}", tt.in, e.Code, e.Message, tt.code, tt.msg)
			}
			if err.Error() != e.Message {
				t.Errorf("Error() = %q, want the message", err.Error())
			}
		})
	}
}

// TestOmocodiaEverySubset replaces every subset of the seven numeric
// positions: all 127 omocodes of a code lead back to it.
func TestOmocodiaEverySubset(t *testing.T) {
	const base = "RSSMRA80A01H501U"
	for mask := range 1 << len(numericPos) {
		b := []byte(base)
		for bit, i := range numericPos {
			if mask&(1<<bit) != 0 {
				b[i] = omocodeLetters[b[i]-'0']
			}
		}
		b[15] = CheckChar(string(b[:15]))
		c, err := ParseAt(string(b), nil, now)
		if err != nil {
			t.Fatalf("ParseAt(%s) error: %v", b, err)
		}
		if c.Canonical != base || c.Omocode != (mask != 0) || c.Normalized != string(b) || c.PlaceCode != "H501" || !c.BirthDate.Equal(date(1980, 1, 1)) {
			t.Errorf("ParseAt(%s) = %+v", b, c)
		}
	}
}

func TestCheckChar(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"RSSMRA80A01H501", 'U'},
		{"MRTMTT25D09F205", 'Z'}, // the example of the Italian Wikipedia article
		{"BNCMRA90C55L219", 'Q'},
		{"RSSMRAULALMHRLM", 'D'},
		{"RSSMRA80A01H50", 0},   // too short
		{"RSSMRA80A01H501U", 0}, // too long
		{"rssmra80a01h501", 0},  // lower case is not normalised here
		{"RSSMRA80A01H50-", 0},
	}
	for _, tt := range tests {
		if got := CheckChar(tt.in); got != tt.want {
			t.Errorf("CheckChar(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		surname, name string
		birth         time.Time
		sex           byte
		place         string
		want          string
	}{
		{"Rossi", "Mario", date(1980, 1, 1), 'M', "H501", "RSSMRA80A01H501U"},
		{"Bianchi", "Maria", date(1990, 3, 15), 'F', "L219", "BNCMRA90C55L219Q"},
		{"BIANCHI", "maria", date(1990, 3, 15), 'f', "l219", "BNCMRA90C55L219Q"},
		{"Hoxha", "Arben", date(1985, 7, 22), 'M', "Z100", "HXHRBN85L22Z100S"},
		// Short surname padded with X; name with four consonants: 1st, 3rd, 4th.
		{"Fo", "Gianfranco", date(1926, 3, 24), 'M', "F205", "FOXGFR26C24F205I"},
		// Apostrophe and accent; three consonants only.
		{"D'Angelo", "Nicolò", date(2000, 2, 29), 'M', "F205", "DNGNCL00B29F205H"},
		// Space in the surname; two-letter name padded.
		{"De Luca", "Al", date(1999, 12, 31), 'F', "L219", "DLCLAX99T71L219R"},
		// Vowels after consonants in both parts.
		{"Rea", "Ugo", date(2026, 3, 30), 'M', "H501", "REAGUO26C30H501L"},
		// A double name counts as one: P R M R has four consonants.
		{"Piero", "Pier Maria", date(1960, 10, 10), 'M', "L219", "PRIPMR60R10L219W"},
		// The calendar date in the caller's location.
		{"Rossi", "Mario", time.Date(1980, 1, 1, 23, 30, 0, 0, time.FixedZone("CET", 3600)), 'M', "H501", "RSSMRA80A01H501U"},
	}
	for _, tt := range tests {
		if got := Generate(tt.surname, tt.name, tt.birth, tt.sex, tt.place); got != tt.want {
			t.Errorf("Generate(%q, %q, %s, %c, %q) = %s, want %s", tt.surname, tt.name, tt.birth.Format(time.DateOnly), tt.sex, tt.place, got, tt.want)
		}
	}
}

// TestGenerateParseRoundTrip generates codes for people born in Piemonte
// comuni and abroad, and parses them back.
func TestGenerateParseRoundTrip(t *testing.T) {
	reg := places.Default()
	var comuni []places.Place
	for _, prov := range []string{"TO", "CN", "AL", "AT", "BI", "NO", "VB", "VC"} {
		comuni = append(comuni, reg.Comuni(prov)...)
	}
	surnames := []string{"Rossi", "Ferrero", "Bo", "Oia", "D'Alò", "Dell'Acqua", "Re", "Xu", "Giordano Lanza"}
	names := []string{"Mario", "Giovanna", "Ugo", "Ida", "Francesco", "Maria Luisa", "Jo", "Élodie", "Giancarlo"}
	for _, code := range []string{"Z100", "Z110", "Z112", "Z129", "Z330", "Z210", "Z600"} {
		p, ok := reg.Lookup(code, now)
		if !ok {
			t.Fatalf("foreign state %s not found", code)
		}
		comuni = append(comuni, p)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	first := date(1930, 1, 1) // within 100 years of now: the century is unambiguous
	days := int(now.Sub(first).Hours() / 24)
	n := 0
	for range 3000 {
		place := comuni[rng.IntN(len(comuni))]
		birth := first.AddDate(0, 0, rng.IntN(days))
		if _, ok := reg.Lookup(place.Code, birth); !ok {
			continue // comune founded after birth
		}
		n++
		sex := "MF"[rng.IntN(2)]
		s := Generate(surnames[rng.IntN(len(surnames))], names[rng.IntN(len(names))], birth, sex, place.Code)
		c, err := ParseAt(s, reg, now)
		if err != nil {
			t.Fatalf("ParseAt(Generate(...) = %s) error: %v", s, err)
		}
		if c.Canonical != s || c.Omocode || c.Sex != sex || !c.BirthDate.Equal(birth) || c.PlaceCode != place.Code {
			t.Fatalf("ParseAt(%s) = %+v, want born %s, sex %c, in %s", s, c, birth.Format(time.DateOnly), sex, place.Code)
		}
	}
	if n < 2000 {
		t.Errorf("only %d of 3000 generated people had a valid place of birth", n)
	}
}

func TestParseUsesNow(t *testing.T) {
	// Parse reads the clock: a code of someone born in 1980 parses as 1980
	// for the next 54 years.
	c, err := Parse("RSSMRA80A01H501U", nil)
	if err != nil || !c.BirthDate.Equal(date(1980, 1, 1)) {
		t.Fatalf("Parse = %+v, %v", c, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"RSSMRA80A01H501U", "RSSMRA80A01H50MM", "RSSMRAULALMHRLMD", "BNCMRA90C55L219Q",
		"HXHRBN85L22Z100S", "VNVLGO75D70Z135V", "DNGNCL00B29F205H", "RSSMRA80B30H501X",
		"RSSMRA80A01Z999Y", "rssmra80a01h501u ", "", "RSSMRA80A01H501À", "\x00\xff",
	} {
		f.Add(s)
	}
	reg := places.Default()
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseAt(s, reg, now)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || !strings.HasPrefix(e.Message, "Codice fiscale non valido: ") {
				t.Fatalf("ParseAt(%q) error %#v is not a complete *Error", s, err)
			}
			return
		}
		if len(c.Normalized) != 16 || CheckChar(c.Normalized[:15]) != c.Normalized[15] {
			t.Fatalf("ParseAt(%q) accepted %q with a wrong check character", s, c.Normalized)
		}
		if CheckChar(c.Canonical[:15]) != c.Canonical[15] {
			t.Fatalf("ParseAt(%q): canonical %q has a wrong check character", s, c.Canonical)
		}
		canon, err := ParseAt(c.Canonical, reg, now)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", c.Canonical, s, err)
		}
		if canon.Canonical != c.Canonical || canon.Normalized != c.Canonical || canon.Omocode ||
			!canon.BirthDate.Equal(c.BirthDate) || canon.Sex != c.Sex || canon.PlaceCode != c.PlaceCode {
			t.Fatalf("canonical %+v differs from %+v", canon, c)
		}
		if c.Omocode == (c.Normalized == c.Canonical) {
			t.Fatalf("Omocode = %v for %q (canonical %q)", c.Omocode, c.Normalized, c.Canonical)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	reg := places.Default()
	for b.Loop() {
		if _, err := ParseAt("RSSMRA80A01H50MM", reg, now); err != nil {
			b.Fatal(err)
		}
	}
}
