package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/practice"
	"esenzioni/domain/refusal"
	"esenzioni/internal/requestid"
	"esenzioni/service"
	"esenzioni/service/practices"
	"esenzioni/store"
	"esenzioni/workflows"
)

type tab struct {
	Key    string // URL segment
	Title  string
	States []practice.State
}

var (
	tabToDo   = tab{"da-fare", "Pratiche da fare", practice.ToDo}
	tabClosed = tab{"chiuse", "Pratiche chiuse", practice.Closed}
)

const pageSize = 20

// searchCountCap bounds the count of a search's results: beyond it the page
// says "oltre 1000", and the count costs the same at any data size.
const searchCountCap = 1000

// practiceFilterForm is the filter form of the two practice tabs, as it
// travels in the URL (bookmarkable, back button friendly).
type practiceFilterForm struct {
	Stato   string
	Codice  string
	Da      string
	A       string
	Cognome string
	Nome    string
	CF      string
	Dopo    string
	Pagina  int
	// Ritardo keeps only the practices waiting beyond the SLA ("1").
	Ritardo string
}

func (f practiceFilterForm) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"stato": f.Stato, "codice": f.Codice, "da": f.Da, "a": f.A,
		"cognome": f.Cognome, "nome": f.Nome, "cf": f.CF, "ritardo": f.Ritardo} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Active reports whether any filter is set (the "Annulla ricerca" link).
func (f practiceFilterForm) Active() bool { return len(f.values()) > 0 }

type listPage struct {
	Base
	Tab       tab
	Tabs      []tab
	Form      practiceFilterForm
	Errors    map[string]string
	Codes     template.HTML // the <option>s of the code select
	Rows      []store.PracticeRow
	Total     int
	Capped    bool
	Pager     pager
	Searched  bool
	ResetURL  string
	PageStart int
	// SLADays and OverdueBefore: a practice of the to-do tab in its state
	// since before OverdueBefore is "in ritardo".
	SLADays       int
	OverdueBefore time.Time
}

// parseDate reads gg/mm/aaaa (the manual's format) or aaaa-mm-dd, of the
// years minDateYear-maxDateYear: outside them a date is a typing mistake
// (and year 0, which PostgreSQL refuses, failed the queries).
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"02/01/2006", "2/1/2006", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, exemption.Rome); err == nil {
			if t.Year() < minDateYear || t.Year() > maxDateYear {
				return time.Time{}, errDateRange
			}
			return t, nil
		}
	}
	return time.Time{}, errDateFormat
}

// The refusals of parseDate, as operators read them (its callers show
// err.Error()).
var (
	errDateFormat = errors.New(msgDateFormat)
	errDateRange  = fmt.Errorf(msgDateYear, minDateYear, maxDateYear)
)

// The years a typed date may have. Rules of the domain (an end date's
// bound, a document's issue date not in the future) are stricter.
const (
	minDateYear = 1900
	maxDateYear = 2199
)

func (s *Server) practiceList(t tab) gin.HandlerFunc {
	return func(c *gin.Context) {
		op := currentOperator(c)
		form := practiceFilterForm{
			Stato: c.Query("stato"), Codice: strings.ToUpper(strings.TrimSpace(c.Query("codice"))),
			Da: strings.TrimSpace(c.Query("da")), A: strings.TrimSpace(c.Query("a")),
			Cognome: strings.TrimSpace(c.Query("cognome")), Nome: strings.TrimSpace(c.Query("nome")),
			CF: strings.ToUpper(strings.TrimSpace(c.Query("cf"))), Dopo: c.Query("dopo"),
			Pagina: pageParam(c.Query("pagina")),
		}
		errs := map[string]string{}
		f := store.PracticeFilter{ExemptionCode: form.Codice, LastName: strings.ToUpper(form.Cognome),
			FirstName: strings.ToUpper(form.Nome), FiscalCode: form.CF}
		if !op.Profile.Role.Regional() {
			f.ASL = op.Profile.ASL
		}
		switch {
		case form.Stato == "" || form.Stato == "TUTTE":
			form.Stato = ""
			for _, st := range t.States {
				f.States = append(f.States, string(st))
			}
		default:
			ok := false
			for _, st := range t.States {
				ok = ok || string(st) == form.Stato
			}
			if !ok {
				errs["stato"] = msgPracticeStateUnknown
			}
			f.States = []string{form.Stato}
		}
		if form.Codice == "TUTTE" {
			form.Codice, f.ExemptionCode = "", ""
		}
		if form.Da != "" {
			d, err := parseDate(form.Da)
			if err != nil {
				errs["da"] = err.Error()
			}
			f.CreatedFrom = d
		}
		if form.A != "" {
			d, err := parseDate(form.A)
			if err != nil {
				errs["a"] = err.Error()
			}
			f.CreatedTo = d.AddDate(0, 0, 1) // "fino a" includes the day
		}
		if errs["da"] == "" && errs["a"] == "" && !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && !f.CreatedFrom.Before(f.CreatedTo) {
			errs["a"] = msgDateRangeReversed
		}
		if form.CF != "" && len(form.CF) != 16 {
			errs["cf"] = msgFiscalCodeLength
		}
		overdueBefore := s.overdueBefore()
		if c.Query("ritardo") != "" && t.Key == tabToDo.Key {
			form.Ritardo = "1"
			f.StateBefore = overdueBefore
		}
		codes, err := s.Store.ExemptionCodes(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		page := listPage{Base: s.base(c, t.Title, t.Key), Tab: t, Tabs: []tab{tabToDo, tabClosed},
			Form: form, Errors: errs, Codes: s.codes.selectOptions(codes, form.Codice), Searched: form.Active(),
			ResetURL: "/pratiche/" + t.Key, SLADays: s.slaDays(), OverdueBefore: overdueBefore}
		wait := func() {}
		if len(errs) == 0 {
			after, ok := store.ParseCursor(form.Dopo)
			if !ok || after.Number == "" {
				after = store.Cursor{Offset: (form.Pagina - 1) * pageSize}
			}
			rows, total, capped, err := s.Store.SearchPractices(c.Request.Context(), f, after, pageSize, searchCountCap)
			if err != nil {
				s.fail(c, err)
				return
			}
			page.Rows, page.Total, page.Capped = rows, total, capped
			page.Pager = newPager("/pratiche/"+t.Key, form.values(), form.Pagina, total, capped)
			wait = s.auditSearch(c, op, audit.SearchPractices, form.values().Encode(), total, rowsFC(rows))
		}
		status := http.StatusOK
		if len(errs) > 0 {
			status = http.StatusUnprocessableEntity
		}
		s.renderThen(c, status, "practices.html", page, wait)
	}
}

// slaDays is the configured SLA (SLA_DAYS), 30 when unset.
func (s *Server) slaDays() int {
	if s.Config.SLADays > 0 {
		return s.Config.SLADays
	}
	return 30
}

// overdueBefore is the instant before which an open practice's state makes
// it late.
func (s *Server) overdueBefore() time.Time {
	return time.Now().Add(-time.Duration(s.slaDays()) * 24 * time.Hour)
}

func rowsFC(rows []store.PracticeRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.BeneficiaryFC)
	}
	return out
}

// audit.SearchPractices logs a search: one row per person whose data the results
// showed (so the export for one citizen finds it), or one row when none.
func (s *Server) auditSearch(c *gin.Context, op *Operator, action audit.Action, query string, total int, fcs []string) (wait func()) {
	detail := map[string]any{"filtri": query, "risultati": total}
	seen := map[string]bool{}
	var entries []audit.Record
	for _, fc := range fcs {
		if seen[fc] {
			continue
		}
		seen[fc] = true
		entries = append(entries, audit.Record{Action: action, Target: c.Request.URL.Path, BeneficiaryFC: fc, Outcome: audit.OutcomeOK, Detail: detail})
	}
	if len(entries) == 0 {
		entries = append(entries, audit.Record{Action: action, Target: c.Request.URL.Path, Outcome: audit.OutcomeOK, Detail: detail})
	}
	return s.auditStart(c, entries[0], op, entries[1:]...)
}

// practicePage is the detail page.
type practicePage struct {
	Base
	P        store.PracticeDetail
	Person   store.Beneficiary
	Events   []store.PracticeEvent
	Services []store.ExemptService
	Reasons  []store.RejectReason
	Allowed  map[string]bool // by the action's path (actionPaths): prendi, valida, ...
	Key      string
	Errors   map[string]string
	Notes    struct{ Beneficiary, Internal string }
	ShowAll  bool
	Closed   bool
	BackURL  string // the list the operator came from, filters included
	Expiring bool
	// Exemption is the exemption the practice issued, as it is now
	// (renewed, revoked or expired since); nil when not loaded.
	Exemption                      *store.Exemption
	Categories                     map[string]string
	Documents                      []store.Attachment
	HasCertificate, HasCitizenDocs bool
	// Differences are what the submitter system stated about the
	// beneficiary that differs from the registry (never applied to it).
	Differences []store.SubmittedDifference
}

// differenceLabels names the fields of store.SubmittedDifference.
var differenceLabels = map[string]string{
	"firstName": "Nome", "lastName": "Cognome", "aslCode": "ASL di residenza",
	"residenceAddress": "Indirizzo di residenza", "residenceComune": "Comune di residenza",
	"email": "Email", "birthDate": "Data di nascita", "sex": "Sesso", "birthPlaceCode": "Luogo di nascita (codice)",
}

func differenceLabel(field string) string {
	if l, ok := differenceLabels[field]; ok {
		return l
	}
	return field
}

// loadPractice finds a practice the operator may see. Anything else is 404,
// the same answer as a practice that does not exist.
func (s *Server) loadPractice(c *gin.Context, op *Operator) (store.PracticeDetail, bool) {
	return s.loadPracticeWith(c, op, s.Store.PracticeDetailByNumber)
}

// loadPracticeBrief is loadPractice without the names joined for display,
// for the actions, which only need scope and beneficiary.
func (s *Server) loadPracticeBrief(c *gin.Context, op *Operator) (store.PracticeDetail, bool) {
	return s.loadPracticeWith(c, op, func(ctx context.Context, number string) (store.PracticeDetail, error) {
		p, err := s.Store.PracticeByNumber(ctx, number)
		return store.PracticeDetail{Practice: p}, err
	})
}

func (s *Server) loadPracticeWith(c *gin.Context, op *Operator, load func(context.Context, string) (store.PracticeDetail, error)) (store.PracticeDetail, bool) {
	number := c.Param("number")
	if _, err := practice.ParseNumber(number); err != nil {
		s.practiceNotFound(c)
		return store.PracticeDetail{}, false
	}
	p, err := load(c.Request.Context(), number)
	if errors.Is(err, store.ErrNotFound) {
		s.practiceNotFound(c)
		return p, false
	}
	if err != nil {
		s.fail(c, err)
		return p, false
	}
	if !op.InScope(p.ASLCode) {
		// With the beneficiary: the citizen's export lists refused views too.
		s.audit(c, audit.Record{Action: audit.ViewPractice, Target: number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeDenied,
			Detail: map[string]any{"motivo": "fuori ambito ASL"}}, op)
		s.practiceNotFound(c)
		return p, false
	}
	return p, true
}

func (s *Server) practiceNotFound(c *gin.Context) {
	s.renderError(c, http.StatusNotFound, titlePracticeNotFound,
		msgPracticeNotFound)
}

func categoryLabel(cat string) string {
	switch cat {
	case "MC":
		return "Malattie croniche"
	case "MR":
		return "Malattie rare"
	case "INV":
		return "Invalidità"
	case "":
		return ""
	}
	return "Altre esenzioni"
}

func (s *Server) practicePageData(c *gin.Context, op *Operator, p store.PracticeDetail) (practicePage, error) {
	ctx := c.Request.Context()
	page := practicePage{Base: s.base(c, fmt.Sprintf(titlePractice, p.Number), "pratiche"), P: p, Errors: map[string]string{}}
	var err error
	if page.Person, err = s.Store.Beneficiary(ctx, p.BeneficiaryFC); err != nil && !errors.Is(err, store.ErrNotFound) {
		return page, err
	}
	if page.Events, err = s.Store.PracticeEvents(ctx, p.Number); err != nil {
		return page, err
	}
	if p.ExemptionID != nil && p.State == string(practice.Validata) {
		// The exemption's own state and end date: it may have been renewed
		// or revoked since the practice was validated.
		e, err := s.Store.ExemptionByID(ctx, *p.ExemptionID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return page, err
		}
		page.Expiring = err == nil && exemption.Expiring(exemption.State(e.State), e.EndDate, time.Now(), s.reminderWindow())
		if err == nil {
			page.Exemption = &e
		}
	}
	at := time.Now()
	if p.ValidFrom != nil {
		at = *p.ValidFrom
	}
	if page.Services, err = s.Store.ExemptServices(ctx, p.ExemptionCode, p.DiagnosisCode, at); err != nil {
		return page, err
	}
	if page.Reasons, err = s.Store.RejectReasons(ctx); err != nil {
		return page, err
	}
	if page.Documents, err = s.Store.PracticeAttachments(ctx, p.Number); err != nil {
		return page, err
	}
	if page.Differences, err = s.Store.SubmittedDifferences(ctx, p.Number); err != nil {
		return page, err
	}
	for _, d := range page.Documents {
		page.HasCertificate = page.HasCertificate || d.Role == store.RoleCertificate
		page.HasCitizenDocs = page.HasCitizenDocs || d.Role == store.RoleCitizen
	}
	subject := practice.Subject{Number: p.Number, State: practice.State(p.State), Version: p.Version, ASL: p.ASLCode,
		SubmitterFC: p.SubmitterFC, SubmitterKind: practice.SubmitterKind(p.SubmitterKind)}
	page.Allowed = map[string]bool{}
	allowed := practice.Allowed(subject, op.Actor())
	for path, a := range actionPaths {
		page.Allowed[path] = slices.Contains(allowed, a)
	}
	page.Key = randomKey()
	page.Closed = practice.State(p.State).IsClosed()
	page.BackURL = "/pratiche/da-fare"
	if page.Closed {
		page.BackURL = "/pratiche/chiuse"
	}
	if ref, err := url.Parse(c.Request.Referer()); err == nil && ref.Host == c.Request.Host &&
		(ref.Path == "/pratiche/da-fare" || ref.Path == "/pratiche/chiuse") {
		page.BackURL = ref.RequestURI()
	}
	return page, nil
}

// practicePageOf loads the practice of the request's path for the current
// operator and its page data; false when it has answered already (not found,
// out of scope, error).
func (s *Server) practicePageOf(c *gin.Context) (*Operator, store.PracticeDetail, practicePage, bool) {
	op := currentOperator(c)
	p, ok := s.loadPractice(c, op)
	if !ok {
		return op, p, practicePage{}, false
	}
	page, err := s.practicePageData(c, op, p)
	if err != nil {
		s.fail(c, err)
		return op, p, page, false
	}
	return op, p, page, true
}

func (s *Server) practiceDetail(c *gin.Context) {
	op, p, page, ok := s.practicePageOf(c)
	if !ok {
		return
	}
	s.audit(c, audit.Record{Action: audit.ViewPractice, Target: p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeOK}, op)
	s.render(c, http.StatusOK, "practice.html", page)
}

// practiceHistory is the cronologia: a dialog fragment for htmx, a page
// otherwise.
func (s *Server) practiceHistory(c *gin.Context) {
	op, p, page, ok := s.practicePageOf(c)
	if !ok {
		return
	}
	s.audit(c, audit.Record{Action: audit.ViewHistory, Target: p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeOK}, op)
	if c.GetHeader("HX-Request") == "true" {
		s.renderBlock(c, http.StatusOK, "history.html", "dialog", page)
		return
	}
	s.render(c, http.StatusOK, "history.html", page)
}

// practiceServices is "Mostra tutto" of the exempt services.
func (s *Server) practiceServices(c *gin.Context) {
	op, p, page, ok := s.practicePageOf(c)
	if !ok {
		return
	}
	page.ShowAll = true
	if c.GetHeader("HX-Request") == "true" { // the catalogue's services only
		s.renderBlock(c, http.StatusOK, "practice.html", "services", page)
		return
	}
	s.audit(c, audit.Record{Action: audit.ViewPractice, Target: p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeOK}, op)
	s.render(c, http.StatusOK, "practice.html", page)
}

var actionPaths = map[string]practice.Action{
	"prendi": practice.Take, "valida": practice.Validate, "respingi": practice.Reject,
	"annulla": practice.Cancel, "nota": practice.AddNote,
}

func successMessage(a practice.Action, number string) string {
	switch a {
	case practice.Take:
		return fmt.Sprintf(msgPracticeTaken, number)
	case practice.Validate:
		return fmt.Sprintf(msgPracticeValidated, number)
	case practice.Reject:
		return fmt.Sprintf(msgPracticeRejected, number)
	case practice.Cancel:
		return fmt.Sprintf(msgPracticeCancelled, number)
	}
	return fmt.Sprintf(msgPracticeNoteSaved, number)
}

func (s *Server) practiceAction(c *gin.Context) {
	op := currentOperator(c)
	action, ok := actionPaths[c.Param("action")]
	if !ok {
		s.practiceNotFound(c)
		return
	}
	p, ok := s.loadPracticeBrief(c, op)
	if !ok {
		return
	}
	version, _ := strconv.Atoi(c.PostForm("versione"))
	key := strings.TrimSpace(c.PostForm("chiave"))
	if key == "" {
		key = randomKey()
	}
	cmd := workflows.PracticeCommand{Command: practice.Command{
		Action: action, Actor: op.Actor(), ExpectedVersion: version,
		BeneficiaryNote: strings.TrimSpace(c.PostForm("nota_beneficiario")),
		InternalNote:    strings.TrimSpace(c.PostForm("nota_interna")),
		ReasonCode:      strings.TrimSpace(c.PostForm("motivazione")),
		// The key is the operator's: the same form sent twice is one action.
		RequestID: fmt.Sprintf("web:%d:%s", op.ID, key),
	}, Audit: s.auditContext(c, op, audit.PracticeAction)}
	// A reason code is one of the configured ones, whatever the action.
	var lookupErr error
	if r := practice.CheckReasonCode(cmd.Command, func(code string) bool {
		ok, err := s.Store.RejectReasonActive(c.Request.Context(), code)
		lookupErr = err
		return ok
	}); r != nil || lookupErr != nil {
		if lookupErr != nil {
			s.fail(c, lookupErr)
			return
		}
		cmd.ReasonCode = ""
		s.audit(c, audit.Record{Action: audit.PracticeAction, Target: p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeRefused,
			Detail: map[string]any{"azione": string(action), "codice": r.Code}}, op)
		s.renderActionError(c, op, p.Number, r, cmd)
		return
	}
	_, err := s.Practices.Act(c.Request.Context(), p.Number, cmd)
	refusal, isRefusal := domainRefusal(err)
	switch {
	case err == nil:
		// The action's audit row was written with its record.
		setFlash(c, "success", successMessage(action, p.Number))
		redirect(c, "/pratiche/"+p.Number)
	case isRefusal:
		s.audit(c, audit.Record{Action: audit.PracticeAction, Target: p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeRefused,
			Detail: map[string]any{"azione": string(action), "codice": refusal.Code}}, op)
		s.renderActionError(c, op, p.Number, refusal, cmd)
	case errors.Is(err, service.ErrInProgress):
		// Not a refusal: the action may still be applied, and its own audit
		// row comes with it.
		setFlash(c, "warning", msgInProgress)
		redirect(c, "/pratiche/"+p.Number)
	case errors.Is(err, service.ErrRecorded):
		setFlash(c, "warning", msgRecorded)
		redirect(c, "/pratiche/"+p.Number)
	case errors.Is(err, practices.ErrNotFound) || workflowClosed(err):
		// The read model showed the practice open, its workflow is gone.
		refusal = closedRefusal()
		s.audit(c, audit.Record{Action: audit.PracticeAction, Target: p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeRefused,
			Detail: map[string]any{"azione": string(action), "codice": refusal.Code}}, op)
		s.renderActionError(c, op, p.Number, refusal, cmd)
	case badRequest(err):
		s.Log.Warn("action refused by Temporal as invalid", "route", c.FullPath(), "error", err)
		s.renderError(c, http.StatusBadRequest, titleBadRequest, msgNotAccepted)
	default:
		s.fail(c, err)
	}
}

// auditContext is what an action sent from the operators' interface adds
// for its audit row, which the workflow's record carries.
func (s *Server) auditContext(c *gin.Context, op *Operator, action audit.Action) *workflows.AuditContext {
	return &workflows.AuditContext{Action: action, Address: c.ClientIP(), OperatorASL: op.Profile.ASLShort,
		Channel: audit.ChannelWeb, RequestID: requestid.From(c.Request.Context())}
}

// renderActionError shows the detail again, up to date, with the refusal:
// 409 when another operator acted first, 422 for a form to correct.
func (s *Server) renderActionError(c *gin.Context, op *Operator, number string, r *refusal.Refusal, cmd workflows.PracticeCommand) {
	p, err := s.Store.PracticeDetailByNumber(c.Request.Context(), number)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.practicePageData(c, op, p)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusUnprocessableEntity
	switch r.Code {
	case practice.CodeStaleVersion, practice.CodeWrongState:
		status = http.StatusConflict
		page.Flash = &Flash{Kind: "danger", Message: r.Message}
	case practice.CodeReasonRequired, practice.CodeReasonUnknown:
		page.Errors["motivazione"] = r.Message
		page.Flash = &Flash{Kind: "danger", Message: r.Message}
	case practice.CodeNotAllowed, practice.CodeOutOfScope:
		status = http.StatusForbidden
		page.Flash = &Flash{Kind: "danger", Message: r.Message}
	default:
		page.Flash = &Flash{Kind: "danger", Message: r.Message}
	}
	// Keep what the operator typed, also when another operator acted first
	// (the notes may still be worth saving on the practice as it is now).
	page.Notes.Beneficiary, page.Notes.Internal = cmd.BeneficiaryNote, cmd.InternalNote
	page.Canonical = "/pratiche/" + number
	s.render(c, status, "practice.html", page)
}

// redirect answers a form post: a 303 for browsers, HX-Redirect for htmx.
func redirect(c *gin.Context, to string) {
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", to)
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, to)
}
