package bench

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"esenzioni/adapters/promemoria"
)

// PDFReport compares the promemoria PDF with the same content as HTML.
type PDFReport struct {
	Services   int     `json:"services"`
	PDFMS      float64 `json:"pdfMs"`
	HTMLMS     float64 `json:"htmlMs"`
	PDFBytes   int     `json:"pdfBytes"`
	PDFAllocMB float64 `json:"pdfAllocMb"`
	Ratio      float64 `json:"ratio"`
}

// promemoria663 is a promemoria with the 663 services of the manual's
// example (067 Connettiviti indifferenziate).
func promemoria663() promemoria.Promemoria {
	p := promemoria.Promemoria{
		ASL:    promemoria.Authority{Name: "ASL CN1", LegalAddress: "Via Carlo Boggio, 12 Cuneo", Phone: "0171450111", PEC: "protocollo@aslcn1.legalmailPA.it", TaxCode: "01128930045"},
		Number: "202601021000000044",
		Beneficiary: promemoria.Beneficiary{FirstName: "SOGGETTO", LastName: "QUARTO", BirthDate: time.Date(1978, 2, 10, 0, 0, 0, 0, time.UTC),
			BirthPlace: "CUNEO", ResidenceAddress: "VIA ROMA 1", ResidenceComune: "CUNEO", FiscalCode: "QRTSGT78B10D205X", CardNumber: "80380000000000000001"},
		IssuedOn: time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), Code: "067", CodeDescription: "Connettiviti indifferenziate",
		DiagnosisCode: "7109", DiagnosisDescription: "Mal diff tess connet sai", ASLShort: "ASL CN1", GeneratedAt: time.Now(),
	}
	end := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	p.EndDate = &end
	for i := 0; i < 663; i++ {
		desc := fmt.Sprintf("PRESTAZIONE DI LABORATORIO N. %d: dosaggio, determinazione quantitativa e refertazione", i+1)
		if i%9 == 0 {
			desc += "; incluso prelievo, esclusi i controlli di qualità eseguiti dalla struttura erogatrice e le ripetizioni per campione non idoneo"
		}
		p.Services = append(p.Services, promemoria.Service{Code: fmt.Sprintf("90.%02d.%d", i/10, i%10), Description: desc})
	}
	return p
}

func pdfBench() *PDFReport {
	p := promemoria663()
	var size int
	pdf := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var buf bytes.Buffer
			if err := promemoria.WritePDF(&buf, p); err != nil {
				b.Fatal(err)
			}
			size = buf.Len()
		}
	})
	html := testing.Benchmark(func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := promemoria.WriteHTML(io.Discard, p); err != nil {
				b.Fatal(err)
			}
		}
	})
	r := &PDFReport{Services: len(p.Services), PDFBytes: size,
		PDFMS: float64(pdf.NsPerOp()) / 1e6, HTMLMS: float64(html.NsPerOp()) / 1e6,
		PDFAllocMB: float64(pdf.AllocedBytesPerOp()) / (1 << 20)}
	r.PDFMS, r.HTMLMS = round2(r.PDFMS), round2(r.HTMLMS)
	r.PDFAllocMB = round2(r.PDFAllocMB)
	r.Ratio = ratio(r.PDFMS, r.HTMLMS)
	return r
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }
