package catalog

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"esenzioni/domain/refdata"
	"esenzioni/migrations"
)

// --- without a database ---------------------------------------------------

// check loads sources and resolves references as if the database were
// empty.
func check(t *testing.T, opts Options, sources ...source) (*dataset, error) {
	t.Helper()
	ds, err := load(opts, nil, sources...)
	if err != nil {
		return nil, err
	}
	return ds, ds.resolve(context.Background(), noDatabase{})
}

func embeddedSources() []source {
	return []source{{fsys: refdata.Geo(), only: []string{FileASL}}, {fsys: refdata.Catalog()}}
}

func TestEmbeddedCatalogueIsValid(t *testing.T) {
	ds, err := check(t, Options{}, embeddedSources()...)
	require.NoError(t, err)

	assert.Equal(t, 12, ds.asl.len())
	torino, ok := ds.asl.get("010301")
	require.True(t, ok)
	assert.Equal(t, "CITTA' DI TORINO", torino.shortName)
	assert.Equal(t, "ASL CITTA' DI TORINO", torino.name)
	cn1, _ := ds.asl.get("010210")
	assert.Equal(t, "ASL CN1", cn1.name)
	require.NotNil(t, cn1.details)
	assert.Equal(t, "01128930045", cn1.details.taxCode)
	assert.False(t, cn1.details.demo)

	assert.Greater(t, ds.diagnoses.len(), 10000)
	for _, code := range []string{"2960", "7109", "V421", "5771", "2520", "2535", "000", "E8000"} {
		_, ok := ds.diagnoses.get(code)
		assert.True(t, ok, "diagnosis %s", code)
	}
	for _, code := range []string{"00", "0001", "296.0", "43"} { // procedures, dotted
		_, ok := ds.diagnoses.get(code)
		assert.False(t, ok, "diagnosis %s", code)
	}

	for _, code := range []string{"0A02", "0B02", "0C02", "0A31", "0031", "044", "067", "93A", "091", "RCG077", "C01", "R99"} {
		_, ok := ds.codes.get(code)
		assert.True(t, ok, "exemption code %s", code)
	}
	for _, code := range []string{"002A", "031A", "002", "E01", "E02", "E03", "E04", "P48"} {
		_, ok := ds.codes.get(code)
		assert.False(t, ok, "exemption code %s", code)
	}
	c93A, _ := ds.codes.get("93A")
	assert.Equal(t, "REGIONALE", c93A.level)
	assert.Equal(t, "MC", c93A.category)
	assert.Equal(t, "REG", c93A.family)
	c062, _ := ds.codes.get("062")
	assert.Equal(t, "RENE POLICISTICO AUTOSOMICO DOMINANTE", c062.desc, "the draft's 062- prefix is removed")
	c048, _ := ds.codes.get("048")
	assert.Equal(t, "Soggetti affetti da patologie neoplastiche maligne, tumori di comportamento incerto", c048.desc, "canonical description wins")

	// Links of the draft (044.296.7) and canonical durations.
	_, ok = ds.links.get("044|2967")
	assert.True(t, ok)
	_, ok = ds.links.get("0A02|4273")
	assert.False(t, ok)
	l, ok := ds.links.get("067|7109")
	require.True(t, ok)
	require.NotNil(t, l.durUnit)
	assert.Equal(t, "MONTHS", *l.durUnit)
	l, _ = ds.links.get("044|2965")
	assert.Nil(t, l.durUnit, "a draft link has no duration")
	for _, l := range ds.links.values() {
		_, ok := ds.diagnoses.get(l.diagnosis)
		assert.True(t, ok, "link %s/%s", l.exemption, l.diagnosis)
	}

	counts := map[string]int{}
	for _, x := range ds.xservices.values() {
		counts[x.exemption+"|"+x.diagnosis]++
	}
	assert.Equal(t, 663, counts["067|7109"])
	assert.Equal(t, 29, counts["044|2960"])
	assert.Equal(t, 4, counts["026|2520"])
	assert.Equal(t, 7, counts["012|2535"])
	assert.Equal(t, 15, counts["042|5771"])
	assert.Equal(t, 1, counts["048|000"])

	assert.Equal(t, 5, ds.docTypes.len())
	_, ok = ds.reasons.get("REQUISITI_NON_SUFFICIENTI")
	assert.True(t, ok)

	warnings := strings.Join(ds.report.Warnings, "\n")
	assert.Contains(t, warnings, "exemption by income (E01-E04), out of scope: E01 E02 E03 E04")
	assert.NotContains(t, warnings, "anpr_", "the other geographic files are not looked at")
}

// TestManualServicesFirst checks that the lists start as in the operator
// manual.
func TestManualServicesFirst(t *testing.T) {
	ds, err := check(t, Options{}, embeddedSources()...)
	require.NoError(t, err)
	first := func(pair string, n int) []string {
		var out []string
		for _, x := range ds.xservices.values() {
			if x.exemption+"|"+x.diagnosis == pair && len(out) < n {
				s, _ := ds.services.get(x.service)
				out = append(out, s.desc)
			}
		}
		return out
	}
	assert.Equal(t, []string{"VISITA DI CONTROLLO (di routine o di follow up). Escluso: le visite di controllo specificamente codificate",
		"CALCIO TOTALE", "CREATININA. Non associabile a 90.16.4", "FOSFATO INORGANICO (FOSFORO)"}, first("026|2520", 4))
	assert.Equal(t, []string{"VISITA PSICHIATRICA DI CONTROLLO",
		"(* la prestazione riguarda il dosaggio dei farmaci eventualmente utilizzati)",
		"ACIDO VALPROICO (*)", "AMITRIPTILINA (*)"}, first("044|2960", 4))
	assert.Contains(t, first("048|000", 1)[0], "Secondo le condizioni cliniche individuali: LE PRESTAZIONI SANITARIE APPROPRIATE")
	assert.Equal(t, "ANTICORPI ANTI NUCLEO (ANA)", first("067|7109", 10)[9])

	// After the manual's ten, 067/7109 lists the laboratory services of the
	// national catalogue (codes 90.* and 91.*) in the order of its file.
	var manual, rest []string
	for _, x := range ds.xservices.values() {
		if x.exemption+"|"+x.diagnosis == "067|7109" {
			if len(manual) < 10 {
				manual = append(manual, x.service)
			} else {
				rest = append(rest, x.service)
			}
		}
	}
	var lab []string
	for _, s := range ds.services.values() {
		if s.file == FileNationalServices && (strings.HasPrefix(s.code, "90.") || strings.HasPrefix(s.code, "91.")) && !slices.Contains(manual, s.code) {
			lab = append(lab, s.code)
		}
	}
	require.GreaterOrEqual(t, len(lab), 653)
	assert.Equal(t, lab[:653], rest)
}

// files builds a directory of catalogue files; every file starts with its
// header.
func files(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

const (
	hDiagnoses  = "code,description\n"
	hLinks      = "exemption_code,diagnosis_code,duration_value,duration_unit,demo\n"
	hXServices  = "exemption_code,diagnosis_code,service_code,position,valid_from,valid_to,demo\n"
	hCodes      = "code,description,category,level,demo\n"
	hServices   = "code,description,demo\n"
	hReasons    = "code,description,position\n"
	hDocTypes   = "code,label,description,position\n"
	hDistricts  = "asl_code,code,name,demo\n"
	hASLDetails = "code,legal_address,phone,pec,tax_code,demo\n"
	hICD9       = "version,code,description,release_date\n"
	hDraft      = "codice,descrizione,categoria,codice_padre,icd9_sottocodice\n"
)

// base defines a code, a diagnosis and a service the error cases refer to.
var base = []string{
	FileExemptionCodes, hCodes + "044,PSICOSI,MC,NAZIONALE,false\n",
	FileDiagnoses, hDiagnoses + "2960,DIS MANIACALE\n",
	FileServices, hServices + "94.12.1,VISITA PSICHIATRICA DI CONTROLLO,false\n",
}

func TestRowErrors(t *testing.T) {
	cases := []struct {
		name         string
		file, text   string
		line         int
		reason       string // exact, or a prefix when it ends with "..."
		withoutBase  bool
		extra        []string
		wantWarnings bool
	}{
		{name: "duration unit", file: FileExemptionDiagnoses,
			text: hLinks + "044,2960,,,true\n044,2960,2,WEEKS,true\n", line: 3,
			reason: `duration_unit "WEEKS" is not DAYS, MONTHS or YEARS`},
		{name: "duration value zero", file: FileExemptionDiagnoses,
			text: hLinks + "044,2960,0,DAYS,true\n", line: 2, reason: `duration_value "0" is not a whole number > 0`},
		{name: "duration value without unit", file: FileExemptionDiagnoses,
			text: hLinks + "044,2960,3,,true\n", line: 2, reason: `duration_value is "3" but duration_unit is empty`},
		{name: "duration unit without value", file: FileExemptionDiagnoses,
			text: hLinks + "044,2960,,YEARS,true\n", line: 2, reason: `duration_unit is "YEARS" but duration_value is empty`},
		{name: "field count", file: FileDiagnoses,
			text: hDiagnoses + "2960,DIS MANIACALE\n2961,A,B\n", line: 3, reason: "3 fields, want 2 (code,description)", withoutBase: true},
		{name: "header", file: FileRejectReasons,
			text: "codice,descrizione,posizione\nX,Y,1\n", line: 1, reason: `header is "codice,descrizione,posizione", want "code,description,position"`},
		{name: "empty file", file: FileDocumentTypes, text: "", line: 1, reason: `empty file: want the header "code,label,description,position"`},
		{name: "bare quote", file: FileRejectReasons,
			text: hReasons + "A,ok,1\nB,\"unterminated,2\n", line: 3, reason: "extraneous or missing \" in quoted-field"},
		{name: "multi-line row keeps its first line", file: FileRejectReasons,
			text: hReasons + "A,\"two\nlines\",1\nB,x,y\n", line: 4, reason: `position "y" is not a whole number >= 0`},
		{name: "position", file: FileDocumentTypes,
			text: hDocTypes + "CARTELLA,CARTELLA,Cartella clinica,-1\n", line: 2, reason: `position "-1" is not a whole number >= 0`},
		{name: "duplicate reason", file: FileRejectReasons,
			text: hReasons + "A,x,1\nA,y,2\n", line: 3, reason: "duplicate reason A (first at line 2)"},
		{name: "lower-case key", file: FileRejectReasons,
			text: hReasons + "altro,x,1\n", line: 2, reason: `code "altro" is not an upper-case key (A-Z, 0-9, _)`},
		{name: "valid_to before valid_from", file: FileExemptionServices,
			text: hXServices + "044,2960,94.12.1,1,2026-01-01,2025-12-31,true\n", line: 2,
			reason: "valid_to 2025-12-31 is before valid_from 2026-01-01",
			extra:  []string{FileExemptionDiagnoses, hLinks + "044,2960,,,true\n"}},
		{name: "bad date", file: FileExemptionServices,
			text: hXServices + "044,2960,94.12.1,1,01/01/2026,,true\n", line: 2, reason: `valid_from "01/01/2026" is not a date (YYYY-MM-DD)`},
		{name: "impossible date", file: FileExemptionServices,
			text: hXServices + "044,2960,94.12.1,1,2026-02-30,,true\n", line: 2, reason: `valid_from "2026-02-30" is not a date (YYYY-MM-DD)`},
		{name: "demo flag", file: FileExemptionDiagnoses,
			text: hLinks + "044,2960,,,si\n", line: 2, reason: `demo "si" is not true or false`},
		{name: "draft notation", file: FileExemptionDiagnoses,
			text: hLinks + "002A,2960,,,true\n", line: 2, reason: `exemption_code "002A" is in the HL7 draft notation: write "0A02"`},
		{name: "chronic code out of range", file: FileExemptionDiagnoses,
			text: hLinks + "099,2960,,,true\n", line: 2, reason: `exemption_code "099" is not among the codes of its family in the national table`},
		{name: "unknown family", file: FileExemptionDiagnoses,
			text: hLinks + "93A,2960,,,true\n", line: 2, reason: `exemption_code "93A" belongs to no family of the national table and is not a regional code`},
		{name: "diagnosis with dot", file: FileExemptionDiagnoses,
			text: hLinks + "044,296.0,,,true\n", line: 2, reason: `diagnosis_code "296.0" has a dot: write "2960"`},
		{name: "diagnosis format", file: FileDiagnoses,
			text: hDiagnoses + "29X1,X\n", line: 2, withoutBase: true,
			reason: `code "29X1" is not an ICD-9-CM diagnosis code without the dot (3-5 digits, V and 2-4 digits, or E and 3-4 digits)`},
		{name: "unknown diagnosis", file: FileExemptionDiagnoses,
			text: hLinks + "044,2960,,,true\n044,2961,,,true\n", line: 3,
			reason: "diagnosis_code 2961 is neither in this import nor in the database"},
		{name: "unknown exemption code", file: FileExemptionDiagnoses,
			text: hLinks + "045,2960,,,true\n", line: 2,
			reason: "exemption_code 045 is neither in this import nor in the database"},
		{name: "service of an unlinked pair", file: FileExemptionServices,
			text: hXServices + "044,2960,94.12.1,1,,,true\n", line: 2,
			reason: "exemption 044 is not linked to diagnosis 2960 (in exemption_diagnoses.csv, esenzioni_hl7it_bozza_commentata.csv or the database)"},
		{name: "unknown service", file: FileExemptionServices,
			text: hXServices + "044,2960,94.12.2,1,,,true\n", line: 2,
			reason: "service_code 94.12.2 is neither in this import nor in the database",
			extra:  []string{FileExemptionDiagnoses, hLinks + "044,2960,,,true\n"}},
		{name: "national code declared regional", file: FileExemptionCodes, withoutBase: true,
			text: hCodes + "93A,Prevenzione MST,MC,REGIONALE,false\n048,Neoplasie,MC,REGIONALE,false\n", line: 3,
			reason: "level REGIONALE: 048 is a code of the national table"},
		{name: "regional code declared national", file: FileExemptionCodes, withoutBase: true,
			text: hCodes + "091,HIV,MC,NAZIONALE,false\n", line: 2,
			reason: `code "091" is not among the codes of its family in the national table`},
		{name: "category of a national code", file: FileExemptionCodes, withoutBase: true,
			text: hCodes + "048,Neoplasie,MR,NAZIONALE,false\n", line: 2,
			reason: `category "MR" does not match the family of 048 (MC)`},
		{name: "regional code", file: FileExemptionCodes, withoutBase: true,
			text: hCodes + "93-A,Prevenzione MST,MC,REGIONALE,false\n", line: 2,
			reason: `code "93-A" is not a regional code (2 to 8 upper-case letters or digits)`},
		{name: "level", file: FileExemptionCodes, withoutBase: true,
			text: hCodes + "048,Neoplasie,MC,nazionale,false\n", line: 2, reason: `level "nazionale" is not NAZIONALE or REGIONALE`},
		{name: "district of an unknown ASL", file: FileDistricts,
			text: hDistricts + "010203,AMC,AREA M CENTRO,false\n", line: 2,
			reason: "asl_code 010203 is neither in asl_piemonte.csv nor in the database"},
		{name: "partita IVA", file: FileASLDetails,
			text: hASLDetails + "010210,\"Via Carlo Boggio 12, Cuneo\",0171450111,protocollo@example.it,01128930046,false\n", line: 2,
			reason: `tax_code "01128930046" fails the partita IVA check digit`},
		{name: "ICD-9 code", file: FileICD9, withoutBase: true,
			text: hICD9 + "\"\",296.0,Disturbo bipolare,\n\"\",29A.1,X,\n", line: 3,
			reason: `code "29A.1" is neither an ICD-9-CM diagnosis (123, 123.4, 123.45, V12.3, E123.4) nor a procedure (12, 12.3, 12.34)`},
		{name: "draft sub-row", file: FileDraftCodes, withoutBase: true,
			text: hDraft + "044,PSICOSI,cronica,044,\n044.296.7,X,cronica,044,296.8\n", line: 3,
			reason: `codice "044.296.7" is not codice_padre.icd9_sottocodice (044.296.8)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var kv []string
			if !tc.withoutBase {
				kv = append(kv, base...)
			}
			kv = append(kv, tc.extra...)
			kv = append(kv, tc.file, tc.text)
			_, err := check(t, Options{}, source{fsys: files(kv...)})
			var re *RowError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tc.file, re.File)
			assert.Equal(t, tc.line, re.Line)
			if prefix, ok := strings.CutSuffix(tc.reason, "..."); ok {
				assert.True(t, strings.HasPrefix(re.Reason, prefix), re.Reason)
			} else {
				assert.Equal(t, tc.reason, re.Reason)
			}
			assert.Equal(t, tc.file+":"+strconv.Itoa(tc.line)+": "+re.Reason, err.Error())
		})
	}
}

func TestOptionsRegional(t *testing.T) {
	text := hLinks + "93A,000,90,DAYS,true\n"
	fsys := files(FileDiagnoses, hDiagnoses+"000,-\n", FileExemptionDiagnoses, text)
	_, err := check(t, Options{}, source{fsys: fsys})
	require.Error(t, err)
	_, err = check(t, Options{Regional: []string{"93A"}}, source{fsys: fsys})
	var re *RowError
	require.ErrorAs(t, err, &re, "valid code, but not defined")
	assert.Equal(t, "exemption_code 93A is neither in this import nor in the database", re.Reason)
}

func TestUnknownFilesAreWarnings(t *testing.T) {
	ds, err := check(t, Options{}, source{fsys: files(
		"README.md", "notes",
		"prestazioni_2030.csv", "a,b\n",
		FileRejectReasons, hReasons+"ALTRO,Altro,90\n",
	)})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"README.md: not a catalogue file, ignored",
		"prestazioni_2030.csv: not a catalogue file, ignored",
	}, ds.report.Warnings)
	assert.Equal(t, []FileReport{{Name: FileRejectReasons, Rows: 1}}, ds.report.Files)
}

func TestDraftCodes(t *testing.T) {
	draft := hDraft +
		"002A.427,ARITMIE CARDIACHE,cronica,002A,427\n" + // before its parent
		"002A,MALATTIE CARDIACHE E DEL CIRCOLO POLMONARE,cronica,002A,\n" +
		"002,AFFEZIONI DEL SISTEMA CIRCOLATORIO,cronica,002,\n" +
		"002.427,ARITMIE CARDIACHE,cronica,002,427\n" +
		"062,062-RENE POLICISTICO AUTOSOMICO DOMINANTE,cronica,062,\n" +
		"E01,SOGGETTI CON MENO DI 6 ANNI,altro,E01,\n" +
		"P48,EMOCROMATOSI,altro,P48,\n" +
		"RCG077,DIFETTI CONGENITI,rara,RCG077,\n" +
		"044,PSICOSI,cronica,044,\n" +
		"044.296.7,SINDROME AFFETTIVA BIPOLARE,cronica,044,296.7\n" +
		"044.296.9,NON IN ICD-9,cronica,044,296.9\n"
	icd := hICD9 + "\"\",427,Aritmie cardiache,\n\"\",296.7,Disturbo bipolare,\n\"\",00.01,Terapia ad ultrasuoni,\n"
	ds, err := check(t, Options{}, source{fsys: files(FileDraftCodes, draft, FileICD9, icd)})
	require.NoError(t, err)
	assert.Equal(t, []string{"0A02", "062", "RCG077", "044"}, ds.codes.keys)
	c, _ := ds.codes.get("062")
	assert.Equal(t, "RENE POLICISTICO AUTOSOMICO DOMINANTE", c.desc)
	c, _ = ds.codes.get("RCG077")
	assert.Equal(t, "MR", c.category)
	assert.Equal(t, []string{"0A02|427", "044|2967"}, ds.links.keys)
	assert.Equal(t, []FileReport{
		{Name: FileICD9, Rows: 3, Skipped: 1},
		{Name: FileDraftCodes, Rows: 11, Skipped: 5},
	}, ds.report.Files)
	warnings := strings.Join(ds.report.Warnings, "\n")
	assert.Contains(t, warnings, "exemption by income (E01-E04), out of scope: E01")
	assert.Contains(t, warnings, "P48")
	assert.Contains(t, warnings, "sub-row of a code left out (002): 002.427")
	assert.Contains(t, warnings, "1 links left out, diagnosis unknown: 044/2969 (line 12)")
}

func TestCanonicalOverridesPublic(t *testing.T) {
	ds, err := check(t, Options{}, source{fsys: files(
		FileDraftCodes, hDraft+"048,PATOLOGIE NEOPLASTICHE MALIGNE,cronica,048,\n048.191.1,X,cronica,048,191.1\n",
		FileExemptionCodes, hCodes+"048,\"Soggetti affetti da patologie neoplastiche maligne, tumori di comportamento incerto\",,NAZIONALE,true\n",
		FileICD9, hICD9+"\"\",191.1,Tumori maligni del lobo frontale,\n",
		FileDiagnoses, hDiagnoses+"1911,TUMORE LOBO FRONTALE\n",
		FileExemptionDiagnoses, hLinks+"048,1911,5,YEARS,true\n",
	)})
	require.NoError(t, err)
	c, _ := ds.codes.get("048")
	assert.Equal(t, "Soggetti affetti da patologie neoplastiche maligne, tumori di comportamento incerto", c.desc)
	assert.Equal(t, "MC", c.category, "empty category: the family's")
	assert.True(t, c.demo)
	d, _ := ds.diagnoses.get("1911")
	assert.Equal(t, "TUMORE LOBO FRONTALE", d.desc)
	l, _ := ds.links.get("048|1911")
	require.NotNil(t, l.durValue)
	assert.Equal(t, 5, *l.durValue)
	assert.True(t, l.demo)
}

func TestRepairICD9(t *testing.T) {
	for in, want := range map[string]string{
		"Disturbi episodici dell???umore":                  "Disturbi episodici dell'umore",
		"Malattia ??????moyamoya??????":                    `Malattia "moyamoya"`,
		"pediatrico; dall??? 85?? percentile all???94?? p": "pediatrico; dall' 85° percentile all'94° p",
		"Ferita della cavit?? orale":                       "Ferita della cavità orale",
		"quattro o pi?? vasi":                              "quattro o più vasi",
		"catetere gi?? impiantato":                         "catetere già impiantato",
		"Sindrome di Se??zary":                             "Sindrome di Sézary",
		"senza esame ne?? trattamento":                     "senza esame né trattamento",
		"Gas lacrimogeni ??gas":                            "Gas lacrimogeni ??gas",
		"Colite ulcerosa":                                  "Colite ulcerosa",
	} {
		assert.Equal(t, want, repairICD9(in), in)
	}
}

// --- with PostgreSQL --------------------------------------------------------

const envPG = "ESENZIONI_TEST_PG_URL"

// testDB creates a migrated database with a random name, dropped at the end
// of the test. Without ESENZIONI_TEST_PG_URL the test is skipped, except
// under CI=true.
func testDB(tb testing.TB) *bun.DB {
	tb.Helper()
	admin := os.Getenv(envPG)
	if admin == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set under CI=true", envPG)
		}
		tb.Skipf("%s is not set: no PostgreSQL to test against", envPG)
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "catalog_test_" + hex.EncodeToString(b)

	adminDB := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(admin)))
	tb.Cleanup(func() { adminDB.Close() })
	_, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name)
	require.NoError(tb, err)

	u, err := url.Parse(admin)
	require.NoError(tb, err)
	u.Path = "/" + name
	db := bun.NewDB(sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(u.String()))), pgdialect.New())
	tb.Cleanup(func() {
		db.Close()
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := adminDB.ExecContext(cctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		assert.NoError(tb, err)
	})
	_, err = migrations.Migrate(ctx, db)
	require.NoError(tb, err)
	return db
}

// tableCounts counts the rows of every catalogue table.
func tableCounts(t *testing.T, db *bun.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range Tables() {
		n, err := db.NewSelect().Table(table).Count(context.Background())
		require.NoError(t, err)
		out[table] = int(n)
	}
	return out
}

// fingerprint hashes the content of the catalogue tables (ids aside).
func fingerprint(t *testing.T, db *bun.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT md5(string_agg(a::text, '|' ORDER BY code)) FROM asl a",
		"SELECT md5(string_agg(asl_code || code || name || demo, '|' ORDER BY asl_code, code)) FROM district",
		"SELECT md5(string_agg(d::text, '|' ORDER BY code)) FROM diagnosis d",
		"SELECT md5(string_agg(s::text, '|' ORDER BY code)) FROM service s",
		"SELECT md5(string_agg(c::text, '|' ORDER BY code)) FROM exemption_code c",
		"SELECT md5(string_agg(l::text, '|' ORDER BY exemption_code, diagnosis_code)) FROM exemption_diagnosis l",
		"SELECT md5(string_agg(x::text, '|' ORDER BY exemption_code, diagnosis_code, service_code, valid_from)) FROM exemption_service x",
		"SELECT md5(string_agg(r::text, '|' ORDER BY code)) FROM reject_reason r",
		"SELECT md5(string_agg(d::text, '|' ORDER BY code)) FROM document_type d",
	} {
		var s sql.NullString
		require.NoError(t, db.QueryRowContext(context.Background(), q).Scan(&s))
		b.WriteString(s.String + ";")
	}
	return b.String()
}

func TestImportEmbedded(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()

	var progress bytes.Buffer
	rep, err := ImportEmbedded(ctx, db, Options{Progress: &progress})
	require.NoError(t, err)
	t.Logf("first import: %s, rows %v", rep.Elapsed.Round(time.Millisecond), rep.Rows)
	assert.Contains(t, progress.String(), "diagnosis", "a progress bar for the ICD-9-CM diagnoses")

	counts := tableCounts(t, db)
	t.Logf("table counts: %v", counts)
	assert.Equal(t, 12, counts[TableASL])
	assert.Greater(t, counts[TableDiagnosis], 10000)
	assert.Greater(t, counts[TableService], 2000)
	assert.Equal(t, 5, counts[TableDocumentType])
	for _, table := range Tables() {
		assert.Equal(t, counts[table], rep.Rows[table], "report of %s", table)
	}

	var n int
	require.NoError(t, db.NewSelect().Table("diagnosis").Where("code IN ('2960', '7109', 'V421', '5771', '000')").ColumnExpr("count(*)").Scan(ctx, &n))
	assert.Equal(t, 5, n)
	require.NoError(t, db.NewSelect().Table("exemption_service").Where("exemption_code = '067' AND diagnosis_code = '7109'").ColumnExpr("count(*)").Scan(ctx, &n))
	assert.Equal(t, 663, n)
	require.NoError(t, db.NewSelect().TableExpr("exemption_diagnosis l").
		Where("NOT EXISTS (SELECT 1 FROM diagnosis d WHERE d.code = l.diagnosis_code)").ColumnExpr("count(*)").Scan(ctx, &n))
	assert.Zero(t, n, "every linked diagnosis exists")
	var asl struct {
		ShortName string `bun:"short_name"`
		Name      string `bun:"name"`
		TaxCode   string `bun:"tax_code"`
		Demo      bool   `bun:"demo"`
	}
	require.NoError(t, db.NewSelect().Table("asl").Column("short_name", "name", "tax_code", "demo").Where("code = '010210'").Scan(ctx, &asl))
	assert.Equal(t, "CN1", asl.ShortName)
	assert.Equal(t, "ASL CN1", asl.Name)
	assert.Equal(t, "01128930045", asl.TaxCode)
	assert.False(t, asl.Demo)
	var level, unit string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT level FROM exemption_code WHERE code = '93A'").Scan(&level))
	assert.Equal(t, "REGIONALE", level)
	require.NoError(t, db.QueryRowContext(ctx, "SELECT duration_unit FROM exemption_diagnosis WHERE exemption_code = '93A' AND diagnosis_code = '000'").Scan(&unit))
	assert.Equal(t, "DAYS", unit)

	// Idempotent: the same rows again, district ids unchanged.
	before := fingerprint(t, db)
	var districtIDs string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT string_agg(id::text, ',' ORDER BY id) FROM district").Scan(&districtIDs))
	rep2, err := ImportEmbedded(ctx, db, Options{})
	require.NoError(t, err)
	t.Logf("second import: %s", rep2.Elapsed.Round(time.Millisecond))
	assert.Equal(t, counts, tableCounts(t, db))
	assert.Equal(t, before, fingerprint(t, db))
	assert.Equal(t, rep.Rows, rep2.Rows)
	var districtIDs2 string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT string_agg(id::text, ',' ORDER BY id) FROM district").Scan(&districtIDs2))
	assert.Equal(t, districtIDs, districtIDs2)

	// Import() of the two embedded directories one after the other gives
	// the same rows too.
	_, err = Import(ctx, db, refdata.Catalog(), Options{})
	require.NoError(t, err)
	assert.Equal(t, before, fingerprint(t, db))

	// A malformed row anywhere: nothing of that import is applied.
	dir := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write(FileRejectReasons, hReasons+"NUOVA_MOTIVAZIONE,Una motivazione nuova,5\n")
	write(FileDiagnoses, hDiagnoses+"2960,DESCRIZIONE CAMBIATA\n")
	write(FileExemptionDiagnoses, hLinks+"044,2960,1,YEARS,false\n012,2535,2,WEEKS,true\n")
	_, err = Import(ctx, db, os.DirFS(dir), Options{})
	var re *RowError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "exemption_diagnoses.csv:3: duration_unit \"WEEKS\" is not DAYS, MONTHS or YEARS", err.Error())
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM reject_reason WHERE code = 'NUOVA_MOTIVAZIONE'").Scan(&n))
	assert.Zero(t, n, "the valid reason of the failed import is not there")
	assert.Equal(t, before, fingerprint(t, db))

	// A partial import with references to the database: details of an
	// existing ASL, a new district, a shorter list of services (the list
	// of a pair is replaced).
	dir = t.TempDir()
	write(FileASLDetails, hASLDetails+"010203,\"Via Martiri XXX Aprile 30, Collegno\",0114017111,,,false\n")
	write(FileDistricts, hDistricts+"010203,TEST,DISTRETTO DI PROVA,true\n")
	write(FileExemptionServices, hXServices+"026,2520,90.11.4,1,2026-01-01,2026-12-31,true\n026,2520,89.01,2,,,true\n")
	write(FileRejectReasons, hReasons+"NUOVA_MOTIVAZIONE,Una motivazione nuova,5\n")
	rep3, err := Import(ctx, db, os.DirFS(dir), Options{})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{TableASL: 1, TableDistrict: 1, TableExemptionService: 2, TableRejectReason: 1}, rep3.Rows)
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM exemption_service WHERE exemption_code = '026' AND diagnosis_code = '2520'").Scan(&n))
	assert.Equal(t, 2, n)
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM exemption_service WHERE exemption_code = '067'").Scan(&n))
	assert.Equal(t, 663, n, "other lists untouched")
	var name string
	require.NoError(t, db.QueryRowContext(ctx, "SELECT name || '/' || legal_address FROM asl WHERE code = '010203'").Scan(&name))
	assert.Equal(t, "ASL TO3/Via Martiri XXX Aprile 30, Collegno", name)
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM reject_reason WHERE code = 'NUOVA_MOTIVAZIONE'").Scan(&n))
	assert.Equal(t, 1, n)
}

func TestImportUnknownReferenceInDatabase(t *testing.T) {
	db := testDB(t)
	ctx := context.Background()
	_, err := Import(ctx, db, files(FileDistricts, hDistricts+"010203,AMC,AREA M CENTRO,false\n"), Options{})
	var re *RowError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "districts.csv:2: asl_code 010203 is neither in asl_piemonte.csv nor in the database", err.Error())
	assert.False(t, errors.Is(err, context.Canceled))
}

// BenchmarkImportEmbedded measures a full import of the embedded catalogue
// into a fresh database (the first iteration inserts, the others update
// nothing but still send every row).
func BenchmarkImportEmbedded(b *testing.B) {
	db := testDB(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := ImportEmbedded(ctx, db, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
