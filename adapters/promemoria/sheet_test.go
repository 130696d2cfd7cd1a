package promemoria

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ---- fixtures ----

const number = "20260102100000044"

// analytes and qualifiers combine into unique service descriptions; no
// description is contained in another (checked by services()).
var analytes = []string{
	"ANAMNESI E VALUTAZIONE DEFINITE BREVI Storia e valutazione abbreviata, visita successiva alla prima",
	"CREATINCHINASI (CPK o CK)",
	"CREATININA [S/U/dU/La]",
	"GAMMA GLUTAMIL TRANSPEPTIDASI (gamma GT) [S/U]",
	"PROTEINE (ELETTROFORESI DELLE) [S] - Incluso: Dosaggio Proteine totali.",
	"URINE ESAME CHIMICO FISICO E MICROSCOPICO",
	"ANTICORPI ANTI ANTIGENI NUCLEARI ESTRAIBILI (ENA)",
	"ANTICORPI ANTI DNA NATIVO",
	"ANTICORPI ANTI NUCLEO (ANA)",
	"EMOCROMO: Hb, GR, GB, HCT, PLT, IND. DERIV., F. L.",
	"VELOCITÀ DI SEDIMENTAZIONE DELLE EMAZIE (VES)",
	"PROTEINA C REATTIVA (Quantitativa)",
	"COMPLEMENTO: C3, C4",
	"FATTORE REUMATOIDE",
	"ALANINA AMINOTRANSFERASI (ALT) (GPT) [S/U]",
	"ASPARTATO AMINOTRANSFERASI (AST) (GOT) [S]",
	"GLUCOSIO [S/P/U/dU/La]",
	"POTASSIO [S/U/dU/(Sg)Er]",
	"SODIO [S/U/dU/(Sg)Er]",
	"CALCIO TOTALE [S/U/dU]",
	"FOSFATASI ALCALINA",
	"BILIRUBINA TOTALE E FRAZIONATA",
	"COLESTEROLO HDL",
	"TRIGLICERIDI",
	"ELETTROCARDIOGRAMMA",
	"ECOGRAFIA DELL'ADDOME COMPLETO",
	"RADIOGRAFIA DEL TORACE DI ROUTINE, NAS",
	"SPIROMETRIA SEMPLICE",
	"CAPILLAROSCOPIA CON VIDEOREGISTRAZIONE",
	"ECOCOLORDOPPLERGRAFIA CARDIACA a riposo",
	"VISITA REUMATOLOGICA DI CONTROLLO",
	"VISITA OCULISTICA: Esame del fundus oculi",
	"TEST DI SCHIRMER",
	"DIFFUSIONE ALVEOLO-CAPILLARE DEL CO (DLCO)",
	"TOMOGRAFIA COMPUTERIZZATA (TC) DEL TORACE",
	"ANTICORPI ANTI CARDIOLIPINA (IgG, IgM)",
	"ANTICORPI ANTI CENTROMERO",
	"ANTICORPI ANTI Scl-70",
	"IMMUNOGLOBULINE: IgA, IgG, IgM",
	"CRIOGLOBULINE RICERCA",
	"TIREOTROPINA (TSH)",
	"ESAME DEL SEDIMENTO URINARIO",
	"MICROALBUMINURIA",
	"CLEARANCE DELLA CREATININA",
	"EMOGASANALISI ARTERIOSA SISTEMICA",
	"TEST DEL CAMMINO (6 minuti)",
	"Valutazione della Connettività funzionale",
	"Attività PROTROMBINICA (PT)",
	"TEMPO DI TROMBOPLASTINA PARZIALE (PTT)",
	"FIBRINOGENO FUNZIONALE",
	"FERRITINA [P/(Sg)Er]",
	"SIDEREMIA",
	"VITAMINA B12",
	"ELETTROMIOGRAFIA SEMPLICE [EMG]",
}

var qualifiers = []string{
	"nel monitoraggio della terapia immunosoppressiva",
	"controllo semestrale",
	"1° accesso di follow-up",
	"in corso di attività di malattia",
	"erogabile anche in regime di day service",
	"su richiesta dello specialista dell'ASL",
	"per la valutazione dell'interessamento d'organo",
	"con referto comparato al precedente",
	"in caso di riacutizzazione, perché clinicamente indicato",
	"per la verifica dell'efficacia del trattamento",
	"incluso il prelievo venoso",
	"con valori di creatinina ≥ 1,5 mg/dl", // ≥ was not in cp1252, the old encoding
	"più eventuale ripetizione entro 30 giorni",
}

// longNote makes a description wrap over three lines or more.
func longNote(i int) string {
	return fmt.Sprintf("Nota: Perché la prestazione sia erogabile in esenzione è necessaria la prescrizione "+
		"dello specialista del centro di riferimento; Attività di monitoraggio della Connettività "+
		"polmonare e dell'interessamento d'organo documentata nel fascicolo sanitario elettronico, "+
		"con referto consegnato all'assistito entro 30 giorni dall'esecuzione (rif. n° %d).", i)
}

func services(t testing.TB, n int) []Service {
	t.Helper()
	out := make([]Service, 0, n)
	for i := 0; len(out) < n; i++ {
		a, q := analytes[i%len(analytes)], qualifiers[(i/len(analytes))%len(qualifiers)]
		require.Less(t, i, len(analytes)*len(qualifiers), "not enough combinations")
		desc := a + "; " + q
		if i%17 == 5 {
			desc += ". " + longNote(i)
		}
		s := Service{Description: desc}
		if i%50 != 7 { // a few services without code
			s.Code = fmt.Sprintf("%d.%02d.%d", 87+i%6, i%97, i%10)
		}
		out = append(out, s)
	}
	if n <= 700 { // no description contains another: "exactly once" is meaningful
		for i := range out {
			for j := range out {
				if i != j && strings.Contains(out[j].Description, out[i].Description) {
					t.Fatalf("service %d is contained in %d", i, j)
				}
			}
		}
	}
	return out
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func promemoria(t testing.TB, n int) Promemoria {
	end := date(2026, 3, 4)
	return Promemoria{
		ASL: Authority{
			Name:         "ASL CN1",
			LegalAddress: "Via Carlo Boggio, 12 Cuneo",
			Phone:        "0171450111",
			PEC:          "protocollo@pec.aslcn1.it",
			TaxCode:      "01128930045",
		},
		Number: number,
		Beneficiary: Beneficiary{
			FirstName:        "Niccolò",
			LastName:         "D'Alò Ștefănescu", // Ș and ă were not in cp1252, the old encoding
			BirthDate:        date(1958, 3, 12),
			BirthPlace:       "Mondovì (CN)",
			ResidenceAddress: "Via Sant'Anna 5",
			ResidenceComune:  "Cuneo (CN)",
			FiscalCode:       "DLANCC58C12F351X",
			CardNumber:       "80380001200012345678",
		},
		IssuedOn:             date(2026, 2, 27),
		Code:                 "067",
		CodeDescription:      "Connettiviti indifferenziate",
		DiagnosisCode:        "7109",
		DiagnosisDescription: "Mal diff tess connet sai",
		EndDate:              &end,
		ASLShort:             "ASL CN1",
		Services:             services(t, n),
		GeneratedAt:          time.Date(2026, 2, 27, 9, 15, 0, 0, time.UTC), // 10:15 in Rome
	}
}

// pdfExpected is how a UTF-8 text of the fixtures reads back from the PDF:
// unchanged, the embedded font draws every character they use.
func pdfExpected(s string) string { return s }

// ---- poppler ----

func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (apt-get install poppler-utils): %v", name, err)
		}
		t.Skipf("%s not found (apt-get install poppler-utils)", name)
	}
	return path
}

func writePDF(t *testing.T, p Promemoria) (path string, size int) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WritePDF(&buf, p))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")))
	path = filepath.Join(t.TempDir(), "promemoria.pdf")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path, buf.Len()
}

// pdfText runs pdftotext, with or without -layout, and returns the pages.
func pdfText(t *testing.T, path string, layout bool) []string {
	t.Helper()
	args := []string{"-enc", "UTF-8"}
	if layout {
		args = append(args, "-layout")
	}
	out, err := exec.Command(tool(t, "pdftotext"), append(args, path, "-")...).Output()
	require.NoError(t, err)
	pages := strings.Split(string(out), "\f")
	if last := len(pages) - 1; strings.TrimSpace(pages[last]) == "" {
		pages = pages[:last]
	}
	return pages
}

// pageCount asks pdfinfo, or falls back to counting pdftotext's form feeds.
func pageCount(t *testing.T, path string) int {
	t.Helper()
	if bin, err := exec.LookPath("pdfinfo"); err == nil {
		out, err := exec.Command(bin, path).Output()
		require.NoError(t, err)
		m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(out)
		require.NotNil(t, m, "pdfinfo output: %s", out)
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	return len(pdfText(t, path, false))
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

// ---- tests ----

func TestPDF663(t *testing.T) {
	p := promemoria(t, 663)
	path, size := writePDF(t, p)
	pages := pageCount(t, path)
	t.Logf("663 services: %d pages, %d bytes", pages, size)
	assert.Greater(t, pages, 5)
	assert.Less(t, size, 150<<10, "the PDF should stay small")

	for _, layout := range []bool{false, true} {
		t.Run(fmt.Sprintf("layout=%v", layout), func(t *testing.T) {
			perPage := pdfText(t, path, layout)
			require.Len(t, perPage, pages)
			for i := range perPage {
				perPage[i] = norm(perPage[i])
			}
			text := strings.Join(perPage, " ")

			for _, want := range []string{
				"PROMEMORIA ATTESTATO DI SINGOLA ESENZIONE PER PATOLOGIA n. " + number,
				"Attestazione singola di esenzione della partecipazione al costo delle prestazioni di assistenza sanitaria",
				"ASL CN1",
				"Sede Legale - Via Carlo Boggio, 12 Cuneo - Telefono: 0171450111",
				"PEC: protocollo@pec.aslcn1.it - Codice Fiscale/Partita IVA 01128930045",
				"Assistito/a Niccolò D'Alò Ștefănescu nato/a il 12/03/1958 a Mondovì (CN)",
				"Residente Via Sant'Anna 5, Cuneo (CN)",
				"CF DLANCC58C12F351X",
				"Tessera regionale 80380001200012345678",
				"In base alla documentazione prodotta, si attesta il diritto del cittadino sopraindicato a beneficiare della seguente esenzione:",
				"Data emissione", "Scadenza", "27-02-2026", "04-03-2026",
				"Dettaglio esenzione",
				"Esenzione 067 - Connettiviti indifferenziate",
				"Diagnosi 7109 - Mal diff tess connet sai",
				"Prestazioni Esenti: 663 prestazioni",
				"Connettività", "Perché", "Attività", "n° ",
				"Documento generato il 27/02/2026 alle ore 10:15",
			} {
				assert.Contains(t, text, want)
			}
			if !layout { // wrapped table cells interleave with -layout
				assert.Contains(t, text, "Data emissione Codice Diagnosi Scadenza ASL")
				assert.Contains(t, text, "067 - Connettiviti indifferenziate 7109 - Mal diff tess connet sai")
			}

			// Every service exactly once, whole on one page, in order.
			last := -1
			for i, s := range p.Services {
				desc := norm(pdfExpected(s.Description))
				require.Equal(t, 1, strings.Count(text, desc), "service %d: %q", i+1, desc)
				on := 0
				for _, page := range perPage {
					if strings.Contains(page, desc) {
						on++
					}
				}
				require.Equal(t, 1, on, "service %d is split across pages: %q", i+1, desc)
				at := strings.Index(text, desc)
				require.Greater(t, at, last, "service %d out of order", i+1)
				last = at
			}

			// Footer and continuation heading on every page.
			for i, page := range perPage {
				label := fmt.Sprintf("Pagina %d di %d", i+1, pages)
				assert.Equal(t, 1, strings.Count(page, label), "page %d lacks %q", i+1, label)
				assert.Contains(t, page, "Documento generato il 27/02/2026 alle ore 10:15")
				if i > 0 {
					assert.Contains(t, page, "Prestazioni esenti (segue)", "page %d", i+1)
					assert.Contains(t, page, "Promemoria esenzione n. "+number, "page %d", i+1)
				}
			}
			first := norm(pdfExpected(p.Services[0].Description))
			assert.Contains(t, perPage[0], "Prestazioni Esenti:")
			assert.Contains(t, perPage[0], first, "the heading stays with the first service")
			assert.Equal(t, pages, strings.Count(text, "Pagina "))
			assert.Equal(t, pages-1, strings.Count(text, "Prestazioni esenti (segue)"))
		})
	}
}

func TestPDFWithoutEndDate(t *testing.T) {
	p := promemoria(t, 20)
	p.EndDate = nil
	path, _ := writePDF(t, p)
	text := norm(strings.Join(pdfText(t, path, false), " "))
	assert.Contains(t, text, "27-02-2026 067 - Connettiviti indifferenziate 7109 - Mal diff tess connet sai Nessuna ASL CN1")
	assert.NotContains(t, text, "04-03-2026")
}

func TestPDFSmallFitsOnePage(t *testing.T) {
	p := promemoria(t, 3)
	path, size := writePDF(t, p)
	require.Equal(t, 1, pageCount(t, path))
	t.Logf("3 services: %d bytes", size)
	for _, layout := range []bool{false, true} {
		text := norm(strings.Join(pdfText(t, path, layout), " "))
		assert.Contains(t, text, "Pagina 1 di 1")
		assert.Contains(t, text, "Prestazioni Esenti: 3 prestazioni")
		assert.NotContains(t, text, "(segue)")
		for _, s := range p.Services {
			assert.Contains(t, text, norm(pdfExpected(s.Description)))
		}
	}
}

func TestPDFEdgeCases(t *testing.T) {
	tool(t, "pdftotext")
	p := promemoria(t, 40)
	p.Services = append(p.Services,
		Service{Code: "99.99", Description: "Prestazione con emoji 🙂 e\tspazi\n  multipli"},
		Service{Description: strings.Repeat("Parolalunghissimasenzaspazi", 12)}, // breaks inside the word
		Service{Code: "  ", Description: " "},                                   // dropped
	)
	huge := Service{Code: "00.01", Description: strings.TrimSpace(strings.Repeat("Descrizione enorme che non sta in una pagina. ", 800))}
	p.Services = append(p.Services, huge, Service{Code: "00.02", Description: "Ultima prestazione dopo quella enorme"})
	p.Beneficiary = Beneficiary{} // all missing
	p.ASL.Phone = ""
	p.DiagnosisCode, p.DiagnosisDescription = "", ""
	path, _ := writePDF(t, p)
	text := norm(strings.Join(pdfText(t, path, false), " "))
	assert.Contains(t, text, "Prestazione con emoji ? e spazi multipli")
	assert.Contains(t, text, "Sede Legale - Via Carlo Boggio, 12 Cuneo PEC:")
	assert.Contains(t, text, "Assistito/a – Residente – CF – Tessera regionale –")
	assert.Contains(t, text, "Diagnosi –")
	assert.Contains(t, text, "Ultima prestazione dopo quella enorme")
	assert.Contains(t, text, "Prestazioni Esenti: 44 prestazioni")
	assert.Contains(t, text, "44. 00.02 Ultima")
}

// TestPDFUnicode checks that the embedded font prints what cp1252, the
// encoding of the core fonts used before, lacked, and what it had.
func TestPDFUnicode(t *testing.T) {
	p := promemoria(t, 3)
	p.CodeDescription = "Connettiviti «indifferenziate» – l’esenzione vale 36,15 €"
	p.Services[0].Description = "Dosaggio β₂-microglobulina ≤ 3 μg/ml, “urgente”; Ø ± 2 mm… e dell’Ædes"
	p.Beneficiary.LastName = "Żółkiewska-Dvořák"
	path, _ := writePDF(t, p)
	text := norm(strings.Join(pdfText(t, path, false), " "))
	for _, want := range []string{
		"Esenzione 067 - Connettiviti «indifferenziate» – l’esenzione vale 36,15 €",
		"Dosaggio β₂-microglobulina ≤ 3 μg/ml, “urgente”; Ø ± 2 mm… e dell’Ædes",
		"Assistito/a Niccolò Żółkiewska-Dvořák nato/a",
	} {
		assert.Contains(t, text, want)
	}
}

func TestPDFNoServices(t *testing.T) {
	p := promemoria(t, 0)
	path, _ := writePDF(t, p)
	require.Equal(t, 1, pageCount(t, path))
	text := norm(strings.Join(pdfText(t, path, false), " "))
	assert.Contains(t, text, "Prestazioni Esenti: 0 prestazioni "+noServices)
}

func TestDeterministicAndConcurrent(t *testing.T) {
	p := promemoria(t, 100)
	var want bytes.Buffer
	require.NoError(t, WritePDF(&want, p))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var got bytes.Buffer
			assert.NoError(t, WritePDF(&got, p))
			assert.True(t, bytes.Equal(want.Bytes(), got.Bytes()), "same input, same bytes")
		})
	}
	wg.Wait()
}

func TestHTML(t *testing.T) {
	p := promemoria(t, 663)
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, p))
	page := buf.String()
	for _, want := range []string{
		`<html lang="it">`,
		"<title>PROMEMORIA ATTESTATO DI SINGOLA ESENZIONE PER PATOLOGIA n. " + number + "</title>",
		`<h1>PROMEMORIA ATTESTATO DI SINGOLA ESENZIONE PER PATOLOGIA <span class="nowrap">n. ` + number + "</span></h1>",
		"Sede Legale - Via Carlo Boggio, 12 Cuneo - Telefono: 0171450111",
		"Niccolò D&#39;Alò Ștefănescu", // HTML keeps every Unicode character
		"DLANCC58C12F351X", "80380001200012345678",
		"<td>067 - Connettiviti indifferenziate</td>", "<td>04-03-2026</td>",
		"break-inside: avoid", "page-break-inside: avoid",
		"Prestazioni Esenti:", "663 prestazioni",
	} {
		assert.Contains(t, page, want)
	}
	assert.Equal(t, 663, strings.Count(page, "<li>"))
	for i, s := range p.Services {
		assert.Equal(t, 1, strings.Count(page, ">"+html.EscapeString(s.Description)+"<"), "service %d", i+1)
	}

	p.EndDate = nil
	buf.Reset()
	require.NoError(t, WriteHTML(&buf, p))
	assert.Contains(t, buf.String(), "<td>Nessuna</td>")
}

func TestValidation(t *testing.T) {
	p := promemoria(t, 1)
	p.Number, p.Code, p.GeneratedAt = " ", "", time.Time{}
	err := WritePDF(io.Discard, p)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "Number, Code, GeneratedAt")
	require.ErrorIs(t, WriteHTML(io.Discard, p), ErrInvalid)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterErrors(t *testing.T) {
	p := promemoria(t, 10)
	assert.ErrorContains(t, WritePDF(failingWriter{}, p), "disk full")
	assert.ErrorContains(t, WriteHTML(failingWriter{}, p), "disk full")
}

func TestPDFString(t *testing.T) {
	for in, want := range map[string]string{
		"Perché l'attività è più":    "Perché l'attività è più",
		"  a \t b\n\nc  ":            "a b c",
		"Łukasz Dvořák Ștefan ț":     "Łukasz Dvořák Ștefan ț",
		"≥ 5 µg, 10 μg, 3°, α β ≤ ≠": "≥ 5 µg, 10 μg, 3°, α β ≤ ≠",
		"“citato” – € ’ « » ‘x’ …":   "“citato” – € ’ « » ‘x’ …",
		"emoji 🙂, cinese 中":          "emoji ?, cinese ?",
		"soft\u00adhyphen\u200bzwsp": "softhyphenzwsp",
		"":                           "",
		"a - b -c":                   "a -\u00a0b -c",
		"anti\u2011HCV":              "anti-HCV", // the font lacks the non-breaking hyphen
	} {
		assert.Equal(t, want, pdfString(in), in)
	}
}

func TestFontCoverage(t *testing.T) {
	set := glyphs()
	n := 0
	for r := rune(0); r < 0x10000; r++ {
		if set.has(r) {
			n++
		}
	}
	t.Logf("%d code points drawn by both faces", n)
	assert.Greater(t, n, 2000)
	// Every printable character of Latin-1, Latin Extended-A and cp1252
	// (the old core-font encoding), and the Greek letters of lab names.
	for r := rune(0x20); r <= 0x17f; r++ {
		if unicode.IsPrint(r) && r != 0xa0 && r != 0xad {
			assert.True(t, set.has(r), "%U %c", r, r)
		}
	}
	for _, r := range "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ«»ȘșȚțαβγδεκλμωΩ≤≥≠−×′″" {
		assert.True(t, set.has(r), "%U %c", r, r)
	}
	for _, r := range "🙂中\u0000" {
		assert.False(t, set.has(r), "%U", r)
	}
}

// ---- benchmarks ----

type counter struct{ n int }

func (c *counter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func BenchmarkPDF663(b *testing.B) {
	p := promemoria(b, 663)
	var c counter
	b.ReportAllocs()
	for b.Loop() {
		c.n = 0
		if err := WritePDF(&c, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.n), "pdf-bytes")
}

func BenchmarkHTML663(b *testing.B) {
	p := promemoria(b, 663)
	var c counter
	b.ReportAllocs()
	for b.Loop() {
		c.n = 0
		if err := WriteHTML(&c, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.n), "html-bytes")
}
