package places

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"esenzioni/domain/refdata"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestLookup(t *testing.T) {
	reg := Default()
	tests := []struct {
		name     string
		code     string
		at       time.Time
		want     bool
		wantName string
		wantProv string
	}{
		{"Rome today", "H501", date(1980, 1, 1), true, "ROMA", "RM"},
		{"lower case code", "h501", date(1980, 1, 1), true, "ROMA", "RM"},
		{"Turin", "L219", date(2001, 6, 30), true, "TORINO", "TO"},
		{"before any ANPR row", "L219", date(1850, 1, 1), false, "", ""},
		{"accented name", "A211", date(2017, 6, 1), true, "ALLUVIONI CAMBIÒ", "AL"},
		{"last valid day of a merged comune", "A211", date(2017, 12, 31), true, "ALLUVIONI CAMBIÒ", "AL"},
		{"comune suppressed before the date", "A211", date(2018, 1, 1), false, "", ""},
		{"comune before a gap", "C140", date(1920, 5, 5), true, "CASTELLAR", "CN"},
		{"comune during a gap (1928-1946)", "C140", date(1935, 5, 5), false, "", ""},
		{"comune after a gap", "C140", date(1950, 5, 5), true, "CASTELLAR", "CN"},
		{"province of that time (Aosta 1929-1945)", "A199", date(1935, 1, 1), true, "ALICE SUPERIORE", "AO"},
		{"province of that time (Turin after 1945)", "A199", date(1950, 1, 1), true, "ALICE SUPERIORE", "TO"},
		{"foreign state, any date", "Z100", date(1900, 1, 1), true, "ALBANIA", ForeignProvince},
		{"foreign state with apostrophe", "Z404", date(2020, 1, 1), true, "STATI UNITI D'AMERICA", ForeignProvince},
		{"suppressed state, last year", "Z135", date(1991, 12, 31), true, "UNIONE SOVIETICA", ForeignProvince},
		{"suppressed state, after", "Z135", date(1992, 1, 1), false, "", ""},
		{"unknown code", "Z999", date(1990, 1, 1), false, "", ""},
		{"ND placeholder is not a code", "ND", date(1900, 1, 1), false, "", ""},
		{"malformed code", "H50", date(1980, 1, 1), false, "", ""},
		{"malformed code, letter last", "H50X", date(1980, 1, 1), false, "", ""},
		{"empty", "", date(1980, 1, 1), false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := reg.Lookup(tt.code, tt.at)
			if ok != tt.want {
				t.Fatalf("Lookup(%q, %s) ok = %v, want %v (%+v)", tt.code, tt.at.Format(time.DateOnly), ok, tt.want, p)
			}
			if !ok {
				return
			}
			if p.Name != tt.wantName || p.Province != tt.wantProv || p.Code != strings.ToUpper(tt.code) {
				t.Errorf("Lookup(%q) = %+v, want %s %s (%s)", tt.code, p, tt.code, tt.wantName, tt.wantProv)
			}
			if p.Foreign != (p.Code[0] == 'Z') {
				t.Errorf("Lookup(%q).Foreign = %v", tt.code, p.Foreign)
			}
		})
	}
}

func TestLookupPeriods(t *testing.T) {
	reg := Default()

	// Rome has 11 ANPR rows (territorial changes) merged into one period.
	rome, _ := reg.Lookup("H501", date(2000, 1, 1))
	if !rome.ValidFrom.Equal(date(1884, 9, 11)) || !rome.ValidTo.IsZero() || !rome.Current() {
		t.Errorf("Rome = %+v, want valid from 1884-09-11 with no end", rome)
	}
	cambio, _ := reg.Lookup("A211", date(2000, 1, 1))
	if !cambio.ValidFrom.Equal(date(1861, 3, 17)) || !cambio.ValidTo.Equal(date(2017, 12, 31)) || cambio.Current() {
		t.Errorf("Alluvioni Cambiò = %+v, want 1861-03-17 to 2017-12-31", cambio)
	}
	ussr, _ := reg.Lookup("Z135", date(1950, 1, 1))
	if !ussr.ValidFrom.IsZero() || !ussr.ValidTo.Equal(date(1991, 12, 31)) {
		t.Errorf("USSR = %+v, want no start and end 1991-12-31", ussr)
	}

	// The calendar date in the caller's location counts, not the UTC instant.
	rome1 := time.FixedZone("UTC+1", 3600)
	if _, ok := reg.Lookup("A211", time.Date(2018, 1, 1, 0, 30, 0, 0, rome1)); ok {
		t.Error("A211 accepted on 2018-01-01 00:30 +01:00, the day after its suppression")
	}
}

func TestFind(t *testing.T) {
	reg := Default()
	tests := []struct {
		name, province string
		wantCode       string // empty: not found
	}{
		{"torino", "", "L219"},
		{"Torino", "to", "L219"},
		{"TORINO", "CN", ""},
		{"Agliè", "TO", "A074"},
		{"AGLIE'", "", "A074"},
		{"aglie", "", "A074"},
		{"Sant'Antonino di Susa", "TO", "I296"},
		{"SAN TEODORO", "", ""}, // ME and SS
		{"San Teodoro", "SS", "I329"},
		{"San Teodoro", "ME", "I328"},
		{"Alluvioni Cambiò", "", ""}, // suppressed in 2018
		{"Albania", "", ""},          // a state, not a comune
		{"Atlantide", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		p, ok := reg.Find(tt.name, tt.province)
		if ok != (tt.wantCode != "") || p.Code != tt.wantCode {
			t.Errorf("Find(%q, %q) = %+v, %v; want %q", tt.name, tt.province, p, ok, tt.wantCode)
		}
		if ok && (!p.Current() || p.Foreign) {
			t.Errorf("Find(%q, %q) = %+v, want a current comune", tt.name, tt.province, p)
		}
	}
}

func TestComuni(t *testing.T) {
	reg := Default()
	// Counts of the active comuni in the embedded ANPR file.
	piemonte := map[string]int{"TO": 312, "CN": 247, "AL": 187, "AT": 117, "NO": 87, "VC": 82, "BI": 74, "VB": 74}
	for prov, want := range piemonte {
		got := reg.Comuni(prov)
		if len(got) != want {
			t.Errorf("Comuni(%q) has %d comuni, want %d", prov, len(got), want)
		}
		if !slices.IsSortedFunc(got, func(a, b Place) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("Comuni(%q) is not sorted by name", prov)
		}
		for _, p := range got {
			if p.Province != prov || p.Foreign || !p.Current() {
				t.Fatalf("Comuni(%q) returned %+v", prov, p)
			}
			if q, ok := reg.Lookup(p.Code, time.Now()); !ok || q != p {
				t.Fatalf("Comuni(%q) returned %+v, Lookup gives %+v", prov, p, q)
			}
		}
	}
	if got := len(reg.Comuni("to")); got != 312 {
		t.Errorf("Comuni(\"to\") has %d comuni, want 312", got)
	}
	if got := len(reg.Comuni("")); got != 7896 {
		t.Errorf("Comuni(\"\") has %d comuni, want 7896", got)
	}
	if got := reg.Comuni("EE"); len(got) != 0 {
		t.Errorf("Comuni(\"EE\") returned %d places, want none: states are not comuni", len(got))
	}
}

func TestLoadCSVSyntax(t *testing.T) {
	fsys := fstest.MapFS{
		// BOM, CRLF, quoted fields with commas and doubled quotes, blank line.
		citiesFile: {Data: []byte("\xEF\xBB\xBFregistry_code,name_it,provincial_code,institution_date,end_date\r\n" +
			"A001,\"SANT'ANGELO, \"\"DETTO\"\" ALTO\",TO,1900-01-01,1949-12-31\r\n" +
			"\r\n" +
			"A001,\"SANT'ANGELO, \"\"DETTO\"\" ALTO\",TO,1950-01-01,9999-12-31\r\n" +
			"B002,NUOVO,CN,2020-02-29,9999-12-31")},
		countriesFile:  {Data: []byte("registry_code,name_it\nn.d.,Italia\nZ100,Albania\n")},
		suppressedFile: {Data: []byte("end_date,registry_code,name_old\n1990,Z111,\"Repubblica Democratica Tedesca\"\n")},
	}
	reg, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.entries) != 4 {
		t.Errorf("got %d periods, want 4 (the two A001 rows merged): %+v", len(reg.entries), reg.entries)
	}
	p, ok := reg.Lookup("A001", date(1920, 1, 1))
	if !ok || p.Name != `SANT'ANGELO, "DETTO" ALTO` || !p.ValidFrom.Equal(date(1900, 1, 1)) || !p.Current() {
		t.Errorf("Lookup(A001) = %+v, %v", p, ok)
	}
	if p, ok := reg.Lookup("B002", date(2020, 2, 29)); !ok || p.Name != "NUOVO" {
		t.Errorf("Lookup(B002) on its first day = %+v, %v", p, ok)
	}
	if _, ok := reg.Lookup("B002", date(2020, 2, 28)); ok {
		t.Error("Lookup(B002) accepted the day before its institution")
	}
	if p, ok := reg.Lookup("Z111", date(1990, 10, 3)); !ok || p.Name != "REPUBBLICA DEMOCRATICA TEDESCA" {
		t.Errorf("Lookup(Z111) = %+v, %v", p, ok)
	}
}

func TestLoadErrors(t *testing.T) {
	good := func() fstest.MapFS {
		return fstest.MapFS{
			citiesFile:     {Data: []byte("registry_code,name_it,provincial_code,institution_date,end_date\nA001,UNO,TO,1900-01-01,9999-12-31\n")},
			countriesFile:  {Data: []byte("registry_code,name_it\nZ100,Albania\n")},
			suppressedFile: {Data: []byte("end_date,registry_code,name_old\n1990,Z111,Germania Est\n")},
		}
	}
	if _, err := Load(good()); err != nil {
		t.Fatalf("Load(good) = %v", err)
	}
	tests := []struct {
		name, file, content, wantErr string
	}{
		{"missing file", citiesFile, "", "reading anpr_cities.csv"},
		{"empty file", citiesFile, "-", "missing header"},
		{"missing column", citiesFile, "registry_code,name_it,institution_date,end_date\n", `missing column "provincial_code"`},
		{"bad code", citiesFile, "registry_code,name_it,provincial_code,institution_date,end_date\nA01,UNO,TO,1900-01-01,9999-12-31\n", `line 2: registry_code "A01"`},
		{"bad date", citiesFile, "registry_code,name_it,provincial_code,institution_date,end_date\nA001,UNO,TO,1900-13-01,9999-12-31\n", "line 2: bad validity period"},
		{"end before start", citiesFile, "registry_code,name_it,provincial_code,institution_date,end_date\nA001,UNO,TO,1900-01-02,1900-01-01\n", "line 2: bad validity period"},
		{"short row", citiesFile, "registry_code,name_it,provincial_code,institution_date,end_date\nA001,UNO,TO,1900-01-01\n", "line 2: 4 fields, want 5"},
		{"unterminated quote", citiesFile, "registry_code,name_it,provincial_code,institution_date,end_date\nA001,\"UNO,TO,1900-01-01,9999-12-31\n", "unterminated quoted field"},
		{"text after quote", citiesFile, "registry_code,name_it,provincial_code,institution_date,end_date\nA001,\"UNO\"X,TO,1900-01-01,9999-12-31\n", "after quoted field"},
		{"comune code for a state", countriesFile, "registry_code,name_it\nA100,Albania\n", "not a foreign-state code"},
		{"suppression without year", suppressedFile, "end_date,registry_code,name_old\n90,Z111,Germania Est\n", `end_date "90" is not a year`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := good()
			if tt.content == "" {
				delete(fsys, tt.file)
			} else {
				fsys[tt.file] = &fstest.MapFile{Data: []byte(strings.TrimPrefix(tt.content, "-"))}
			}
			_, err := Load(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load() error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestEmbeddedData checks the whole embedded tables once: every foreign
// state, and that merging kept every ANPR validity period.
func TestEmbeddedData(t *testing.T) {
	reg := Default()
	var states, suppressed int
	for _, e := range reg.entries {
		if e.foreign {
			states++
			if e.to != openEnd {
				suppressed++
			}
		}
	}
	// 225 rows less 9 "n.d." (Italy and territories without a code); 6
	// distinct codes in the suppressed list (Z250 Z111 Z135 Z105 Z118 Z157).
	if states != 216+6 || suppressed != 6 {
		t.Errorf("got %d states (%d suppressed), want 222 (6)", states, suppressed)
	}
	// Every code with a row still valid in the file is found today.
	if n := len(reg.Comuni("")); n != 7896 {
		t.Errorf("%d current comuni, want 7896", n)
	}
}

// BenchmarkLoad measures loading the embedded ANPR tables, and reports the
// heap the resulting registry keeps ("retained-B").
func BenchmarkLoad(b *testing.B) {
	fsys := refdata.Geo()
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	kept, err := Load(fsys)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	runtime.KeepAlive(kept)
	retained := float64(ms1.HeapAlloc - ms0.HeapAlloc)

	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(fsys); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(retained, "retained-B")
}

func BenchmarkLookup(b *testing.B) {
	reg := Default()
	at := date(1980, 1, 1)
	for b.Loop() {
		if _, ok := reg.Lookup("H501", at); !ok {
			b.Fatal("H501 not found")
		}
	}
}

// FuzzLoad feeds arbitrary comuni files to the CSV reader: Load must fail
// with a "places:" error or build a registry whose periods Lookup finds.
func FuzzLoad(f *testing.F) {
	header := "registry_code,name_it,provincial_code,institution_date,end_date\n"
	for _, s := range []string{
		header + "A001,UNO,TO,1900-01-01,9999-12-31\n",
		header + "A001,\"SANT'ANGELO, \"\"ALTO\"\"\",TO,1900-01-01,1949-12-31\r\nA001,X,CN,1950-01-01,9999-12-31",
		header + "A001,\"UNO,TO,1900-01-01,9999-12-31\n",
		header + "\n\nND,UNO,TO,1900-01-01,1901-01-01\n",
		"\xEF\xBB\xBF" + header, "", "\"", ",,,,\n",
	} {
		f.Add(s)
	}
	countries := []byte("registry_code,name_it\nZ100,Albania\n")
	suppressed := []byte("end_date,registry_code,name_old\n1990,Z111,Germania Est\n")
	f.Fuzz(func(t *testing.T, cities string) {
		reg, err := Load(fstest.MapFS{
			citiesFile:     {Data: []byte(cities)},
			countriesFile:  {Data: countries},
			suppressedFile: {Data: suppressed},
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "places: ") {
				t.Fatalf("Load error %q lacks the package prefix", err)
			}
			return
		}
		for _, e := range reg.entries {
			p := reg.place(&e)
			if q, ok := reg.Lookup(p.Code, dayTime(max(e.from, -1<<20))); !ok || q.Code != p.Code {
				t.Fatalf("period %+v not found by Lookup", p)
			}
		}
	})
}
