package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/adapters/promemoria"
	"esenzioni/domain/audit"
)

// promemoriaOf builds the promemoria of an exemption: the header is the ASL
// that issued it (the beneficiary's ASL), every exempt service is listed.
func (s *Server) promemoriaOf(c *gin.Context, page exemptionPage) (promemoria.Promemoria, error) {
	e := page.E
	asl, err := s.Store.ASLByCode(c.Request.Context(), e.ASLCode)
	if err != nil {
		return promemoria.Promemoria{}, err
	}
	number := deref(e.PracticeNumber)
	if number == "" {
		number = deref(e.RegistryID)
	}
	if number == "" {
		number = strconv.FormatInt(e.ID, 10)
	}
	p := promemoria.Promemoria{
		ASL:    promemoria.Authority{Name: asl.Name, LegalAddress: asl.LegalAddress, Phone: asl.Phone, PEC: asl.PEC, TaxCode: asl.TaxCode},
		Number: number,
		Beneficiary: promemoria.Beneficiary{
			FirstName: page.Person.FirstName, LastName: page.Person.LastName, BirthDate: page.Person.BirthDate,
			BirthPlace: page.Person.BirthPlaceName, ResidenceAddress: page.Person.ResidenceAddress,
			ResidenceComune: page.Person.ResidenceComune, FiscalCode: e.BeneficiaryFC, CardNumber: page.Person.CardNumber,
		},
		IssuedOn: e.IssuedOn, Code: e.ExemptionCode, CodeDescription: e.CodeDescription,
		DiagnosisCode: e.DiagnosisCode, DiagnosisDescription: e.DiagnosisDescription,
		EndDate: e.EndDate, ASLShort: asl.Name, GeneratedAt: time.Now(),
	}
	if p.Beneficiary.FirstName == "" { // registry copy missing: the names on the exemption
		p.Beneficiary.FirstName, p.Beneficiary.LastName = e.BeneficiaryFirstName, e.BeneficiaryLastName
	}
	for _, sv := range page.Services {
		p.Services = append(p.Services, promemoria.Service{Code: sv.Code, Description: sv.Description})
	}
	return p, nil
}

// promemoria serves "Scarica promemoria esenzione" as a PDF.
func (s *Server) promemoria(c *gin.Context) {
	page, ok := s.loadExemption(c)
	if !ok {
		return
	}
	p, err := s.promemoriaOf(c, page)
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := promemoria.WritePDF(&buf, p); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, audit.Record{Action: audit.Download, Target: "promemoria " + strconv.FormatInt(page.E.ID, 10),
		BeneficiaryFC: page.E.BeneficiaryFC, Outcome: audit.OutcomeOK}, currentOperator(c))
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="promemoria-esenzione-%s.pdf"`, safeToken(p.Number)))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// safeToken keeps letters, digits and dashes (for file names in headers).
func safeToken(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' {
			out = append(out, ch)
		}
	}
	return string(out)
}
