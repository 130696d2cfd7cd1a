package web

import (
	"encoding/csv"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/places"
)

type auditPage struct {
	Base
	CF, Da, A string
	Errors    map[string]string
}

// requireAdmin lets only regional administrators through.
func (s *Server) requireAdmin(c *gin.Context, op *Operator) bool {
	if op.Profile.Role.Regional() {
		return true
	}
	s.audit(c, audit.Record{Action: audit.ExportLog, Target: c.Request.URL.Path, Outcome: audit.OutcomeDenied}, op)
	s.renderError(c, http.StatusForbidden, titleAccessDenied, msgAdminOnly)
	return false
}

func (s *Server) auditExportForm(c *gin.Context) {
	op := currentOperator(c)
	if !s.requireAdmin(c, op) {
		return
	}
	s.render(c, http.StatusOK, "audit.html", auditPage{Base: s.base(c, titleAuditExport, "admin"), Errors: map[string]string{}})
}

// auditExport returns, as CSV, every access to the data of one citizen
// (GDPR art. 15): when, who with which profile, what, from where, outcome.
func (s *Server) auditExport(c *gin.Context) {
	op := currentOperator(c)
	if !s.requireAdmin(c, op) {
		return
	}
	page := auditPage{Base: s.base(c, titleAuditExport, "admin"), Errors: map[string]string{},
		CF: strings.ToUpper(strings.TrimSpace(c.Query("cf"))), Da: c.Query("da"), A: c.Query("a")}
	if _, err := fiscalcode.Parse(page.CF, places.Default()); err != nil {
		page.Errors["cf"] = msgAuditFiscalCode
	}
	var from, to time.Time
	if page.Da != "" {
		d, err := parseDate(page.Da)
		if err != nil {
			page.Errors["da"] = err.Error()
		}
		from = d
	}
	if page.A != "" {
		d, err := parseDate(page.A)
		if err != nil {
			page.Errors["a"] = err.Error()
		}
		to = d.AddDate(0, 0, 1)
	}
	if len(page.Errors) > 0 {
		s.render(c, http.StatusUnprocessableEntity, "audit.html", page)
		return
	}
	rows, err := s.Store.AuditForBeneficiary(c.Request.Context(), page.CF, from, to)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, audit.Record{Action: audit.ExportLog, Target: c.Request.URL.Path, BeneficiaryFC: page.CF, Outcome: audit.OutcomeOK,
		Detail: map[string]any{"righe": len(rows)}}, op)
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="accessi-`+page.CF+`.csv"`)
	c.Status(http.StatusOK)
	// A BOM and semicolons: what spreadsheet programs in Italian locales open
	// correctly with a double click.
	_, _ = c.Writer.Write([]byte("\ufeff"))
	w := csv.NewWriter(c.Writer)
	w.Comma = ';'
	_ = w.Write([]string{"Data e ora", "Codice fiscale operatore", "Profilo", "ASL", "Azione", "Oggetto", "Indirizzo", "Esito"})
	for _, r := range rows {
		_ = w.Write([]string{r.At.In(exemption.Rome).Format("02/01/2006 15:04:05"), r.OperatorFC, r.OperatorRole,
			r.OperatorASL, r.Action, r.Target, r.Address, r.Outcome})
	}
	w.Flush()
}
