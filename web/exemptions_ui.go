package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/refusal"
	"esenzioni/service"
	"esenzioni/service/exemptions"
	"esenzioni/store"
	"esenzioni/workflows"
)

// exemptionForm is the filter of the "Esenzioni" tab, in the URL.
type exemptionForm struct {
	Stato, Codice, Da, A, Cognome, Nome, CF, Dopo string
}

func (f exemptionForm) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"stato": f.Stato, "codice": f.Codice, "da": f.Da, "a": f.A,
		"cognome": f.Cognome, "nome": f.Nome, "cf": f.CF} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

type exemptionListPage struct {
	Base
	Form     exemptionForm
	Errors   map[string]string
	CodeList template.HTML // the <datalist> of codes
	Rows     []exemptionListRow
	Total    int
	Capped   bool
	Searched bool
	ResetURL string
	Pager    pager
	States   []exemption.State // the state filter's choices
}

// exemptionView adds what lists and detail derive from a row.
type exemptionView struct {
	store.ExemptionRow
	Expiring bool
}

func (s *Server) viewOf(r store.ExemptionRow) exemptionView {
	return exemptionView{ExemptionRow: r, Expiring: exemption.Expiring(exemption.State(r.State), r.EndDate, time.Now(), s.reminderWindow())}
}

// exemptionListRow is a line of the results: flat, because templates look
// fields up by reflection, which is slow through embedded structs.
type exemptionListRow struct {
	ID                                        int64
	BeneficiaryFirstName, BeneficiaryLastName string
	BeneficiaryFC, Category, Level            string
	ExemptionCode, CodeDescription, State     string
	DiagnosisCode, DiagnosisDescription       string
	IssuedOn                                  time.Time
	EndDate                                   *time.Time
	Expiring                                  bool
}

func (s *Server) listRowOf(r store.ExemptionRow) exemptionListRow {
	return exemptionListRow{ID: r.ID, BeneficiaryFirstName: r.BeneficiaryFirstName, BeneficiaryLastName: r.BeneficiaryLastName,
		BeneficiaryFC: r.BeneficiaryFC, Category: r.Category, Level: r.Level, ExemptionCode: r.ExemptionCode,
		CodeDescription: r.CodeDescription, State: r.State, DiagnosisCode: r.DiagnosisCode,
		DiagnosisDescription: r.DiagnosisDescription, IssuedOn: r.IssuedOn, EndDate: r.EndDate,
		Expiring: exemption.Expiring(exemption.State(r.State), r.EndDate, time.Now(), s.reminderWindow())}
}

// reminderWindow is the "in scadenza" window: the earliest reminder.
func (s *Server) reminderWindow() time.Duration {
	var w time.Duration
	for _, o := range s.Config.ReminderOffsets {
		if o > w {
			w = o
		}
	}
	return w
}

var exemptionStates = []exemption.State{exemption.Valida, exemption.Scaduta, exemption.Annullata}

func (s *Server) exemptionList(c *gin.Context) {
	op := currentOperator(c)
	form := exemptionForm{
		Stato: c.Query("stato"), Codice: strings.TrimSpace(c.Query("codice")),
		Da: strings.TrimSpace(c.Query("da")), A: strings.TrimSpace(c.Query("a")),
		Cognome: strings.TrimSpace(c.Query("cognome")), Nome: strings.TrimSpace(c.Query("nome")),
		CF: strings.ToUpper(strings.TrimSpace(c.Query("cf"))), Dopo: c.Query("dopo"),
	}
	if form.Stato == "TUTTE" {
		form.Stato = ""
	}
	if strings.EqualFold(form.Codice, "TUTTE") {
		form.Codice = ""
	}
	codes, err := s.Store.ExemptionCodes(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	page := exemptionListPage{Base: s.base(c, "Esenzioni", "esenzioni"), Form: form, Errors: map[string]string{}, CodeList: s.codes.dataList(codes),
		ResetURL: "/esenzioni", States: exemptionStates}
	// "Cerca" with every field empty still sends a query: it gets the message
	// below, where the first visit (no query) gets the empty form.
	page.Searched = len(form.values()) > 0 || c.Request.URL.RawQuery != ""
	if !page.Searched {
		s.render(c, http.StatusOK, "exemptions.html", page)
		return
	}
	f := store.ExemptionFilter{LastName: strings.ToUpper(form.Cognome), FirstName: strings.ToUpper(form.Nome), FiscalCode: form.CF}
	if f.LastName == "" && f.FiscalCode == "" {
		page.Errors["cognome"] = msgSearchExemptionNeedsKey
	}
	if form.CF != "" && len(form.CF) != 16 {
		page.Errors["cf"] = msgFiscalCodeLength
	}
	if form.Stato != "" {
		ok := false
		for _, st := range exemptionStates {
			ok = ok || string(st) == form.Stato
		}
		if !ok {
			page.Errors["stato"] = msgExemptionStateUnknown
		}
		f.States = []string{form.Stato}
	}
	if form.Codice != "" {
		code, msg := matchCode(codes, form.Codice)
		if msg != "" {
			page.Errors["codice"] = msg
		}
		f.ExemptionCode = code
	}
	if form.Da != "" {
		d, err := parseDate(form.Da)
		if err != nil {
			page.Errors["da"] = err.Error()
		}
		f.IssuedFrom = dayUTC(d)
	}
	if form.A != "" {
		d, err := parseDate(form.A)
		if err != nil {
			page.Errors["a"] = err.Error()
		}
		f.IssuedTo = dayUTC(d)
	}
	if page.Errors["da"] == "" && page.Errors["a"] == "" && !f.IssuedFrom.IsZero() && !f.IssuedTo.IsZero() && f.IssuedTo.Before(f.IssuedFrom) {
		page.Errors["a"] = msgDateRangeReversed
	}
	if len(page.Errors) > 0 {
		s.render(c, http.StatusUnprocessableEntity, "exemptions.html", page)
		return
	}
	pageNo := pageParam(c.Query("pagina"))
	after, ok := store.ParseExemptionCursor(form.Dopo)
	if !ok || after.ID == 0 {
		after = store.ExemptionCursor{Offset: (pageNo - 1) * pageSize}
	}
	rows, total, capped, err := s.Store.SearchExemptions(c.Request.Context(), f, after, pageSize, searchCountCap)
	if err != nil {
		s.fail(c, err)
		return
	}
	page.Total, page.Capped = total, capped
	fcs := make([]string, 0, len(rows))
	for _, r := range rows {
		page.Rows = append(page.Rows, s.listRowOf(r))
		fcs = append(fcs, r.BeneficiaryFC)
	}
	page.Pager = newPager("/esenzioni", form.values(), pageNo, total, capped)
	wait := s.auditSearch(c, op, audit.SearchExemptions, form.values().Encode(), total, fcs)
	s.renderThen(c, http.StatusOK, "exemptions.html", page, wait)
}

// dayUTC is the calendar date of t as carried by date columns.
func dayUTC(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

type exemptionPage struct {
	Base
	E        exemptionView
	Person   store.Beneficiary
	Events   []store.ExemptionEvent
	Services []store.ExemptService
	ShowAll  bool
	CanEdit  bool
	// CanDownload: the exemption's ASL (or a regional role) may open its
	// practice and documents; other operators read the exemption only.
	CanDownload bool
	// Edit form
	Key           string
	Errors        map[string]string
	EndDate       string
	NewlyMade     bool
	Documents     []store.Attachment // confirmed documents of the exemption
	Staged        []store.Attachment // documents waiting for Conferma
	DocumentTypes []store.DocumentType
	UploadErrors  map[string]string
	UploadValues  map[string]string
	Note          string
	// ConfirmRevoke asks "Sei sicuro di voler revocare..." before a
	// Modifica whose date (RevokeDate) revokes the exemption is sent.
	ConfirmRevoke bool
	RevokeDate    string
}

// loadExemption loads an exemption any operator may see: the manual lets
// every operator view a person's exemptions (7.1) and reserves changes to
// the ASL of residence (7.2).
func (s *Server) loadExemption(c *gin.Context) (exemptionPage, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.exemptionNotFound(c)
		return exemptionPage{}, false
	}
	ctx := c.Request.Context()
	row, err := s.Store.ExemptionDetail(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		s.exemptionNotFound(c)
		return exemptionPage{}, false
	}
	if err != nil {
		s.fail(c, err)
		return exemptionPage{}, false
	}
	page := exemptionPage{Base: s.base(c, fmt.Sprintf(titleExemption, row.ExemptionCode), "esenzioni"), E: s.viewOf(row), Errors: map[string]string{}}
	if page.Person, err = s.Store.Beneficiary(ctx, row.BeneficiaryFC); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(c, err)
		return page, false
	}
	if page.Events, err = s.Store.ExemptionEvents(ctx, id); err != nil {
		s.fail(c, err)
		return page, false
	}
	if page.Services, err = s.Store.ExemptServices(ctx, row.ExemptionCode, row.DiagnosisCode, row.IssuedOn); err != nil {
		s.fail(c, err)
		return page, false
	}
	if page.Documents, err = s.Store.ExemptionAttachments(ctx, id); err != nil {
		s.fail(c, err)
		return page, false
	}
	page.CanEdit = s.canEditExemption(currentOperator(c), page)
	page.CanDownload = currentOperator(c).InScope(page.E.ASLCode)
	return page, true
}

// canEditExemption: a valid exemption, and an operator of the person's ASL
// of residence (or regional). The ASL is the exemption's own, the one its
// workflow checks, so that the button is shown exactly when the change will
// be accepted.
func (s *Server) canEditExemption(op *Operator, p exemptionPage) bool {
	return p.E.State == string(exemption.Valida) && op.Profile.Role.Operator() && op.InScope(p.E.ASLCode)
}

// editDenied answers a Modifica the operator may not make, with its real
// reason: an exemption no longer valid (annulled, expired) is not editable
// by anyone; a valid one only by its ASL of residence.
func (s *Server) editDenied(c *gin.Context, page exemptionPage) {
	switch exemption.State(page.E.State) {
	case exemption.Annullata:
		s.renderError(c, http.StatusConflict, titleChangeForbidden,
			msgExemptionRevoked)
	case exemption.Scaduta:
		s.renderError(c, http.StatusConflict, titleChangeForbidden,
			msgExemptionExpired)
	default:
		s.renderError(c, http.StatusForbidden, titleChangeForbidden,
			msgExemptionOutOfScope)
	}
}

func (s *Server) exemptionNotFound(c *gin.Context) {
	s.renderError(c, http.StatusNotFound, titleExemptionNotFound, msgExemptionNotFound)
}

// renderExemption shows the exemption's page, an access to the
// beneficiary's data (audited).
func (s *Server) renderExemption(c *gin.Context, page exemptionPage) {
	s.audit(c, audit.Record{Action: audit.ViewExemption, Target: strconv.FormatInt(page.E.ID, 10), BeneficiaryFC: page.E.BeneficiaryFC, Outcome: audit.OutcomeOK}, currentOperator(c))
	s.render(c, http.StatusOK, "exemption.html", page)
}

func (s *Server) exemptionDetail(c *gin.Context) {
	page, ok := s.loadExemption(c)
	if !ok {
		return
	}
	page.NewlyMade = c.Query("rilasciata") == "1"
	s.renderExemption(c, page)
}

func (s *Server) exemptionServices(c *gin.Context) {
	page, ok := s.loadExemption(c)
	if !ok {
		return
	}
	page.ShowAll = true
	if c.GetHeader("HX-Request") == "true" { // the catalogue's services only
		s.renderBlock(c, http.StatusOK, "exemption.html", "services", page)
		return
	}
	s.renderExemption(c, page)
}

// loadEditable loads the exemption of a step of Modifica (form, document
// upload) and its operator; one op may not change is refused (audited).
func (s *Server) loadEditable(c *gin.Context) (exemptionPage, *Operator, bool) {
	page, ok := s.loadExemption(c)
	if !ok {
		return page, nil, false
	}
	op := currentOperator(c)
	if !page.CanEdit {
		s.audit(c, audit.Record{Action: audit.ExemptionChange, Target: strconv.FormatInt(page.E.ID, 10), BeneficiaryFC: page.E.BeneficiaryFC, Outcome: audit.OutcomeDenied}, op)
		s.editDenied(c, page)
		return page, op, false
	}
	return page, op, true
}

// exemptionEditForm is "Modifica" (manual 7.2).
func (s *Server) exemptionEditForm(c *gin.Context) {
	page, op, ok := s.loadEditable(c)
	if !ok {
		return
	}
	s.audit(c, audit.Record{Action: audit.ViewExemption, Target: strconv.FormatInt(page.E.ID, 10), BeneficiaryFC: page.E.BeneficiaryFC, Outcome: audit.OutcomeOK,
		Detail: map[string]any{"pagina": "modifica"}}, op)
	page.Key = c.Query("chiave")
	if page.Key == "" {
		page.Key = randomKey()
	}
	if page.E.EndDate != nil {
		page.EndDate = page.E.EndDate.Format("02/01/2006")
	}
	if !s.editDocuments(c, op, &page) {
		return
	}
	s.render(c, http.StatusOK, "exemption_edit.html", page)
}

// editDocuments fills the Modifica form's documents waiting for Conferma
// and the document types of its upload form; false when it has answered
// with the error page.
func (s *Server) editDocuments(c *gin.Context, op *Operator, page *exemptionPage) bool {
	var err error
	if page.Staged, err = s.stagedDocuments(c, editStagingKey(op, page.E.ID)); err == nil {
		page.DocumentTypes, err = s.Store.DocumentTypes(c.Request.Context())
	}
	if err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

// exemptionEdit confirms a Modifica: a new end date (renewal, or revocation
// when today or earlier) and the documents uploaded with it.
func (s *Server) exemptionEdit(c *gin.Context) {
	page, ok := s.loadExemption(c)
	if !ok {
		return
	}
	op := currentOperator(c)
	entry := audit.Record{Action: audit.ExemptionChange, Target: strconv.FormatInt(page.E.ID, 10), BeneficiaryFC: page.E.BeneficiaryFC, Outcome: audit.OutcomeOK}
	requestID := fmt.Sprintf("web:%d:%s", op.ID, c.PostForm("chiave"))
	if !page.CanEdit {
		if s.answerRepost(c, page.E.ID, requestID) {
			return
		}
		entry.Outcome = audit.OutcomeDenied
		s.audit(c, entry, op)
		s.editDenied(c, page)
		return
	}
	page.Key = c.PostForm("chiave")
	page.EndDate = strings.TrimSpace(c.PostForm("data_fine"))
	page.Note = strings.TrimSpace(c.PostForm("nota"))
	version, _ := strconv.Atoi(c.PostForm("versione"))
	cmd := workflows.ChangeEndDate{Actor: op.Actor(), ExpectedVersion: version,
		RequestID: requestID, Note: strings.TrimSpace(c.PostForm("nota")),
		Audit: s.auditContext(c, op, audit.ExemptionChange)}
	if page.EndDate == "" && page.E.EndDate == nil {
		cmd.NoEndDate = true // an exemption without end date keeps none
	} else if page.EndDate == "" {
		page.Errors["data_fine"] = msgNewEndDate
	} else if d, err := parseDate(page.EndDate); err != nil {
		page.Errors["data_fine"] = err.Error()
	} else if p := exemption.CheckEndDate(dayUTC(d), exemption.DateOf(time.Now()), page.E.IssuedOn); p != nil &&
		(page.E.EndDate == nil || !page.E.EndDate.Equal(dayUTC(d))) {
		// (An end date left as it was is not checked again.)
		page.Errors["data_fine"] = p.Message
	} else {
		day := dayUTC(d)
		cmd.EndDate = &day
	}
	if page.Key == "" {
		page.Errors["chiave"] = msgFormInvalid
	}
	if !s.editDocuments(c, op, &page) {
		return
	}
	for _, d := range page.Staged {
		cmd.DocumentIDs = append(cmd.DocumentIDs, d.ID)
	}
	if len(page.Errors) == 0 && len(page.Staged) == 0 && exemption.Unchanged(page.E.EndDate, cmd.EndDate, cmd.NoEndDate) {
		page.Errors["data_fine"] = msgNoChange
	}
	if len(page.Errors) > 0 {
		if page.Key != "" && s.answerRepost(c, page.E.ID, requestID) {
			return
		}
		s.render(c, http.StatusUnprocessableEntity, "exemption_edit.html", page)
		return
	}
	// A date of today or earlier revokes: ask first (manual 6's "Sei
	// sicuro...?" for the other irreversible action), nothing sent yet.
	// (A date before the issue is refused by the workflow, with its message.)
	if cmd.EndDate != nil && exemption.Classify(page.E.EndDate, *cmd.EndDate, exemption.DateOf(time.Now())) == exemption.Revoke &&
		!cmd.EndDate.Before(page.E.IssuedOn) && c.PostForm("conferma_revoca") != "1" {
		page.ConfirmRevoke = true
		page.RevokeDate = cmd.EndDate.Format("02/01/2006")
		s.render(c, http.StatusOK, "exemption_edit.html", page)
		return
	}
	res, err := s.Exemptions.ChangeEndDate(c.Request.Context(), page.E.ID, cmd)
	if errors.Is(err, service.ErrRecorded) {
		err = nil // done; the workflow writes the read model
	}
	if err != nil {
		ref, isRefusal := domainRefusal(err)
		if !isRefusal && workflowClosed(err) {
			ref, isRefusal = &refusal.Refusal{Code: workflows.CodeExemptionClosed,
				Message: msgExemptionClosed}, true
		}
		switch {
		case isRefusal:
			entry.Outcome = audit.OutcomeRefused
			entry.Detail = map[string]any{"codice": ref.Code}
			s.audit(c, entry, op)
			status := http.StatusUnprocessableEntity
			if ref.Code == workflows.CodeExemptionStale || ref.Code == workflows.CodeExemptionClosed {
				status = http.StatusConflict
			}
			if ref.Code == workflows.CodeExemptionScope {
				status = http.StatusForbidden
			}
			page.Flash = &Flash{Kind: "danger", Message: ref.Message}
			page.Errors["data_fine"] = ref.Message
			s.render(c, status, "exemption_edit.html", page)
		case errors.Is(err, service.ErrInProgress):
			// Not a ref: the change may still be applied, with its own
			// audit row.
			setFlash(c, "warning", exemptions.ErrTimeout.Error())
			redirect(c, fmt.Sprintf("/esenzioni/%d", page.E.ID))
		case errors.Is(err, exemptions.ErrNotFound):
			s.exemptionNotFound(c)
		case badRequest(err):
			s.Log.Warn("change refused by Temporal as invalid", "route", c.FullPath(), "error", err)
			s.renderError(c, http.StatusBadRequest, titleBadRequest, msgNotAccepted)
		default:
			s.fail(c, err)
		}
		return
	}
	setFlash(c, "success", changeMessage(res, len(page.Staged)))
	redirect(c, fmt.Sprintf("/esenzioni/%d", page.E.ID))
}

// changeMessage is the banner of a change done; docs < 0 when the number of
// documents is not known.
func changeMessage(res workflows.ChangeResult, docs int) string {
	switch res.Change {
	case exemption.Revoke:
		return fmt.Sprintf(msgExemptionRevokedTo, dayString(res.EndDate))
	case exemption.Shorten:
		return fmt.Sprintf(msgExemptionShortened, dayString(res.EndDate))
	case exemption.Documents:
		if docs < 0 {
			return msgDocumentsAdded
		}
		return fmt.Sprintf(msgDocumentsAddedN, docs)
	}
	return fmt.Sprintf(msgExemptionRenewed, dayString(res.EndDate))
}

// answerRepost answers a Modifica form sent again with the key of a change
// its exemption's workflow already performed (a browser re-post after the
// first answer was lost: a web process died, the connection broke) as the
// first sending was answered, before the checks of a page that already
// shows that change (revoked: not editable; renewed: the same end date).
// It reports whether it answered.
func (s *Server) answerRepost(c *gin.Context, id int64, requestID string) bool {
	if strings.HasSuffix(requestID, ":") { // no key
		return false
	}
	res, done, err := s.Exemptions.Done(c.Request.Context(), id, requestID)
	if err != nil || !done {
		return false
	}
	setFlash(c, "success", changeMessage(res, -1))
	redirect(c, fmt.Sprintf("/esenzioni/%d", id))
	return true
}

func dayString(d *time.Time) string {
	if d == nil {
		return msgNoEndDate
	}
	return d.Format("02/01/2006")
}

// editStagingKey names the documents an operator stages for a Modifica.
func editStagingKey(op *Operator, id int64) string {
	return fmt.Sprintf("modifica:%d:%d", id, op.ID)
}

// stagedDocuments lists the documents waiting for a confirmation; the
// attachments part fills it in.
func (s *Server) stagedDocuments(c *gin.Context, key string) ([]store.Attachment, error) {
	return s.Store.StagedAttachments(c.Request.Context(), key)
}

// matchCode reads the code filter: the typeahead sends "CODE - description",
// an operator may type a code or words of its description (manual 7.1). A
// description matching several codes asks for a choice.
func matchCode(codes []store.CodeOption, typed string) (code, msg string) {
	first, _, _ := strings.Cut(typed, " ")
	first = strings.ToUpper(first)
	for _, c := range codes {
		if c.Code == first {
			return c.Code, ""
		}
	}
	words := strings.Fields(strings.ToUpper(typed))
	var found []string
	for _, c := range codes {
		desc := strings.ToUpper(c.Description)
		all := true
		for _, w := range words {
			all = all && strings.Contains(desc, w)
		}
		if all {
			found = append(found, c.Code)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Sprintf(msgCodeNone, typed)
	case 1:
		return found[0], ""
	default:
		return "", fmt.Sprintf(msgCodeAmbiguous, typed, len(found))
	}
}
