// Package sheet renders the "promemoria esenzione": the reminder of a single
// exemption for disease (section 7.1 of the operator manual, "Scarica
// promemoria esenzione") that an operator downloads and hands to the citizen.
//
// The original system printed only the first exempt service; this package
// prints every one of them (an exemption may have several hundred), with page
// breaks that never split a service, a continuation heading on the following
// pages and "Pagina X di Y" in the footer.
//
// WritePDF renders an A4 PDF with an embedded UTF-8 font (Liberation Sans,
// metrically compatible with Helvetica, subset to the characters used);
// WriteHTML renders the same content as a standalone printable
// HTML page. Both take a Promemoria, a plain value the caller fills from its
// own models; the package has no dependency on the rest of the application.
package promemoria

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Rome everywhere
)

// Promemoria is the content of a promemoria for one exemption.
//
// Calendar dates (BirthDate, IssuedOn, EndDate) are printed as they are,
// whatever their location (the application carries them as midnight UTC);
// GeneratedAt is an instant and is printed in Europe/Rome time.
type Promemoria struct {
	// ASL is the health authority in the header of the first page.
	ASL Authority
	// Number is the practice number, or the registry id of an exemption
	// issued without a practice. Required.
	Number string
	// Beneficiary is the citizen the exemption belongs to.
	Beneficiary Beneficiary
	// IssuedOn is the issue date ("Data emissione").
	IssuedOn time.Time
	// Code and CodeDescription identify the exemption ("067",
	// "Connettiviti indifferenziate"). Code is required.
	Code            string
	CodeDescription string
	// DiagnosisCode and DiagnosisDescription identify the diagnosis ("7109",
	// "Mal diff tess connet sai").
	DiagnosisCode        string
	DiagnosisDescription string
	// EndDate is the last day of validity; nil means no expiry ("Nessuna").
	EndDate *time.Time
	// ASLShort is the ASL shown in the table's ASL column (the issuing ASL,
	// e.g. "ASL CN1"); when empty ASL.Name is used.
	ASLShort string
	// Services are the exempt services, printed all and in this order.
	Services []Service
	// GeneratedAt is the generation instant printed in every footer
	// ("Documento generato il ..."). Required.
	GeneratedAt time.Time
}

// Authority is the header of the promemoria: the ASL issuing the document.
type Authority struct {
	Name         string // "ASL CN1"
	LegalAddress string // "Via Carlo Boggio, 12 Cuneo"
	Phone        string // "0171450111"
	PEC          string // "protocollo@pec.aslcn1.it"
	TaxCode      string // Codice Fiscale/Partita IVA
}

// Beneficiary is the citizen ("Assistito/a").
type Beneficiary struct {
	FirstName        string
	LastName         string
	BirthDate        time.Time
	BirthPlace       string // comune (or foreign state) of birth
	ResidenceAddress string // "Via Roma 1"
	ResidenceComune  string // "Cuneo (CN)"
	FiscalCode       string
	CardNumber       string // "Tessera regionale"
}

// Service is one exempt service of the regional catalogue.
type Service struct {
	Code        string // optional, printed in its own column when present
	Description string
}

// ErrInvalid is wrapped by the errors returned for an unusable Promemoria.
var ErrInvalid = errors.New("sheet: invalid promemoria")

// Validate reports whether p carries what the document cannot do without.
func (p *Promemoria) Validate() error {
	var missing []string
	if strings.TrimSpace(p.Number) == "" {
		missing = append(missing, "Number")
	}
	if strings.TrimSpace(p.Code) == "" {
		missing = append(missing, "Code")
	}
	if p.GeneratedAt.IsZero() {
		missing = append(missing, "GeneratedAt")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s", ErrInvalid, strings.Join(missing, ", "))
	}
	return nil
}

// Fixed texts of the document.
const (
	titlePrefix    = "PROMEMORIA ATTESTATO DI SINGOLA ESENZIONE PER PATOLOGIA"
	subtitle       = "Attestazione singola di esenzione della partecipazione al costo delle prestazioni di assistenza sanitaria"
	statement      = "In base alla documentazione prodotta, si attesta il diritto del cittadino sopraindicato a beneficiare della seguente esenzione:"
	detailHeading  = "Dettaglio esenzione"
	servicesTitle  = "Prestazioni Esenti:"
	servicesNext   = "Prestazioni esenti (segue)"
	noServices     = "Nessuna prestazione esente indicata."
	noEndDate      = "Nessuna"
	missingValue   = "–"          // en dash: a "-" ending a line is taken for a hyphenation by text extractors
	tableDateShape = "02-01-2006" // dates in the table, as in the manual
	textDateShape  = "02/01/2006" // dates in sentences
)

var tableHeader = [5]string{"Data emissione", "Codice", "Diagnosi", "Scadenza", "ASL"}

// view is the promemoria as the strings both renderers print (UTF-8, white
// space collapsed), so that the PDF and the HTML page carry the same content.
type view struct {
	ASLName    string
	ASLLine1   string // "Sede Legale - <address> - Telefono: <phone>"
	ASLLine2   string // "PEC: <pec> - Codice Fiscale/Partita IVA <tax code>"
	Number     string
	Name       string // "FIRST LAST"
	BirthDate  string
	BirthPlace string
	Residence  string
	FiscalCode string
	CardNumber string
	Row        [5]string // the table's only row
	Exemption  string    // "067 - Connettiviti indifferenziate"
	Diagnosis  string    // "7109 - Mal diff tess connet sai"
	Services   []Service
	HasCodes   bool   // at least one service has a code
	Generated  string // "27/02/2026 alle ore 10:15"
	Running    string // identification repeated on the following pages
}

func newView(p *Promemoria) *view {
	v := &view{
		ASLName:    clean(p.ASL.Name),
		Number:     clean(p.Number),
		Name:       clean(p.Beneficiary.FirstName + " " + p.Beneficiary.LastName),
		BirthPlace: clean(p.Beneficiary.BirthPlace),
		FiscalCode: clean(p.Beneficiary.FiscalCode),
		CardNumber: clean(p.Beneficiary.CardNumber),
		Exemption:  joinDash(p.Code, p.CodeDescription),
		Diagnosis:  joinDash(p.DiagnosisCode, p.DiagnosisDescription),
		Generated:  inRome(p.GeneratedAt).Format("02/01/2006 alle ore 15:04"),
	}
	v.ASLLine1 = joinNonEmpty(" - ", prefixed("Sede Legale - ", p.ASL.LegalAddress), prefixed("Telefono: ", p.ASL.Phone))
	v.ASLLine2 = joinNonEmpty(" - ", prefixed("PEC: ", p.ASL.PEC), prefixed("Codice Fiscale/Partita IVA ", p.ASL.TaxCode))
	if !p.Beneficiary.BirthDate.IsZero() {
		v.BirthDate = p.Beneficiary.BirthDate.Format(textDateShape)
	}
	v.Residence = joinNonEmpty(", ", clean(p.Beneficiary.ResidenceAddress), clean(p.Beneficiary.ResidenceComune))

	end := noEndDate
	if p.EndDate != nil && !p.EndDate.IsZero() {
		end = p.EndDate.Format(tableDateShape)
	}
	issued := missingValue
	if !p.IssuedOn.IsZero() {
		issued = p.IssuedOn.Format(tableDateShape)
	}
	asl := clean(p.ASLShort)
	if asl == "" {
		asl = v.ASLName
	}
	v.Row = [5]string{issued, v.Exemption, orDash(v.Diagnosis), end, orDash(asl)}
	v.Exemption = orDash(v.Exemption)
	v.Diagnosis = orDash(v.Diagnosis)

	v.Services = make([]Service, 0, len(p.Services))
	for _, s := range p.Services {
		s = Service{Code: clean(s.Code), Description: clean(s.Description)}
		if s.Description == "" && s.Code == "" {
			continue
		}
		if s.Description == "" {
			s.Description = missingValue
		}
		v.HasCodes = v.HasCodes || s.Code != ""
		v.Services = append(v.Services, s)
	}
	v.Running = joinNonEmpty(" - ", v.ASLName, "Promemoria esenzione n. "+v.Number, v.Name)
	return v
}

// Title is the document's title with its number.
func (v *view) Title() string { return titlePrefix + " n. " + v.Number }

// TitlePrefix is the title without the number.
func (v *view) TitlePrefix() string { return titlePrefix }

// Subtitle, Statement... are exposed to the HTML template.
func (v *view) Subtitle() string      { return subtitle }
func (v *view) Statement() string     { return statement }
func (v *view) Header() [5]string     { return tableHeader }
func (v *view) DetailHeading() string { return detailHeading }
func (v *view) ServicesTitle() string { return servicesTitle }
func (v *view) NoServices() string    { return noServices }

// joinDash renders "code - description", or whichever of the two is there.
func joinDash(code, desc string) string {
	return joinNonEmpty(" - ", clean(code), clean(desc))
}

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

func prefixed(prefix, value string) string {
	if value = clean(value); value == "" {
		return ""
	}
	return prefix + value
}

func orDash(s string) string {
	if s == "" {
		return missingValue
	}
	return s
}

// rome is the time zone of the generation date; time/tzdata makes it
// available on hosts without a zoneinfo database.
var rome = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err) // unreachable with time/tzdata linked in
	}
	return loc
})

func inRome(t time.Time) time.Time { return t.In(rome()) }
