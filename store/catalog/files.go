package catalog

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"esenzioni/domain/exemption"
	"esenzioni/domain/exemptioncode"
)

// Names of the recognised files. docs/CATALOG.md describes them.
const (
	// Public sources, as shipped in esenzioni/data (names and headers unchanged).
	FileASL              = "asl_piemonte.csv"
	FileICD9             = "icd9cm_2007_it.csv"
	FileNationalServices = "catalogo_nazionale_prestazioni.csv"
	FileDraftCodes       = "esenzioni_hl7it_bozza_commentata.csv"
	FileActiveCodes      = "esenzioni_mds_hl7it_attive.csv"

	// Canonical files, in the project's formats.
	FileASLDetails         = "asl_details.csv"
	FileDistricts          = "districts.csv"
	FileDiagnoses          = "diagnoses.csv"
	FileServices           = "services.csv"
	FileExemptionCodes     = "exemption_codes.csv"
	FileExemptionDiagnoses = "exemption_diagnoses.csv"
	FileExemptionServices  = "exemption_services.csv"
	FileRejectReasons      = "reject_reasons.csv"
	FileDocumentTypes      = "document_types.csv"
)

// fileSpec is a recognised file: its header and how to read its rows.
// read returns the number of rows read but not loaded.
type fileSpec struct {
	name   string
	header []string
	tables []string
	read   func(ds *dataset, rr *rows) (skipped int, err error)
}

// fileSpecs are in reading order: exemption_codes.csv comes before the
// public lists of codes because the regional codes it declares are needed
// to validate them (which source wins is decided by priority, not order).
var fileSpecs = []fileSpec{
	{FileASL, []string{"codice_asl_minsal", "denominazione", "cod_regione", "istat_provincia_sede", "istat_comune_sede"}, []string{TableASL}, readASL},
	{FileASLDetails, []string{"code", "legal_address", "phone", "pec", "tax_code", "demo"}, []string{TableASL}, readASLDetails},
	{FileDistricts, []string{"asl_code", "code", "name", "demo"}, []string{TableDistrict}, readDistricts},
	{FileICD9, []string{"version", "code", "description", "release_date"}, []string{TableDiagnosis}, readICD9},
	{FileDiagnoses, []string{"code", "description"}, []string{TableDiagnosis}, readDiagnoses},
	{FileNationalServices, []string{"codice", "descrizione"}, []string{TableService}, readNationalServices},
	{FileServices, []string{"code", "description", "demo"}, []string{TableService}, readServices},
	{FileExemptionCodes, []string{"code", "description", "category", "level", "demo"}, []string{TableExemptionCode}, readExemptionCodes},
	{FileDraftCodes, []string{"codice", "descrizione", "categoria", "codice_padre", "icd9_sottocodice"}, []string{TableExemptionCode, TableExemptionDiagnosis}, readDraftCodes},
	{FileActiveCodes, []string{"codice", "descrizione"}, []string{TableExemptionCode}, readActiveCodes},
	{FileExemptionDiagnoses, []string{"exemption_code", "diagnosis_code", "duration_value", "duration_unit", "demo"}, []string{TableExemptionDiagnosis}, readExemptionDiagnoses},
	{FileExemptionServices, []string{"exemption_code", "diagnosis_code", "service_code", "position", "valid_from", "valid_to", "demo"}, []string{TableExemptionService}, readExemptionServices},
	{FileRejectReasons, []string{"code", "description", "position"}, []string{TableRejectReason}, readRejectReasons},
	{FileDocumentTypes, []string{"code", "label", "description", "position"}, []string{TableDocumentType}, readDocumentTypes},
}

func specByName(name string) (fileSpec, bool) {
	for _, s := range fileSpecs {
		if s.name == name {
			return s, true
		}
	}
	return fileSpec{}, false
}

// readFile reads one file into the dataset.
func (ds *dataset) readFile(fsys fs.FS, spec fileSpec) error {
	rr, closer, err := openRows(fsys, spec.name, spec.header)
	if err != nil {
		return err
	}
	defer closer.Close()
	skipped, err := spec.read(ds, rr)
	if err != nil {
		return err
	}
	for _, t := range spec.tables {
		ds.fedTables[t] = true
	}
	ds.report.Files = append(ds.report.Files, FileReport{Name: spec.name, Rows: rr.n, Skipped: skipped})
	return nil
}

// each calls fn for every record of rr.
func each(rr *rows, fn func(rec []string) error) error {
	for {
		rec, err := rr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// duplicate is the error for a key seen twice in one file.
func (rr *rows) duplicate(what, key string, first src) error {
	return rr.errf("duplicate %s %s (first at line %d)", what, key, first.line)
}

// --- ASL and districts --------------------------------------------------

func readASL(ds *dataset, rr *rows) (int, error) {
	shortNames := map[string]src{}
	return 0, each(rr, func(rec []string) error {
		code, denom, region, prov, comune := rec[0], rec[1], rec[2], rec[3], rec[4]
		if err := rr.match("codice_asl_minsal", code, reASLCode, "a 6-digit Ministry code"); err != nil {
			return err
		}
		if err := rr.required("denominazione", denom); err != nil {
			return err
		}
		if err := rr.match("cod_regione", region, reRegion, "a 3-digit region code"); err != nil {
			return err
		}
		if err := rr.match("istat_provincia_sede", prov, reRegion, "a 3-digit ISTAT province code"); err != nil {
			return err
		}
		if err := rr.match("istat_comune_sede", comune, reIstatComune, "a 6-digit ISTAT comune code"); err != nil {
			return err
		}
		if !strings.HasPrefix(comune, prov) {
			return rr.errf("istat_comune_sede %q is not in province %q", comune, prov)
		}
		if prev, ok := ds.asl.get(code); ok && prev.hasBase {
			return rr.duplicate("ASL", code, prev.src)
		}
		// "TO3" -> short TO3, name "ASL TO3"; "ASL CITTA' DI TORINO" -> short
		// "CITTA' DI TORINO", same name.
		short := strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(denom), "ASL "))
		if first, ok := shortNames[short]; ok {
			return rr.duplicate("ASL short name", short, first)
		}
		shortNames[short] = rr.src()
		ds.asl.put(code, &aslRec{src: rr.src(), code: code, shortName: short, name: "ASL " + short,
			region: region, seat: comune, hasBase: true})
		return nil
	})
}

func readASLDetails(ds *dataset, rr *rows) (int, error) {
	seen := map[string]src{}
	return 0, each(rr, func(rec []string) error {
		code, address, phone, pec, tax := rec[0], rec[1], rec[2], rec[3], rec[4]
		if err := rr.match("code", code, reASLCode, "a 6-digit Ministry code"); err != nil {
			return err
		}
		if first, ok := seen[code]; ok {
			return rr.duplicate("ASL", code, first)
		}
		seen[code] = rr.src()
		if err := rr.required("legal_address", address); err != nil {
			return err
		}
		if phone != "" {
			if err := rr.match("phone", phone, rePhone, "a telephone number (digits and spaces)"); err != nil {
				return err
			}
		}
		if pec != "" {
			if err := rr.match("pec", pec, rePEC, "an e-mail address"); err != nil {
				return err
			}
		}
		if tax != "" {
			if err := rr.match("tax_code", tax, reTaxCode, "an 11-digit codice fiscale / partita IVA"); err != nil {
				return err
			}
			if !partitaIVAValid(tax) {
				return rr.errf("tax_code %q fails the partita IVA check digit", tax)
			}
		}
		demo, err := rr.boolean("demo", rec[5])
		if err != nil {
			return err
		}
		d := &aslDetails{src: rr.src(), address: address, phone: phone, pec: pec, taxCode: tax, demo: demo}
		if a, ok := ds.asl.get(code); ok {
			a.details = d
		} else {
			ds.asl.put(code, &aslRec{src: rr.src(), code: code, details: d})
		}
		return nil
	})
}

// partitaIVAValid checks the check digit of an 11-digit partita IVA.
func partitaIVAValid(s string) bool {
	sum := 0
	for i := range 10 {
		n := int(s[i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return (10-sum%10)%10 == int(s[10]-'0')
}

func readDistricts(ds *dataset, rr *rows) (int, error) {
	return 0, each(rr, func(rec []string) error {
		asl, code, name := rec[0], rec[1], rec[2]
		if err := rr.match("asl_code", asl, reASLCode, "a 6-digit Ministry code"); err != nil {
			return err
		}
		if err := rr.match("code", code, reDistrictCode, "a district code (upper-case letters, digits, _ or -, at most 20)"); err != nil {
			return err
		}
		if err := rr.required("name", name); err != nil {
			return err
		}
		demo, err := rr.boolean("demo", rec[3])
		if err != nil {
			return err
		}
		key := asl + "|" + code
		if prev, ok := ds.districts.get(key); ok {
			return rr.duplicate("district", asl+" "+code, prev.src)
		}
		ds.districts.put(key, &districtRec{src: rr.src(), asl: asl, code: code, name: name, demo: demo})
		return nil
	})
}

// --- diagnoses and services ---------------------------------------------

// putText adds a diagnosis or service. Within a public file a repeated
// code keeps its first description (with a warning when they differ);
// within a canonical file it is an error. Across files, the higher
// priority wins.
func (ds *dataset) putText(o *ordered[textRec], rr *rows, what, code, desc string, prio int) error {
	prev, ok := o.get(code)
	if ok && prev.file == rr.file {
		switch {
		case prio == prioCanonical:
			return rr.duplicate(what, code, prev.src)
		case prev.desc != desc:
			ds.warnf("%s:%d: %s %s repeated with another description; the one at line %d kept", rr.file, rr.line, what, code, prev.line)
		}
		return nil
	}
	if ok && prev.prio > prio {
		return nil
	}
	o.put(code, &textRec{src: rr.src(), code: code, desc: desc, prio: prio})
	return nil
}

func readICD9(ds *dataset, rr *rows) (int, error) {
	skipped := 0
	err := each(rr, func(rec []string) error {
		code, desc := rec[1], rec[2]
		if err := rr.required("code", code); err != nil {
			return err
		}
		if reICDProcedure.MatchString(code) {
			skipped++ // a procedure, not a diagnosis
			return nil
		}
		if !reICDDiagnosisDotted.MatchString(code) {
			return rr.errf("code %q is neither an ICD-9-CM diagnosis (123, 123.4, 123.45, V12.3, E123.4) nor a procedure (12, 12.3, 12.34)", code)
		}
		if err := rr.required("description", desc); err != nil {
			return err
		}
		return ds.putText(ds.diagnoses, rr, "diagnosis", strings.ReplaceAll(code, ".", ""), repairICD9(desc), prioPublic)
	})
	return skipped, err
}

func readDiagnoses(ds *dataset, rr *rows) (int, error) {
	return 0, each(rr, func(rec []string) error {
		code, desc := rec[0], rec[1]
		if reason := diagnosisReason("code", code); reason != "" {
			return rr.errf("%s", reason)
		}
		if err := rr.required("description", desc); err != nil {
			return err
		}
		return ds.putText(ds.diagnoses, rr, "diagnosis", code, desc, prioCanonical)
	})
}

func readNationalServices(ds *dataset, rr *rows) (int, error) {
	return 0, each(rr, func(rec []string) error {
		code, desc := rec[0], rec[1]
		if err := rr.match("codice", code, reServiceCode, "a service code (upper-case letters, digits, dots)"); err != nil {
			return err
		}
		if err := rr.required("descrizione", desc); err != nil {
			return err
		}
		return ds.putText(ds.services, rr, "service", code, desc, prioPublic)
	})
}

func readServices(ds *dataset, rr *rows) (int, error) {
	return 0, each(rr, func(rec []string) error {
		code, desc := rec[0], rec[1]
		if err := rr.match("code", code, reServiceCode, "a service code (upper-case letters, digits, dots, dashes, at most 30)"); err != nil {
			return err
		}
		if err := rr.required("description", desc); err != nil {
			return err
		}
		// The schema keeps no demo flag for services; the column documents
		// which codes are invented and is checked for form only.
		if _, err := rr.boolean("demo", rec[2]); err != nil {
			return err
		}
		return ds.putText(ds.services, rr, "service", code, desc, prioCanonical)
	})
}

// --- exemption codes ----------------------------------------------------

func readExemptionCodes(ds *dataset, rr *rows) (int, error) {
	// First the whole file: the codes it declares REGIONALE are regional
	// for the validator, whatever their order.
	type row struct {
		src
		rec []string
	}
	var all []row
	var regional []string
	seen := map[string]src{}
	err := each(rr, func(rec []string) error {
		if err := rr.required("code", rec[0]); err != nil {
			return err
		}
		if first, ok := seen[rec[0]]; ok {
			return rr.duplicate("exemption code", rec[0], first)
		}
		seen[rec[0]] = rr.src()
		switch rec[3] {
		case string(exemptioncode.LevelNational):
		case string(exemptioncode.LevelRegional):
			if !reRegionalCode.MatchString(rec[0]) {
				return rr.errf("code %q is not a regional code (2 to 8 upper-case letters or digits)", rec[0])
			}
			regional = append(regional, rec[0])
		default:
			return rr.errf("level %q is not NAZIONALE or REGIONALE", rec[3])
		}
		all = append(all, row{rr.src(), rec})
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(regional) > 0 {
		ds.addRegional(regional...)
	}
	for _, r := range all {
		rr.line = r.line
		code, desc, category, level := r.rec[0], r.rec[1], r.rec[2], r.rec[3]
		c, reason := parseCode(ds.validator, "code", code)
		if reason != "" {
			return 0, rr.errf("%s", reason)
		}
		switch {
		case level == string(exemptioncode.LevelNational) && c.level != level:
			return 0, rr.errf("level NAZIONALE: %s is not a code of the national table (it is regional by Options.Regional or an earlier import)", code)
		case level == string(exemptioncode.LevelRegional) && c.level != level:
			return 0, rr.errf("level REGIONALE: %s is a code of the national table", code)
		}
		if err := rr.required("description", desc); err != nil {
			return 0, err
		}
		switch {
		case category == "":
			category = c.category
		case !contains(categories, category):
			return 0, rr.errf("category %q is not one of %s", category, strings.Join(categories, ", "))
		case c.level == string(exemptioncode.LevelNational) && category != c.category:
			return 0, rr.errf("category %q does not match the family of %s (%s)", category, code, c.category)
		}
		demo, err := rr.boolean("demo", r.rec[4])
		if err != nil {
			return 0, err
		}
		ds.codes.put(code, &codeRec{src: r.src, code: code, desc: desc, category: category,
			family: c.family, level: c.level, demo: demo, prio: prioCanonical})
	}
	return 0, nil
}

// draftCategory is the category the draft's categoria implies, if any.
var draftCategory = map[string]string{
	"cronica": string(exemptioncode.CategoryChronic),
	"rara":    string(exemptioncode.CategoryRare),
	"altro":   "",
}

func readDraftCodes(ds *dataset, rr *rows) (int, error) {
	out := newSkips()
	var links []draftLink
	err := each(rr, func(rec []string) error {
		code, desc, cat, parent, icd := rec[0], rec[1], rec[2], rec[3], rec[4]
		for i, col := range []string{"codice", "descrizione", "categoria", "codice_padre"} {
			if err := rr.required(col, rec[i]); err != nil {
				return err
			}
		}
		want, ok := draftCategory[cat]
		if !ok {
			return rr.errf("categoria %q is not cronica, rara or altro", cat)
		}
		if code == parent { // a code
			if icd != "" {
				return rr.errf("icd9_sottocodice %q on a top-level row (codice = codice_padre)", icd)
			}
			c, err := ds.validator.Parse(exemptioncode.Normalize(code))
			if err != nil {
				out.add(skipReason(code, err), code)
				return nil
			}
			if want != "" && string(c.Family.Category) != want {
				ds.warnf("%s:%d: %s is %q in the draft but in family %q (%s) of the national table", rr.file, rr.line, code, cat, c.Family.Name, c.Family.Category)
			}
			ds.putCode(&codeRec{src: rr.src(), code: c.Value, desc: cleanDraftDescription(c.Value, code, desc),
				category: string(c.Family.Category), family: c.Family.Key, level: string(c.Level), prio: prioPublic})
			return nil
		}
		// A sub-row: codice is codice_padre.icd9_sottocodice.
		if code != parent+"."+icd {
			return rr.errf("codice %q is not codice_padre.icd9_sottocodice (%s.%s)", code, parent, icd)
		}
		if !reICDDiagnosisDotted.MatchString(icd) {
			return rr.errf("icd9_sottocodice %q is not an ICD-9-CM diagnosis code", icd)
		}
		if cat != "cronica" {
			out.add("sub-row of a non-chronic code", code)
			return nil
		}
		links = append(links, draftLink{src: rr.src(), code: code, parent: parent, diagnosis: strings.ReplaceAll(icd, ".", "")})
		return nil
	})
	if err != nil {
		return 0, err
	}
	// The links, once every parent is known.
	for _, l := range links {
		parent := exemptioncode.Normalize(l.parent)
		if _, err := ds.validator.Parse(parent); err != nil {
			out.add("sub-row of a code left out ("+l.parent+")", l.code)
			continue
		}
		key := parent + "|" + l.diagnosis
		if _, ok := ds.links.get(key); ok {
			continue // the same link twice after normalisation
		}
		ds.links.put(key, &linkRec{src: l.src, exemption: parent, diagnosis: l.diagnosis, prio: prioPublic})
	}
	out.warn(ds, rr.file)
	return out.n, nil
}

func readActiveCodes(ds *dataset, rr *rows) (int, error) {
	out := newSkips()
	err := each(rr, func(rec []string) error {
		code, desc := rec[0], rec[1]
		if err := rr.required("codice", code); err != nil {
			return err
		}
		if err := rr.required("descrizione", desc); err != nil {
			return err
		}
		c, err := ds.validator.Parse(exemptioncode.Normalize(code))
		if err != nil {
			out.add(skipReason(code, err), code)
			return nil
		}
		ds.putCode(&codeRec{src: rr.src(), code: c.Value, desc: desc, category: string(c.Family.Category),
			family: c.Family.Key, level: string(c.Level), prio: prioActive})
		return nil
	})
	out.warn(ds, rr.file)
	return out.n, err
}

// incomeCodes are the exemptions by income (reddito): self-declared and
// checked against tax data, not issued by the ASL on medical documentation,
// so outside the back office and outside the national table of package
// exemptioncode.
var incomeCodes = []string{"E01", "E02", "E03", "E04"}

// skipReason says why a code of a public list is left out.
func skipReason(code string, err error) string {
	if contains(incomeCodes, strings.ToUpper(code)) {
		return "exemption by income (E01-E04), out of scope"
	}
	return "code " + codeReason(err)
}

// putCode adds or merges a code of a public list: a source of higher
// priority keeps its row; the first row of a file wins over a repeated one.
func (ds *dataset) putCode(c *codeRec) {
	prev, ok := ds.codes.get(c.code)
	if ok && prev.prio >= c.prio {
		return
	}
	ds.codes.put(c.code, c)
}

// cleanDraftDescription removes the "062-" prefix some rows of the draft
// repeat before the description.
func cleanDraftDescription(code, raw, desc string) string {
	for _, p := range []string{code, raw} {
		if rest, ok := strings.CutPrefix(desc, p+"-"); ok && rest != "" {
			return strings.TrimSpace(rest)
		}
	}
	return desc
}

// skips collects the rows of a public file left out, by reason, for one
// warning per reason.
type skips struct {
	n       int
	reasons []string
	codes   map[string][]string
}

func newSkips() *skips { return &skips{codes: map[string][]string{}} }

func (s *skips) add(reason, code string) {
	s.n++
	if _, ok := s.codes[reason]; !ok {
		s.reasons = append(s.reasons, reason)
	}
	s.codes[reason] = append(s.codes[reason], code)
}

func (s *skips) warn(ds *dataset, file string) {
	for _, r := range s.reasons {
		ds.warnf("%s: %d rows left out, %s: %s", file, len(s.codes[r]), r, strings.Join(s.codes[r], " "))
	}
}

// --- links --------------------------------------------------------------

// durationUnits are exemption.Unit's codes, as the catalogue files write
// them (docs/CATALOG.md) and the released workflows' histories carry them
// (activity results): part of an interchange format, not renamed.
var durationUnits = []string{string(exemption.Days), string(exemption.Months), string(exemption.Years)}

func readExemptionDiagnoses(ds *dataset, rr *rows) (int, error) {
	seen := map[string]src{}
	return 0, each(rr, func(rec []string) error {
		code, diag, value, unit := rec[0], rec[1], rec[2], rec[3]
		c, reason := parseCode(ds.validator, "exemption_code", code)
		if reason != "" {
			return rr.errf("%s", reason)
		}
		if reason := diagnosisReason("diagnosis_code", diag); reason != "" {
			return rr.errf("%s", reason)
		}
		l := &linkRec{src: rr.src(), exemption: c.value, diagnosis: diag, prio: prioCanonical}
		switch {
		case value == "" && unit == "":
		case unit == "":
			return rr.errf("duration_value is %q but duration_unit is empty", value)
		case value == "":
			return rr.errf("duration_unit is %q but duration_value is empty", unit)
		default:
			n, err := strconv.Atoi(value)
			if err != nil || n <= 0 || strings.HasPrefix(value, "+") {
				return rr.errf("duration_value %q is not a whole number > 0", value)
			}
			if !contains(durationUnits, unit) {
				return rr.errf("duration_unit %q is not DAYS, MONTHS or YEARS", unit)
			}
			l.durValue, l.durUnit = &n, &unit
		}
		demo, err := rr.boolean("demo", rec[4])
		if err != nil {
			return err
		}
		l.demo = demo
		key := l.exemption + "|" + l.diagnosis
		if first, ok := seen[key]; ok {
			return rr.duplicate("exemption and diagnosis", l.exemption+" "+l.diagnosis, first)
		}
		seen[key] = rr.src()
		ds.links.put(key, l)
		return nil
	})
}

// defaultValidFrom is the schema's default for exemption_service.valid_from
// (part of the key): a service valid since always.
const defaultValidFrom = "1900-01-01"

func readExemptionServices(ds *dataset, rr *rows) (int, error) {
	pairs := map[string]bool{}
	return 0, each(rr, func(rec []string) error {
		code, diag, service := rec[0], rec[1], rec[2]
		c, reason := parseCode(ds.validator, "exemption_code", code)
		if reason != "" {
			return rr.errf("%s", reason)
		}
		if reason := diagnosisReason("diagnosis_code", diag); reason != "" {
			return rr.errf("%s", reason)
		}
		if err := rr.match("service_code", service, reServiceCode, "a service code (upper-case letters, digits, dots, dashes)"); err != nil {
			return err
		}
		pos, err := rr.position("position", rec[3])
		if err != nil {
			return err
		}
		from, err := rr.date("valid_from", rec[4])
		if err != nil {
			return err
		}
		to, err := rr.date("valid_to", rec[5])
		if err != nil {
			return err
		}
		if from == "" {
			from = defaultValidFrom
		}
		x := &xsRec{src: rr.src(), exemption: c.value, diagnosis: diag, service: service, position: pos, from: from}
		if to != "" {
			if to < from { // same layout: string order is date order
				return rr.errf("valid_to %s is before valid_from %s", to, from)
			}
			x.to = &to
		}
		if x.demo, err = rr.boolean("demo", rec[6]); err != nil {
			return err
		}
		key := strings.Join([]string{x.exemption, x.diagnosis, x.service, x.from}, "|")
		if prev, ok := ds.xservices.get(key); ok {
			return rr.duplicate("service", fmt.Sprintf("%s for %s %s from %s", x.service, x.exemption, x.diagnosis, x.from), prev.src)
		}
		ds.xservices.put(key, x)
		if pair := x.exemption + "|" + x.diagnosis; !pairs[pair] {
			pairs[pair] = true
			ds.xsPairs = append(ds.xsPairs, pair)
		}
		return nil
	})
}

// --- lists --------------------------------------------------------------

func readRejectReasons(ds *dataset, rr *rows) (int, error) {
	return 0, each(rr, func(rec []string) error {
		code, desc := rec[0], rec[1]
		if err := rr.match("code", code, reKey, "an upper-case key (A-Z, 0-9, _)"); err != nil {
			return err
		}
		if err := rr.required("description", desc); err != nil {
			return err
		}
		pos, err := rr.position("position", rec[2])
		if err != nil {
			return err
		}
		if prev, ok := ds.reasons.get(code); ok {
			return rr.duplicate("reason", code, prev.src)
		}
		ds.reasons.put(code, &reasonRec{src: rr.src(), code: code, desc: desc, position: pos})
		return nil
	})
}

func readDocumentTypes(ds *dataset, rr *rows) (int, error) {
	return 0, each(rr, func(rec []string) error {
		code, label, desc := rec[0], rec[1], rec[2]
		if err := rr.match("code", code, reKey, "an upper-case key (A-Z, 0-9, _)"); err != nil {
			return err
		}
		if err := rr.required("label", label); err != nil {
			return err
		}
		if err := rr.required("description", desc); err != nil {
			return err
		}
		pos, err := rr.position("position", rec[3])
		if err != nil {
			return err
		}
		if prev, ok := ds.docTypes.get(code); ok {
			return rr.duplicate("document type", code, prev.src)
		}
		ds.docTypes.put(code, &docTypeRec{src: rr.src(), code: code, label: label, desc: desc, position: pos})
		return nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
