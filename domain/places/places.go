// Package places is the registry of Belfiore (cadastral) codes: the Italian
// comuni, current and suppressed, and the foreign states, each with the
// period in which its code was valid. It answers the question a codice
// fiscale check asks: did this place-of-birth code exist on the birth date?
//
// The data are the ANPR/ISTAT tables embedded in package esenzioni/data
// (CC-BY-4.0, see data/PROVENANCE.md).
package places

import (
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"esenzioni/domain/refdata"
)

// ForeignProvince is the province abbreviation Italian registries use for
// places abroad ("Estero").
const ForeignProvince = "EE"

// Place is a comune or a foreign state as identified by its Belfiore code
// during one period of validity.
type Place struct {
	Code     string // Belfiore code: a letter and three digits, "Zxxx" for foreign states
	Name     string // upper-case, as in ANPR: "TORINO", "ALBANIA"
	Province string // two-letter province of the comune in that period; ForeignProvince abroad
	Foreign  bool   // a foreign state or territory

	// ValidFrom and ValidTo bound the period, both days included. A zero
	// ValidFrom means no known start (foreign states); a zero ValidTo means
	// the code is still valid.
	ValidFrom, ValidTo time.Time
}

// Current reports whether the code is still in use: ANPR gives it no end date.
func (p Place) Current() bool { return p.ValidTo.IsZero() }

// Registry holds every Belfiore code with its periods of validity. It is
// immutable after Load and safe for concurrent use.
type Registry struct {
	// entries is sorted by key, then by start; consecutive ANPR rows that only
	// differ by territorial changes (same name and province) are merged.
	entries []entry
	names   string // every distinct name once, back to back
}

// entry is one period of one code, kept to 20 bytes as there are ~15,000.
type entry struct {
	key      uint32 // the four code bytes, big-endian, so keys sort as codes do
	from, to int32  // days since 1970-01-01, both included; openStart/openEnd if unbounded
	// The name is Registry.names[nameOff:nameOff+nameLen]: 5 bytes instead
	// of a string header and an allocation of its own.
	nameOff uint32
	nameLen uint8
	prov    [2]byte
	foreign bool
}

// nameRef locates a name in Registry.names.
type nameRef struct {
	off uint32
	len uint8
}

// nameTable collects distinct names while loading.
type nameTable struct {
	buf   []byte
	index map[string]nameRef
}

func (t *nameTable) add(name []byte) (nameRef, bool) {
	if ref, ok := t.index[string(name)]; ok { // no allocation for the lookup
		return ref, true
	}
	if len(name) > math.MaxUint8 || len(t.buf) > math.MaxUint32-len(name) {
		return nameRef{}, false
	}
	ref := nameRef{off: uint32(len(t.buf)), len: uint8(len(name))}
	t.buf = append(t.buf, name...)
	t.index[string(name)] = ref
	return ref, true
}

const (
	openStart = math.MinInt32
	openEnd   = math.MaxInt32
)

var (
	defaultOnce sync.Once
	defaultReg  *Registry
)

// Default returns the registry loaded from the embedded ANPR data, loading it
// on first use. It panics only if the embedded data are broken, which the
// package tests rule out.
func Default() *Registry {
	defaultOnce.Do(func() {
		r, err := Load(refdata.Geo())
		if err != nil {
			panic("places: embedded geography data: " + err.Error())
		}
		defaultReg = r
	})
	return defaultReg
}

// File names read by Load.
const (
	citiesFile     = "anpr_cities.csv"
	countriesFile  = "anpr_countries.csv"
	suppressedFile = "anpr_countries_suppressed.csv"
)

// Load reads anpr_cities.csv, anpr_countries.csv and
// anpr_countries_suppressed.csv from fsys (the layout of refdata.Geo()).
func Load(fsys fs.FS) (*Registry, error) {
	names := &nameTable{buf: make([]byte, 0, 128<<10), index: make(map[string]nameRef, 10000)}
	entries := make([]entry, 0, 20000)

	var err error
	if entries, err = loadCities(fsys, entries, names); err != nil {
		return nil, err
	}
	if entries, err = loadCountries(fsys, entries, names); err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.from, b.from)
	})
	return &Registry{entries: mergePeriods(entries), names: string(names.buf)}, nil
}

func loadCities(fsys fs.FS, entries []entry, names *nameTable) ([]entry, error) {
	rd, err := openCSV(fsys, citiesFile, "institution_date", "end_date", "registry_code", "name_it", "provincial_code")
	if err != nil {
		return nil, err
	}
	cFrom, cTo, cCode, cName, cProv := rd.cols[0], rd.cols[1], rd.cols[2], rd.cols[3], rd.cols[4]
	stillValid := daysFromCivil(9999, 12, 31) // ANPR's end date of current codes
	for rd.next() {
		f := rd.fields
		code := f[cCode]
		if string(code) == "ND" { // ANPR has no Belfiore code for a few 19th-century comuni
			continue
		}
		key, ok := codeKey(code)
		if !ok {
			return nil, rd.errorf("registry_code %q is not a Belfiore code", code)
		}
		from, ok1 := parseDate(f[cFrom])
		to, ok2 := parseDate(f[cTo])
		if !ok1 || !ok2 || to < from {
			return nil, rd.errorf("bad validity period %q to %q", f[cFrom], f[cTo])
		}
		if to == stillValid {
			to = openEnd
		}
		prov := f[cProv]
		if len(prov) != 2 || !isUpper(prov[0]) || !isUpper(prov[1]) {
			return nil, rd.errorf("provincial_code %q is not two letters", prov)
		}
		name, ok := names.add(f[cName])
		if !ok {
			return nil, rd.errorf("name_it %q is too long", f[cName])
		}
		entries = append(entries, entry{key: key, from: from, to: to, nameOff: name.off, nameLen: name.len, prov: [2]byte{prov[0], prov[1]}})
	}
	return entries, rd.err
}

func loadCountries(fsys fs.FS, entries []entry, names *nameTable) ([]entry, error) {
	rd, err := openCSV(fsys, countriesFile, "registry_code", "name_it")
	if err != nil {
		return nil, err
	}
	active := make(map[uint32]bool, 256)
	for rd.next() {
		code, name := rd.fields[rd.cols[0]], rd.fields[rd.cols[1]]
		if string(code) == "n.d." { // Italy itself and territories without a code
			continue
		}
		key, ok := codeKey(code)
		if !ok || code[0] != 'Z' {
			return nil, rd.errorf("registry_code %q is not a foreign-state code", code)
		}
		e, err := foreignEntry(key, openEnd, name, names)
		if err != nil {
			return nil, rd.errorf("%v", err)
		}
		active[key] = true
		entries = append(entries, e)
	}
	if rd.err != nil {
		return nil, rd.err
	}

	rd, err = openCSV(fsys, suppressedFile, "end_date", "registry_code", "name_old")
	if err != nil {
		return nil, err
	}
	for rd.next() {
		year, code, name := rd.fields[rd.cols[0]], rd.fields[rd.cols[1]], rd.fields[rd.cols[2]]
		if string(code) == "n.d" || string(code) == "n.d." {
			continue
		}
		key, ok := codeKey(code)
		if !ok || code[0] != 'Z' {
			return nil, rd.errorf("registry_code %q is not a foreign-state code", code)
		}
		y, ok := atoi(year)
		if !ok || len(year) != 4 {
			return nil, rd.errorf("end_date %q is not a year", year)
		}
		// Skip codes still in use, and the repeated rows of a state split
		// into several (the USSR has one per successor).
		if active[key] {
			continue
		}
		active[key] = true
		// Only the year is known: be lenient and accept the whole year.
		e, err := foreignEntry(key, daysFromCivil(y, 12, 31), name, names)
		if err != nil {
			return nil, rd.errorf("%v", err)
		}
		entries = append(entries, e)
	}
	return entries, rd.err
}

func foreignEntry(key uint32, to int32, name []byte, names *nameTable) (entry, error) {
	// ANPR writes comuni in upper case and states in mixed case.
	ref, ok := names.add(bytes.ToUpper(name))
	if !ok {
		return entry{}, fmt.Errorf("name %q is too long", name)
	}
	return entry{
		key:     key,
		from:    openStart,
		to:      to,
		nameOff: ref.off,
		nameLen: ref.len,
		prov:    [2]byte{ForeignProvince[0], ForeignProvince[1]},
		foreign: true,
	}, nil
}

// mergePeriods joins consecutive periods of a code that differ only by
// territorial changes: Rome has 11 ANPR rows but one name and province.
func mergePeriods(in []entry) []entry {
	out := in[:0]
	for _, e := range in {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.key == e.key && last.nameOff == e.nameOff && last.prov == e.prov &&
				last.foreign == e.foreign && (last.to == openEnd || e.from <= last.to+1) {
				last.to = max(last.to, e.to)
				continue
			}
		}
		out = append(out, e)
	}
	return slices.Clone(out) // lets the larger load-time array go
}

// Lookup returns the place that code (case-insensitive) identified on the
// date of at (its calendar date in at's location). Foreign states have no
// start date, so they are valid at any date up to their suppression.
func (r *Registry) Lookup(code string, at time.Time) (Place, bool) {
	if len(code) == 4 && 'a' <= code[0] && code[0] <= 'z' {
		code = string(code[0]-'a'+'A') + code[1:]
	}
	key, ok := codeKey(code)
	if !ok {
		return Place{}, false
	}
	y, m, d := at.Date()
	day := daysFromCivil(y, int(m), d)
	i, _ := slices.BinarySearchFunc(r.entries, key, func(e entry, k uint32) int { return cmp.Compare(e.key, k) })
	for ; i < len(r.entries) && r.entries[i].key == key; i++ {
		if e := &r.entries[i]; e.from <= day && day <= e.to {
			// Reusing code saves an allocation on the codice fiscale path.
			return r.placeCode(e, code), true
		}
	}
	return Place{}, false
}

// Find returns the currently valid comune called name. The comparison
// ignores case, accents and apostrophes ("Agliè", "AGLIE'" and "aglie" are
// the same). An empty province matches any province, but then a name shared
// by comuni of different provinces (SAN TEODORO) is not found: pass the
// province to choose.
func (r *Registry) Find(name, province string) (Place, bool) {
	var found *entry
	for i := range r.entries {
		e := &r.entries[i]
		if e.foreign || e.to != openEnd || !matchProvince(e, province) || !sameName(r.name(e), name) {
			continue
		}
		if found != nil {
			return Place{}, false
		}
		found = e
	}
	if found == nil {
		return Place{}, false
	}
	return r.place(found), true
}

// Comuni returns the currently valid comuni of province (case-insensitive;
// empty for all of Italy), sorted by name.
func (r *Registry) Comuni(province string) []Place {
	var out []Place
	for i := range r.entries {
		if e := &r.entries[i]; !e.foreign && e.to == openEnd && matchProvince(e, province) {
			out = append(out, r.place(e))
		}
	}
	slices.SortFunc(out, func(a, b Place) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Code, b.Code))
	})
	return out
}

func matchProvince(e *entry, province string) bool {
	return province == "" || strings.EqualFold(string(e.prov[:]), province)
}

func (r *Registry) name(e *entry) string {
	return r.names[e.nameOff : e.nameOff+uint32(e.nameLen)]
}

func (r *Registry) place(e *entry) Place {
	return r.placeCode(e, string([]byte{byte(e.key >> 24), byte(e.key >> 16), byte(e.key >> 8), byte(e.key)}))
}

// placeCode builds the Place of e, whose code is code.
func (r *Registry) placeCode(e *entry, code string) Place {
	p := Place{
		Code:     code,
		Name:     r.name(e),
		Province: provinceString(e.prov),
		Foreign:  e.foreign,
	}
	if e.from != openStart {
		p.ValidFrom = dayTime(e.from)
	}
	if e.to != openEnd {
		p.ValidTo = dayTime(e.to)
	}
	return p
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// provinces holds every pair of upper-case letters, so that a province
// string is a slice of it rather than an allocation.
var provinces = func() string {
	b := make([]byte, 0, 26*26*2)
	for x := byte('A'); x <= 'Z'; x++ {
		for y := byte('A'); y <= 'Z'; y++ {
			b = append(b, x, y)
		}
	}
	return string(b)
}()

func provinceString(p [2]byte) string {
	i := (int(p[0]-'A')*26 + int(p[1]-'A')) * 2
	return provinces[i : i+2]
}

// codeKey packs a Belfiore code (an upper-case letter and three digits).
func codeKey[T string | []byte](b T) (uint32, bool) {
	if len(b) != 4 || b[0] < 'A' || b[0] > 'Z' {
		return 0, false
	}
	for i := 1; i < 4; i++ {
		if b[i] < '0' || b[i] > '9' {
			return 0, false
		}
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

// parseDate reads YYYY-MM-DD as days since 1970-01-01; time.Parse would be
// several times slower on 40,000 dates.
func parseDate(b []byte) (int32, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	y, ok1 := atoi(b[:4])
	m, ok2 := atoi(b[5:7])
	d, ok3 := atoi(b[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

func atoi(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysFromCivil counts days from 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int32 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

func dayTime(days int32) time.Time {
	return time.Unix(int64(days)*86400, 0).UTC()
}

// csvReader reads an RFC 4180 file held in memory. Fields are slices of the
// buffer (quoted ones are unescaped in place), valid until the next call.
type csvReader struct {
	name   string
	buf    []byte
	pos    int
	line   int
	fields [][]byte
	width  int   // the header's field count
	cols   []int // indexes of the columns asked for in openCSV
	err    error
}

func openCSV(fsys fs.FS, name string, columns ...string) (*csvReader, error) {
	buf, err := fs.ReadFile(fsys, name) // ours to modify, per fs.ReadFileFS
	if err != nil {
		return nil, fmt.Errorf("places: reading %s: %w", name, err)
	}
	rd := &csvReader{name: name, buf: buf}
	if len(buf) >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF {
		rd.pos = 3
	}
	if !rd.readRecord() {
		if rd.err == nil {
			rd.err = rd.errorf("missing header")
		}
		return nil, rd.err
	}
	for _, col := range columns {
		i := slices.IndexFunc(rd.fields, func(f []byte) bool { return string(f) == col })
		if i < 0 {
			return nil, rd.errorf("missing column %q", col)
		}
		rd.cols = append(rd.cols, i)
	}
	rd.width = len(rd.fields)
	return rd, nil
}

// next reads the next non-blank record and checks it has as many fields as
// the header. It returns false at the end of the file or on error (rd.err).
func (rd *csvReader) next() bool {
	for rd.readRecord() {
		if len(rd.fields) == 1 && len(rd.fields[0]) == 0 {
			continue
		}
		if len(rd.fields) != rd.width {
			rd.err = rd.errorf("%d fields, want %d", len(rd.fields), rd.width)
			return false
		}
		return true
	}
	return false
}

func (rd *csvReader) readRecord() bool {
	rd.fields = rd.fields[:0]
	buf := rd.buf
	if rd.pos >= len(buf) || rd.err != nil {
		return false
	}
	rd.line++
	for {
		i := rd.pos
		if i < len(buf) && buf[i] == '"' {
			start, w := i+1, i+1
			for i = start; ; i++ {
				if i >= len(buf) {
					rd.err = rd.errorf("unterminated quoted field")
					return false
				}
				c := buf[i]
				if c == '"' {
					if i+1 < len(buf) && buf[i+1] == '"' {
						i++
					} else {
						i++
						break
					}
				} else if c == '\n' {
					rd.line++
				}
				buf[w] = c
				w++
			}
			rd.fields = append(rd.fields, buf[start:w])
		} else {
			for i < len(buf) && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r' {
				i++
			}
			rd.fields = append(rd.fields, buf[rd.pos:i])
		}
		if i >= len(buf) {
			rd.pos = i
			return true
		}
		switch buf[i] {
		case ',':
			rd.pos = i + 1
		case '\r':
			if i+1 < len(buf) && buf[i+1] == '\n' {
				i++
			}
			rd.pos = i + 1
			return true
		case '\n':
			rd.pos = i + 1
			return true
		default:
			rd.err = rd.errorf("unexpected %q after quoted field", buf[i])
			return false
		}
	}
}

func (rd *csvReader) errorf(format string, args ...any) error {
	return fmt.Errorf("places: %s line %d: %s", rd.name, rd.line, fmt.Sprintf(format, args...))
}
