package exemptioncode

import (
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"esenzioni/domain/refdata"
)

func TestParseValid(t *testing.T) {
	v := New("93a", " d01 b", "G01")
	tests := []struct {
		in, value, family string
		level             Level
	}{
		// Chronic: 0NN and the five four-character codes of nota 1.
		{"001", "001", "0", LevelNational},
		{"054", "054", "0", LevelNational},
		{"067", "067", "0", LevelNational},
		{"0A02", "0A02", "0", LevelNational},
		{"0B02", "0B02", "0", LevelNational},
		{"0C02", "0C02", "0", LevelNational},
		{"0A31", "0A31", "0", LevelNational},
		{"0031", "0031", "0", LevelNational},
		{" 0a02\t", "0A02", "0", LevelNational},
		// Rare: DPCM 2017 group codes and DM 279/2001 codes, groups A to Q.
		{"RCG077", "RCG077", "R", LevelNational},
		{"rcg040", "RCG040", "R", LevelNational},
		{"RF0100", "RF0100", "R", LevelNational},
		{"RA0010", "RA0010", "R", LevelNational},
		{"RQ0010", "RQ0010", "R", LevelNational},
		{"R99", "R99", "R99", LevelNational},
		{"r 99", "R99", "R99", LevelNational},
		// Letter and two digits.
		{"G01", "G01", "G", LevelNational},
		{"G02", "G02", "G", LevelNational},
		{"L01", "L01", "L", LevelNational},
		{"L04", "L04", "L", LevelNational},
		{"S01", "S01", "S", LevelNational},
		{"S04", "S04", "S", LevelNational},
		{"C01", "C01", "C", LevelNational},
		{"C07", "C07", "C", LevelNational},
		{"N01", "N01", "N", LevelNational},
		{"V01", "V01", "V", LevelNational},
		{"V02", "V02", "V", LevelNational},
		{"M00", "M00", "M", LevelNational},
		{"M01", "M01", "M", LevelNational},
		{"M41", "M41", "M", LevelNational},
		{"M50", "M50", "M", LevelNational},
		{"M52", "M52", "M", LevelNational},
		{"M99", "M99", "M", LevelNational},
		{"D01", "D01", "D", LevelNational},
		{"D06", "D06", "D", LevelNational},
		{"T01", "T01", "T", LevelNational},
		{"B01", "B01", "B", LevelNational},
		{"P01", "P01", "P", LevelNational},
		{"P03", "P03", "P", LevelNational},
		{"F01", "F01", "F", LevelNational},
		{"I01", "I01", "I", LevelNational},
		{"X01", "X01", "X", LevelNational},
		// Three letters.
		{"PML", "PML", "PML", LevelNational},
		{"pml", "PML", "PML", LevelNational},
		{"TDL01", "TDL01", "TDL", LevelNational},
		{"tdl 01", "TDL01", "TDL", LevelNational},
		// Regional codes, normalised like the input.
		{"93A", "93A", "REG", LevelRegional},
		{" 93 a ", "93A", "REG", LevelRegional},
		{"D01B", "D01B", "REG", LevelRegional},
		// A national code configured as regional stays national.
		{"G01", "G01", "G", LevelNational},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		c, err := v.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tt.in, err)
			continue
		}
		if c.Value != tt.value || c.Family.Key != tt.family || c.Level != tt.level || c.Family.Name == "" || c.Family.Category == "" {
			t.Errorf("Parse(%q) = %+v, want %s of family %s, %s", tt.in, c, tt.value, tt.family, tt.level)
		}
		seen[c.Family.Key] = true
	}
	for _, f := range Families() {
		if !seen[f.Key] {
			t.Errorf("family %s (%s) has no valid code in the table", f.Key, f.Name)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	v := New("93A")
	tests := []struct {
		in, code, msg string
	}{
		{"", CodeFormat, "il codice è vuoto"},
		{"  ", CodeFormat, "il codice è vuoto"},
		{"0A-02", CodeFormat, "caratteri diversi da lettere e cifre"},
		{"0À02", CodeFormat, "caratteri diversi da lettere e cifre"},
		// Chronic.
		{"000", CodeUnknownCode, "000 non è tra i codici delle malattie croniche (001-067)"},
		{"068", CodeUnknownCode, "(001-067)"},
		{"099", CodeUnknownCode, "(001-067)"},
		{"002", CodeFormat, "0A02 (cardiache), 0B02 (cerebrovascolari) o 0C02"},
		{"031", CodeFormat, "031 non è nel formato nazionale, il codice corrispondente è 0031"},
		{"0A03", CodeFormat, "le malattie croniche hanno codice 0NN"},
		{"0D02", CodeFormat, "0NN"},
		{"0012", CodeFormat, "0NN"},
		{"01", CodeFormat, "0NN"},
		{"0", CodeFormat, "0NN"},
		// Rare.
		{"RA99", CodeFormat, "R99 per il sospetto diagnostico"},
		{"R9", CodeFormat, "le malattie rare"},
		{"R999", CodeFormat, "le malattie rare"},
		{"R", CodeFormat, "le malattie rare"},
		{"RR0010", CodeFormat, "una lettera tra A e Q"}, // groups end at Q
		{"RZG001", CodeFormat, "una lettera tra A e Q"},
		{"R1G001", CodeFormat, "una lettera tra A e Q"},
		{"RCG07", CodeFormat, "le malattie rare"},
		{"RCG0777", CodeFormat, "le malattie rare"},
		{"RCGA77", CodeFormat, "le malattie rare"},
		// Letter and two digits: sub-codes outside the table.
		{"M42", CodeUnknownCode, `M42 non è tra i codici della famiglia "Maternità" (M00-M41, M50, M52, M99)`},
		{"M49", CodeUnknownCode, "M00-M41, M50, M52, M99"},
		{"M51", CodeUnknownCode, "M00-M41, M50, M52, M99"},
		{"M98", CodeUnknownCode, "M00-M41, M50, M52, M99"},
		{"G00", CodeUnknownCode, "(G01-G02)"},
		{"G03", CodeUnknownCode, "(G01-G02)"},
		{"L05", CodeUnknownCode, "(L01-L04)"},
		{"S05", CodeUnknownCode, "(S01-S04)"},
		{"C08", CodeUnknownCode, "(C01-C07)"},
		{"N02", CodeUnknownCode, "(N01)"},
		{"V03", CodeUnknownCode, "(V01-V02)"},
		{"D00", CodeUnknownCode, "(D01-D06)"},
		{"D07", CodeUnknownCode, "(D01-D06)"},
		{"T02", CodeUnknownCode, "(T01)"},
		{"B02", CodeUnknownCode, "(B01)"},
		{"P04", CodeUnknownCode, "(P01-P03)"},
		{"F02", CodeUnknownCode, "(F01)"},
		{"I02", CodeUnknownCode, "(I01)"},
		{"X02", CodeUnknownCode, "(X01)"},
		// Letter and two digits: wrong shape.
		{"M1", CodeFormat, `i codici della famiglia "Maternità" sono M seguito da due cifre`},
		{"M100", CodeFormat, "M seguito da due cifre"},
		{"GA1", CodeFormat, "G seguito da due cifre"},
		{"G", CodeFormat, "G seguito da due cifre"},
		{"D01B", CodeFormat, "D seguito da due cifre"}, // regional only where configured
		{"PX1", CodeFormat, "P seguito da due cifre"},
		// Three letters.
		{"PML01", CodeFormat, "il codice PML non ha sotto-codice"},
		{"TDL", CodeFormat, "TDL non è nel formato nazionale, il codice corrispondente è TDL01"},
		{"TDL02", CodeUnknownCode, "(TDL01)"},
		{"TDL1", CodeFormat, "TDL01"},
		// No family.
		{"E01", CodeUnknownFamily, "E01 non appartiene a nessuna famiglia"},
		{"A02", CodeUnknownFamily, "A02"},
		{"123", CodeUnknownFamily, "123"},
		{"93B", CodeUnknownFamily, "93B"},
		// Draft notation: the message gives the national code.
		{"002A", CodeFormat, "002A non è nel formato nazionale, il codice corrispondente è 0A02"},
		{"002b", CodeFormat, "il codice corrispondente è 0B02"},
		{"002C", CodeFormat, "il codice corrispondente è 0C02"},
		{"031A", CodeFormat, "il codice corrispondente è 0A31"},
		{"0A3l", CodeFormat, "il codice corrispondente è 0A31"},
	}
	for _, tt := range tests {
		c, err := v.Parse(tt.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %+v, %v; want *Error %s", tt.in, c, err, tt.code)
			continue
		}
		if e.Code != tt.code || !strings.HasPrefix(e.Message, "Codice esenzione non valido: ") || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("Parse(%q) error = {%s %q}, want {%s ...%q...}", tt.in, e.Code, e.Message, tt.code, tt.msg)
		}
	}
}

func TestZeroValidator(t *testing.T) {
	var v Validator
	if c, err := v.Parse("048"); err != nil || c.Level != LevelNational {
		t.Errorf("zero Validator: Parse(048) = %+v, %v", c, err)
	}
	if _, err := v.Parse("93A"); err == nil {
		t.Error("zero Validator accepted regional code 93A")
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"002A", "0A02"},
		{"002B", "0B02"},
		{"002C", "0C02"},
		{"031A", "0A31"},
		{"031", "0031"},
		{"031a", "0A31"},
		{"0A3l", "0A31"},
		{"TDL", "TDL01"},
		{" 002 a ", "0A02"},
		// Everything else is only cleaned.
		{"rcg 040", "RCG040"},
		{"002", "002"},
		{"0A02", "0A02"},
		{"031.401", "031.401"}, // a draft sub-code row: not an exemption code
		{"", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFamilies(t *testing.T) {
	fams := Families()
	if len(fams) != 19 {
		t.Errorf("%d families, want the 19 of the national table", len(fams))
	}
	keys := map[string]bool{}
	valid := map[Category]bool{CategoryChronic: true, CategoryRare: true, CategoryInvalidity: true,
		CategoryMaternity: true, CategoryEarlyDiagnosis: true, CategoryOther: true}
	for _, f := range fams {
		if keys[f.Key] || f.Name == "" || !valid[f.Category] {
			t.Errorf("bad or duplicate family %+v", f)
		}
		keys[f.Key] = true
	}
	if fams[0] != (Family{"0", "Malattie croniche", CategoryChronic}) || fams[1] != (Family{"R", "Malattie rare", CategoryRare}) {
		t.Errorf("Families() starts with %+v, %+v", fams[0], fams[1])
	}
	fams[0].Name = "changed"
	if Families()[0].Name != "Malattie croniche" {
		t.Error("Families() shares its slice with the package")
	}
	if RegionalFamily().Category != CategoryRegional || keys[RegionalFamily().Key] {
		t.Errorf("RegionalFamily() = %+v", RegionalFamily())
	}
}

// outOfScope lists the top-level codes of the catalogue files that are not
// national exemption codes "per patologia", with the reason. The catalogue
// import skips them (or a Region configures them as regional codes).
var outOfScope = map[string]string{}

func init() {
	add := func(reason string, codes ...string) {
		for _, c := range codes {
			outOfScope[c] = reason
		}
	}
	add("group header in the draft: a circulatory exemption is always 0A02, 0B02 or 0C02 (nota 1); the draft's sub-rows of 002 must be assigned to one of them", "002")
	add("income and social-pension exemptions (reddito): not esenzioni per patologia, and not in the national table of seed 003", "E01", "E02", "E03", "E04")
	add("not in the national table (transplant patients are chronic code 052); a Region that uses it configures it as regional", "E52")
	add("regional sub-codes of D01 (colorectal screening by family-history class), not in the national table", "D01B", "D01C")
	add("legacy pathology list, not in the national table; the draft's P01-P03 come from the same list and parse only because the table reuses P01-P03 for Prevenzione, so their draft descriptions must not be imported",
		"P04", "P05", "P06", "P07", "P08", "P09", "P10", "P11", "P12", "P13", "P14", "P15", "P16", "P18", "P19",
		"P20", "P21", "P22", "P23", "P24", "P25", "P26", "P27", "P28", "P29", "P30", "P31", "P32", "P33", "P34",
		"P35", "P36", "P37", "P39", "P40", "P41", "P42", "P43", "P44", "P45", "P46", "P47", "P48", "P49",
		"PX1", "PX2", "PX3", "PX4", "PX5", "PX6", "PX8")
	add("legacy invalidity codes, replaced by G, L, S01-S04 and C of the national table",
		"S36", "S37", "S38", "S39", "S48", "S49", "S50", "S51", "S52", "S53", "S56", "S57", "S58", "S59", "S60")
}

// TestCatalogCodes checks every top-level code of the two HL7 Italia lists:
// it parses after Normalize, with the category the file gives, or it is
// listed in outOfScope (and then really is refused).
func TestCatalogCodes(t *testing.T) {
	v := New()
	used := map[string]bool{}
	check := func(file, code, category string) {
		c, err := v.Parse(Normalize(code))
		if reason, ok := outOfScope[code]; ok {
			used[code] = true
			if err == nil {
				t.Errorf("%s: %s is listed as out of scope (%s) but parses as %+v", file, code, reason, c)
			}
			return
		}
		if err != nil {
			t.Errorf("%s: %s does not parse after Normalize: %v", file, code, err)
			return
		}
		want := map[string]Category{"cronica": CategoryChronic, "rara": CategoryRare}[category]
		if want != "" && c.Family.Category != want || want == "" && (c.Family.Category == CategoryChronic || c.Family.Category == CategoryRare) {
			t.Errorf("%s: %s is %q in the file, parsed as %+v", file, code, category, c)
		}
	}

	rows := readCSV(t, "esenzioni_hl7it_bozza_commentata.csv")
	top := 0
	for _, r := range rows {
		if r["codice"] == r["codice_padre"] {
			top++
			check("bozza", r["codice"], r["categoria"])
		}
	}
	if top != 678 {
		t.Errorf("bozza: %d top-level codes, want 678", top)
	}
	rows = readCSV(t, "esenzioni_mds_hl7it_attive.csv")
	if len(rows) != 21 {
		t.Errorf("attive: %d codes, want 21", len(rows))
	}
	for _, r := range rows {
		check("attive", r["codice"], "")
	}
	for code, reason := range outOfScope {
		if !used[code] {
			t.Errorf("%s is listed as out of scope (%s) but is in neither file", code, reason)
		}
	}
}

func readCSV(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := refdata.Catalog().Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, col := range recs[0] {
			m[col] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"001", "067", "068", "000", "0A02", "0A31", "0031", "002", "031", "002A", "RCG077", "RF0100", "R99", "RA99",
		"M00", "M41", "M42", "M99", "PML", "TDL01", "TDL", "tdl 01", "93A", "D01B", "E01", "", " ", "0A-02", "\xff",
	} {
		f.Add(s)
	}
	v := New("93A", "D01B")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := v.Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(e.Message, "Codice esenzione non valido: ") {
				t.Fatalf("Parse(%q) error %#v is not a complete *Error", s, err)
			}
			switch e.Code {
			case CodeFormat, CodeUnknownFamily, CodeUnknownCode:
			default:
				t.Fatalf("Parse(%q) error code %q", s, e.Code)
			}
			return
		}
		if c.Value != clean(s) || c.Value == "" || c.Family.Key == "" || c.Family.Name == "" {
			t.Fatalf("Parse(%q) = %+v", s, c)
		}
		again, err := v.Parse(c.Value)
		if err != nil || again != c {
			t.Fatalf("Parse(%q) = %+v, but Parse(%q) = %+v, %v", s, c, c.Value, again, err)
		}
		switch c.Level {
		case LevelNational:
			if !isAlnum(c.Value) || Normalize(c.Value) != c.Value || c.Family.Category == CategoryRegional {
				t.Fatalf("Parse(%q) = %+v: not a clean national code", s, c)
			}
			if !strings.HasPrefix(c.Value, c.Family.Key) {
				t.Fatalf("Parse(%q) = %+v: value outside its family", s, c)
			}
		case LevelRegional:
			if c.Family != RegionalFamily() || (c.Value != "93A" && c.Value != "D01B") {
				t.Fatalf("Parse(%q) = %+v: not a configured regional code", s, c)
			}
		default:
			t.Fatalf("Parse(%q) level %q", s, c.Level)
		}
	})
}
