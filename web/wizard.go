package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/service"
	"esenzioni/service/practices"
	"esenzioni/store"
	"esenzioni/workflows"
)

// The new-exemption wizard (manual 7.3): find the beneficiary, see their
// data and exemptions, choose tipologia, diagnosis and code, the end date,
// the documents, check the summary and confirm. The draft lives in the
// database, so every step is a plain page with its own URL.

type wizardStep struct {
	Key, Title string
}

var wizardSteps = []wizardStep{
	{"tipologia", "Scelta esenzione"},
	{"scadenza", "Fine validità"},
	{"documenti", "Carica documenti"},
	{"riepilogo", "Riepilogo"},
}

type wizardPage struct {
	Base
	Step     string
	Steps    []wizardStep
	Draft    store.Draft
	Person   store.Beneficiary
	Existing []exemptionView
	Errors   map[string]string
	// UploadValues are the document fields typed before a refused upload.
	UploadValues map[string]string
	// Search
	Query    struct{ Cognome, Nome, CF string }
	People   []store.Beneficiary
	Searched bool
	// Tipologia
	Categories []string
	Diagnoses  []store.CatalogItem
	Codes      []store.CatalogItem
	// Scadenza
	EndDate    string
	DefaultEnd string
	Duration   string
	// Documenti and riepilogo
	Documents      []store.Attachment
	DocumentTypes  []store.DocumentType
	Services       []store.ExemptService
	CodeLabel      string
	DiagnosisLabel string
	InScope        bool
	// Esito
	Result *exemptionView
}

// wizardSearch is the first step: find the beneficiary.
func (s *Server) wizardSearch(c *gin.Context) {
	op := currentOperator(c)
	page := wizardPage{Base: s.base(c, titleWizardSearch, "esenzioni"), Errors: map[string]string{}}
	page.Query.Cognome = strings.TrimSpace(c.Query("cognome"))
	page.Query.Nome = strings.TrimSpace(c.Query("nome"))
	page.Query.CF = strings.ToUpper(strings.TrimSpace(c.Query("cf")))
	page.Searched = page.Query.Cognome != "" || page.Query.Nome != "" || page.Query.CF != ""
	if !page.Searched && c.Request.URL.RawQuery != "" {
		// «Cerca» with every field empty: say what is needed.
		page.Searched = true
		page.Errors["cognome"] = msgWizardSearchNeedsKey
	}
	if page.Searched && len(page.Errors) == 0 {
		switch {
		case page.Query.CF != "" && len(page.Query.CF) != 16:
			page.Errors["cf"] = msgFiscalCodeLength
		case page.Query.CF == "" && (page.Query.Cognome == "" || page.Query.Nome == ""):
			page.Errors["cognome"] = msgWizardSearchKey
		}
		if len(page.Errors) == 0 {
			people, err := s.Store.FindBeneficiaries(c.Request.Context(), page.Query.CF,
				strings.ToUpper(page.Query.Cognome), strings.ToUpper(page.Query.Nome), 50)
			if err != nil {
				s.fail(c, err)
				return
			}
			page.People = people
			fcs := make([]string, len(people))
			for i, p := range people {
				fcs[i] = p.FiscalCode
			}
			s.auditSearch(c, op, audit.ViewPerson, c.Request.URL.RawQuery, len(people), fcs)()
		}
	}
	status := http.StatusOK
	if len(page.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(c, status, "wizard_search.html", page)
}

// wizardPerson shows the beneficiary's data and every exemption of theirs,
// valid and expired, from practices and from the registry.
func (s *Server) wizardPerson(c *gin.Context) {
	op := currentOperator(c)
	fc := strings.ToUpper(strings.TrimSpace(c.Query("cf")))
	page := wizardPage{Base: s.base(c, titleWizardBeneficiary, "esenzioni"), Errors: map[string]string{}}
	person, ok := s.loadBeneficiary(c, fc)
	if !ok {
		return
	}
	page.Person = person
	if err := s.fillExisting(c, &page); err != nil {
		s.fail(c, err)
		return
	}
	page.InScope = op.InScope(person.ASLCode)
	s.audit(c, audit.Record{Action: audit.ViewPerson, Target: "nuova-esenzione", BeneficiaryFC: fc, Outcome: audit.OutcomeOK}, op)
	s.render(c, http.StatusOK, "wizard_person.html", page)
}

// loadBeneficiary loads the beneficiary with fiscal code fc; false when
// the page is written (not found, error).
func (s *Server) loadBeneficiary(c *gin.Context, fc string) (store.Beneficiary, bool) {
	person, err := s.Store.Beneficiary(c.Request.Context(), fc)
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(c, http.StatusNotFound, titlePersonNotFound, msgPersonNotFound)
		return person, false
	}
	if err != nil {
		s.fail(c, err)
		return person, false
	}
	return person, true
}

func (s *Server) fillExisting(c *gin.Context, page *wizardPage) error {
	rows, err := s.Store.ExemptionsOf(c.Request.Context(), page.Person.FiscalCode)
	if err != nil {
		return err
	}
	for _, r := range rows {
		page.Existing = append(page.Existing, s.viewOf(r))
	}
	return nil
}

// wizardStart creates a draft for a beneficiary of the operator's scope.
func (s *Server) wizardStart(c *gin.Context) {
	op := currentOperator(c)
	fc := strings.ToUpper(strings.TrimSpace(c.PostForm("cf")))
	person, ok := s.loadBeneficiary(c, fc)
	if !ok {
		return
	}
	if !op.InScope(person.ASLCode) {
		s.renderError(c, http.StatusForbidden, titleNotAllowed,
			msgWizardOutOfScope)
		return
	}
	d, err := s.Practices.StartDraft(c.Request.Context(), op.ID, fc)
	if err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/esenzioni/nuova/"+d.ID+"/tipologia")
}

// loadDraft loads the operator's draft and the page around it.
func (s *Server) loadDraft(c *gin.Context, step string) (wizardPage, bool) {
	op := currentOperator(c)
	d, err := s.Store.DraftOf(c.Request.Context(), c.Param("draft"), op.ID)
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(c, http.StatusNotFound, titleDraftNotFound, msgDraftNotFound)
		return wizardPage{}, false
	}
	if err != nil {
		s.fail(c, err)
		return wizardPage{}, false
	}
	page := wizardPage{Base: s.base(c, titleWizard, "esenzioni"), Step: step, Steps: wizardSteps, Draft: d, Errors: map[string]string{}}
	if page.Person, err = s.Store.Beneficiary(c.Request.Context(), d.BeneficiaryFC); err != nil {
		s.fail(c, err)
		return page, false
	}
	if d.ExemptionID != nil && step != "esito" {
		// Already confirmed: the result is the only page left.
		redirect(c, "/esenzioni/nuova/"+d.ID+"/esito")
		return page, false
	}
	// Every step shows the person (fiscal code, names): each is an access.
	s.audit(c, audit.Record{Action: audit.ViewPerson, Target: "bozza:" + d.ID, BeneficiaryFC: d.BeneficiaryFC, Outcome: audit.OutcomeOK,
		Detail: map[string]any{"passo": step}}, op)
	return page, true
}

func (s *Server) wizardTipologia(c *gin.Context) {
	page, ok := s.loadDraft(c, "tipologia")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	d := &page.Draft
	// The choices come from the form (POST) or, while the operator picks
	// them one after the other, from the query (htmx refreshes the step).
	field := func(name string) (string, bool) {
		if c.Request.Method == http.MethodPost {
			return c.GetPostForm(name)
		}
		return c.GetQuery(name)
	}
	if v, ok := field("categoria"); ok && v != "" && v != d.Category {
		d.Category, d.DiagnosisCode, d.ExemptionCode = v, "", ""
	}
	if v, ok := field("diagnosi"); ok && v != d.DiagnosisCode {
		d.DiagnosisCode, d.ExemptionCode = v, ""
	}
	if v, ok := field("codice"); ok {
		d.ExemptionCode = v
	}
	var err error
	if page.Categories, err = s.Store.Categories(ctx); err != nil {
		s.fail(c, err)
		return
	}
	if page.Diagnoses, err = s.Store.DiagnosesOfCategory(ctx, d.Category); err != nil {
		s.fail(c, err)
		return
	}
	if d.DiagnosisCode != "" {
		if page.Codes, err = s.Store.CodesOfDiagnosis(ctx, d.Category, d.DiagnosisCode); err != nil {
			s.fail(c, err)
			return
		}
		if len(page.Codes) == 1 && d.ExemptionCode == "" {
			d.ExemptionCode = page.Codes[0].Code // the usual case: one code covers it
		}
	}
	if c.Request.Method != http.MethodPost {
		s.render(c, http.StatusOK, "wizard.html", page)
		return
	}
	// Confirm the step: consistent with the catalogue and not a duplicate.
	if d.DiagnosisCode == "" || !containsItem(page.Diagnoses, d.DiagnosisCode) {
		page.Errors["diagnosi"] = msgWizardDiagnosis
	}
	if len(page.Errors) == 0 && (d.ExemptionCode == "" || !containsItem(page.Codes, d.ExemptionCode)) {
		page.Errors["codice"] = msgWizardCode
	}
	if len(page.Errors) == 0 {
		dup, err := s.Store.ValidExemptionWithCode(ctx, d.BeneficiaryFC, d.ExemptionCode, "")
		if err != nil {
			s.fail(c, err)
			return
		}
		if dup != 0 {
			page.Errors["codice"] = exemption.DuplicateMessage(d.ExemptionCode)
		}
	}
	if len(page.Errors) == 0 {
		// A practice already open for the code is the one to work: the
		// intake refuses a second one the same way (practices.CodeOpenPractice).
		open, err := s.Store.OpenPracticeOf(ctx, d.BeneficiaryFC, d.ExemptionCode)
		if err != nil {
			s.fail(c, err)
			return
		}
		if open != "" {
			page.Errors["codice"] = fmt.Sprintf(msgWizardOpenPractice, open, d.ExemptionCode)
		}
	}
	if len(page.Errors) > 0 {
		s.render(c, http.StatusUnprocessableEntity, "wizard.html", page)
		return
	}
	dur, _, err := s.Store.DiagnosisDuration(ctx, d.ExemptionCode, d.DiagnosisCode)
	if err != nil {
		s.fail(c, err)
		return
	}
	d.EndDate, d.NoEndDate = nil, dur.Unlimited()
	if end, ok := dur.EndDate(exemption.DateOf(time.Now())); ok {
		d.EndDate = &end
	}
	if err := s.Practices.SaveDraft(ctx, d); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/esenzioni/nuova/"+d.ID+"/scadenza")
}

func containsItem(items []store.CatalogItem, code string) bool {
	for _, i := range items {
		if i.Code == code {
			return true
		}
	}
	return false
}

func (s *Server) wizardScadenza(c *gin.Context) {
	page, ok := s.loadDraft(c, "scadenza")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	d := &page.Draft
	if d.ExemptionCode == "" {
		redirect(c, "/esenzioni/nuova/"+d.ID+"/tipologia")
		return
	}
	dur, _, err := s.Store.DiagnosisDuration(ctx, d.ExemptionCode, d.DiagnosisCode)
	if err != nil {
		s.fail(c, err)
		return
	}
	page.Duration = dur.String()
	if end, ok := dur.EndDate(exemption.DateOf(time.Now())); ok {
		page.DefaultEnd = end.Format("02/01/2006")
	}
	if d.EndDate != nil {
		page.EndDate = d.EndDate.Format("02/01/2006")
	}
	if d.NoEndDate {
		page.EndDate = "" // the box is ticked: the field starts empty
	}
	if c.Request.Method != http.MethodPost {
		s.render(c, http.StatusOK, "wizard.html", page)
		return
	}
	page.EndDate = strings.TrimSpace(c.PostForm("data_fine"))
	d.NoEndDate = c.PostForm("senza_scadenza") == "1"
	d.EndDate = nil
	if d.NoEndDate && page.EndDate != "" {
		page.Errors["data_fine"] = msgWizardEndDateOrNone
	}
	if !d.NoEndDate {
		t, err := parseDate(page.EndDate)
		switch {
		case page.EndDate == "":
			page.Errors["data_fine"] = msgWizardEndDate
		case err != nil:
			page.Errors["data_fine"] = err.Error()
		case !dayUTC(t).After(exemption.DateOf(time.Now())):
			page.Errors["data_fine"] = msgWizardEndDateFuture
		case exemption.CheckEndDate(dayUTC(t), exemption.DateOf(time.Now()), exemption.Date{}) != nil:
			page.Errors["data_fine"] = exemption.CheckEndDate(dayUTC(t), exemption.DateOf(time.Now()), exemption.Date{}).Message
		default:
			day := dayUTC(t)
			d.EndDate = &day
		}
	}
	if len(page.Errors) > 0 {
		s.render(c, http.StatusUnprocessableEntity, "wizard.html", page)
		return
	}
	if err := s.Practices.SaveDraft(ctx, d); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, "/esenzioni/nuova/"+d.ID+"/documenti")
}

func (s *Server) wizardDocumenti(c *gin.Context) {
	page, ok := s.loadDraft(c, "documenti")
	if !ok {
		return
	}
	if err := s.fillDocuments(c, &page); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "wizard.html", page)
}

func (s *Server) fillDocuments(c *gin.Context, page *wizardPage) error {
	var err error
	if page.Documents, err = s.Store.StagedAttachments(c.Request.Context(), practices.DraftStagingKey(page.Draft.ID)); err != nil {
		return err
	}
	page.DocumentTypes, err = s.Store.DocumentTypes(c.Request.Context())
	return err
}

// loadSummary loads the draft with what its summary shows (Riepilogo,
// Conferma); false when the page is written.
func (s *Server) loadSummary(c *gin.Context) (wizardPage, bool) {
	page, ok := s.loadDraft(c, "riepilogo")
	return page, ok && s.fillSummary(c, &page)
}

func (s *Server) wizardRiepilogo(c *gin.Context) {
	page, ok := s.loadSummary(c)
	if !ok {
		return
	}
	s.audit(c, audit.Record{Action: audit.ViewPerson, Target: "nuova-esenzione", BeneficiaryFC: page.Person.FiscalCode, Outcome: audit.OutcomeOK,
		Detail: map[string]any{"pagina": "riepilogo"}}, currentOperator(c))
	s.render(c, http.StatusOK, "wizard.html", page)
}

// fillSummary loads what the summary shows; it sends the operator back to a
// step that is not complete.
func (s *Server) fillSummary(c *gin.Context, page *wizardPage) bool {
	ctx := c.Request.Context()
	d := page.Draft
	if d.ExemptionCode == "" {
		redirect(c, "/esenzioni/nuova/"+d.ID+"/tipologia")
		return false
	}
	if d.EndDate == nil && !d.NoEndDate {
		redirect(c, "/esenzioni/nuova/"+d.ID+"/scadenza")
		return false
	}
	if err := s.fillDocuments(c, page); err != nil {
		s.fail(c, err)
		return false
	}
	code, err := s.Store.ExemptionCode(ctx, d.ExemptionCode)
	if err != nil {
		s.fail(c, err)
		return false
	}
	page.CodeLabel = code.Code + " - " + code.Description
	diag, err := s.Store.DiagnosisDescription(ctx, d.DiagnosisCode)
	if err != nil {
		s.fail(c, err)
		return false
	}
	page.DiagnosisLabel = d.DiagnosisCode + " - " + diag
	if page.Services, err = s.Store.ExemptServices(ctx, d.ExemptionCode, d.DiagnosisCode, time.Now()); err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

// wizardConfirm issues the exemption: an operator's practice validated in
// the same step. Confirming twice (the same draft) issues one exemption.
func (s *Server) wizardConfirm(c *gin.Context) {
	page, ok := s.loadSummary(c)
	if !ok {
		return
	}
	op := currentOperator(c)
	d := page.Draft
	ctx := c.Request.Context()
	sub := practices.Submission{
		Source: fmt.Sprintf("wizard:%d", op.ID), Key: d.ID,
		SubmitterKind: practice.SubmitterOperator, SubmitterFC: op.FiscalCode, SubmitterRole: op.Profile.Role,
		Beneficiary:   practices.BeneficiaryData{FiscalCode: d.BeneficiaryFC},
		ExemptionCode: d.ExemptionCode, DiagnosisCode: d.DiagnosisCode,
	}
	cmd := workflows.PracticeCommand{
		Command:  practice.Command{Actor: op.Actor(), RequestID: "wizard:" + d.ID, InternalNote: noteWizardIssued},
		Validate: workflows.ValidateOptions{EndDate: d.EndDate, NoEndDate: d.NoEndDate},
		// The validation's audit row comes with the practice's record.
		Audit: s.auditContext(c, op, audit.PracticeAction),
	}
	// The draft records the outcome with the action (practices.ConfirmDraft).
	_, err := s.Practices.ConfirmDraft(ctx, &d, sub, cmd)
	entry := audit.Record{Action: audit.PracticeAction, Target: "nuova-esenzione", BeneficiaryFC: d.BeneficiaryFC, Outcome: audit.OutcomeOK,
		Detail: map[string]any{"azione": "NUOVA_ESENZIONE", "codice": d.ExemptionCode}}
	if errors.Is(err, service.ErrRecorded) {
		err = nil // done; the workflow writes the read model
	}
	if err != nil {
		refusal, isRefusal := domainRefusal(err)
		var verr *practices.ValidationError
		switch {
		case isRefusal:
			entry.Outcome, entry.Detail["esito"] = audit.OutcomeRefused, refusal.Code
			s.audit(c, entry, op)
			page.Flash = &Flash{Kind: "danger", Message: refusal.Message}
			status := http.StatusUnprocessableEntity
			if refusal.Code == practice.CodeOutOfScope || refusal.Code == practice.CodeNotAllowed {
				status = http.StatusForbidden
			}
			s.render(c, status, "wizard.html", page)
		case errors.As(err, &verr):
			entry.Outcome = audit.OutcomeRefused
			s.audit(c, entry, op)
			page.Flash = &Flash{Kind: "danger", Message: verr.Fields[0].Message}
			s.render(c, http.StatusUnprocessableEntity, "wizard.html", page)
		case errors.Is(err, service.ErrInProgress):
			page.Flash = &Flash{Kind: "warning", Message: msgWizardInProgress}
			s.render(c, http.StatusAccepted, "wizard.html", page)
		default:
			s.fail(c, err)
		}
		return
	}
	redirect(c, "/esenzioni/nuova/"+d.ID+"/esito")
}

// wizardResult is the result page: number, state, end date, services,
// promemoria, «Nuova esenzione», «Torna alla Home».
func (s *Server) wizardResult(c *gin.Context) {
	page, ok := s.loadDraft(c, "esito")
	if !ok {
		return
	}
	if page.Draft.ExemptionID == nil {
		redirect(c, "/esenzioni/nuova/"+page.Draft.ID+"/riepilogo")
		return
	}
	row, err := s.Store.ExemptionDetail(c.Request.Context(), *page.Draft.ExemptionID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := s.viewOf(row)
	page.Result = &v
	if page.Services, err = s.Store.ExemptServices(c.Request.Context(), row.ExemptionCode, row.DiagnosisCode, row.IssuedOn); err != nil {
		s.fail(c, err)
		return
	}
	page.Flash = &Flash{Kind: "success", Message: fmt.Sprintf(msgWizardIssued, deref(row.PracticeNumber))}
	s.render(c, http.StatusOK, "wizard_result.html", page)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
