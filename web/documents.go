package web

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/adapters/attachments"
	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/service/practices"
	"esenzioni/store"
)

// uploadForm is a document sent with its data from the Modifica and wizard
// pages: the fields come first in the form, the file last, so the body is
// read as a stream and the file goes to the checks without a temporary copy.
type uploadForm struct {
	Type       string
	IssuedOn   *time.Time
	ValidUntil *time.Time
	Errors     map[string]string
	Values     map[string]string // what was typed, shown again with the errors
}

// readUpload streams a multipart upload into the attachments service.
func (s *Server) readUpload(c *gin.Context, op *Operator, stagingKey string) (store.Attachment, uploadForm, error) {
	form := uploadForm{Errors: map[string]string{}}
	limit := s.Config.MaxUploadBytes
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit+1<<20)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		form.Errors["file"] = msgUploadInvalid
		return store.Attachment{}, form, nil
	}
	fields := map[string]string{}
	form.Values = fields
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return store.Attachment{}, form, s.uploadReadError(&form, err)
		}
		if part.FileName() == "" {
			// The fields pass the checks of every form (input.go); a bad one
			// is named on the form, shown again.
			name := part.FormName()
			if len(fields) >= maxFields {
				form.Errors["file"] = (&inputError{Code: codeTooManyFields}).Message()
				return store.Attachment{}, form, nil
			}
			limit := 4 * int64(ruleOf(name).Max) // bytes of the longest acceptable value
			b, _ := io.ReadAll(io.LimitReader(part, limit+1))
			v, ierr := checkFormField(name, string(b))
			if ierr == nil && int64(len(b)) > limit {
				ierr = &inputError{Code: codeTooLong, Where: "form", Field: name, Label: ruleOf(name).Label, Max: ruleOf(name).Max}
			}
			if ierr != nil {
				slot := name
				if slot != "tipo" && slot != "data_rilascio" && slot != "data_validita" {
					slot = "file"
				}
				form.Errors[slot] = ierr.Message()
				continue
			}
			fields[name] = v
			continue
		}
		if ierr := checkFileName(part.FileName()); ierr != nil {
			form.Errors["file"] = ierr.Message()
		}
		if len(form.Errors) > 0 {
			return store.Attachment{}, form, nil
		}
		form.Type = fields["tipo"]
		if form.Type == "" {
			form.Errors["tipo"] = msgDocumentKind
		}
		if v := fields["data_rilascio"]; v != "" {
			if d, err := parseDate(v); err != nil {
				form.Errors["data_rilascio"] = err.Error()
			} else if day, today := dayUTC(d), exemption.DateOf(time.Now()); day.After(today) {
				form.Errors["data_rilascio"] = fmt.Sprintf(msgDocumentIssuedFuture, today.Format("02/01/2006"))
			} else {
				form.IssuedOn = &day
			}
		} else {
			form.Errors["data_rilascio"] = msgDocumentIssuedOn
		}
		if v := fields["data_validita"]; v != "" {
			if d, err := parseDate(v); err != nil {
				form.Errors["data_validita"] = err.Error()
			} else {
				day := dayUTC(d)
				form.ValidUntil = &day
				if form.IssuedOn != nil && day.Before(*form.IssuedOn) {
					form.Errors["data_validita"] = msgDocumentEndBeforeIssue
				}
			}
		}
		for key, p := range exemption.CheckDocumentDates(form.IssuedOn, form.ValidUntil, exemption.DateOf(time.Now())) {
			field := map[string]string{"issuedOn": "data_rilascio", "validUntil": "data_validita"}[key]
			if form.Errors[field] == "" {
				form.Errors[field] = p.Message
			}
		}
		if len(form.Errors) > 0 {
			return store.Attachment{}, form, nil
		}
		a, err := s.Attachments.Put(c.Request.Context(), part, attachments.Upload{
			FileName: part.FileName(), Role: store.RoleDocument, DocumentType: form.Type,
			IssuedOn: form.IssuedOn, ValidUntil: form.ValidUntil, StagingKey: stagingKey,
			UploadedBy: op.FiscalCode, OperatorID: &op.ID,
		})
		if err != nil {
			return a, form, s.uploadReadError(&form, err)
		}
		return a, form, nil
	}
	form.Errors["file"] = msgDocumentFile
	return store.Attachment{}, form, nil
}

// uploadReadError turns a refusal into a message by the file field; other
// errors go back to the caller.
func (s *Server) uploadReadError(form *uploadForm, err error) error {
	var ae *attachments.Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		form.Errors["file"] = ae.Message
		return nil
	case errors.As(err, &tooBig):
		form.Errors["file"] = fmt.Sprintf(msgFileTooLarge, s.Config.MaxUploadBytes>>20)
		return nil
	}
	return err
}

// uploadError answers an upload that failed for a reason other than the
// document: storage down (503), forged form (403) or anything else.
func (s *Server) uploadError(c *gin.Context, err error) {
	switch {
	case errors.Is(err, attachments.ErrUnavailable):
		s.Log.Error("upload: S3 unavailable", "error", err)
		s.renderError(c, http.StatusServiceUnavailable, titleStorageDown,
			msgStorageDown)
	default:
		s.fail(c, err)
	}
}

// exemptionDocumentUpload adds a document to a pending Modifica.
func (s *Server) exemptionDocumentUpload(c *gin.Context) {
	page, op, ok := s.loadEditable(c)
	if !ok {
		return
	}
	a, form, err := s.readUpload(c, op, editStagingKey(op, page.E.ID))
	if err != nil {
		s.uploadError(c, err)
		return
	}
	if len(form.Errors) > 0 {
		page.Key = c.Query("chiave")
		page.UploadErrors, page.UploadValues = form.Errors, form.Values
		if !s.editDocuments(c, op, &page) {
			return
		}
		s.render(c, http.StatusUnprocessableEntity, "exemption_edit.html", page)
		return
	}
	s.audit(c, audit.Record{Action: audit.Upload, Target: a.ID, BeneficiaryFC: page.E.BeneficiaryFC, Outcome: audit.OutcomeOK}, op)
	setFlash(c, "success", fmt.Sprintf(msgDocumentAddedConfirm, a.FileName, a.SignerName))
	redirect(c, fmt.Sprintf("/esenzioni/%d/modifica", page.E.ID))
}

// exemptionDocumentDelete removes a document from a pending Modifica.
func (s *Server) exemptionDocumentDelete(c *gin.Context) {
	page, ok := s.loadExemption(c)
	if !ok {
		return
	}
	op := currentOperator(c)
	err := s.Attachments.DeleteStaged(c.Request.Context(), c.Param("doc"), editStagingKey(op, page.E.ID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(c, err)
		return
	}
	setDeletedFlash(c, err)
	redirect(c, fmt.Sprintf("/esenzioni/%d/modifica", page.E.ID))
}

// wizardDocumentUpload adds a document to a draft.
func (s *Server) wizardDocumentUpload(c *gin.Context) {
	page, ok := s.loadDraft(c, "documenti")
	if !ok {
		return
	}
	op := currentOperator(c)
	a, form, err := s.readUpload(c, op, practices.DraftStagingKey(page.Draft.ID))
	if err != nil {
		s.uploadError(c, err)
		return
	}
	if len(form.Errors) > 0 {
		page.Errors, page.UploadValues = form.Errors, form.Values
		if err := s.fillDocuments(c, &page); err != nil {
			s.fail(c, err)
			return
		}
		s.render(c, http.StatusUnprocessableEntity, "wizard.html", page)
		return
	}
	s.audit(c, audit.Record{Action: audit.Upload, Target: a.ID, BeneficiaryFC: page.Draft.BeneficiaryFC, Outcome: audit.OutcomeOK}, op)
	setFlash(c, "success", fmt.Sprintf(msgDocumentAdded, a.FileName, a.SignerName))
	redirect(c, "/esenzioni/nuova/"+page.Draft.ID+"/documenti")
}

func (s *Server) wizardDocumentDelete(c *gin.Context) {
	page, ok := s.loadDraft(c, "documenti")
	if !ok {
		return
	}
	err := s.Attachments.DeleteStaged(c.Request.Context(), c.Param("doc"), practices.DraftStagingKey(page.Draft.ID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(c, err)
		return
	}
	setDeletedFlash(c, err)
	redirect(c, "/esenzioni/nuova/"+page.Draft.ID+"/documenti")
}

// setDeletedFlash tells the operator what «Elimina» did (err: the deletion's
// outcome, nil or store.ErrNotFound).
func setDeletedFlash(c *gin.Context, err error) {
	if errors.Is(err, store.ErrNotFound) {
		setFlash(c, "info", msgDocumentAlreadyDeleted)
		return
	}
	setFlash(c, "success", msgDocumentDeleted)
}

// canDownload applies role and ASL scope to a document: a staged one only
// to whoever uploaded it; a practice's or an exemption's to the operators of
// its ASL and the regional roles.
func (s *Server) canDownload(c *gin.Context, op *Operator, a store.Attachment) (beneficiary string, ok bool, err error) {
	ctx := c.Request.Context()
	switch {
	case a.StagingKey != nil:
		return "", a.UploadedByOperator != nil && *a.UploadedByOperator == op.ID, nil
	case a.ExemptionID != nil:
		e, err := s.Store.ExemptionByID(ctx, *a.ExemptionID)
		if err != nil {
			return "", false, err
		}
		return e.BeneficiaryFC, op.InScope(e.ASLCode), nil
	case a.PracticeNumber != nil:
		p, err := s.Store.PracticeByNumber(ctx, *a.PracticeNumber)
		if err != nil {
			return "", false, err
		}
		return p.BeneficiaryFC, op.InScope(p.ASLCode), nil
	}
	return "", false, nil
}

// documentDownload serves a document (the signed original, or the content
// extracted from a .p7m with /contenuto) through the application, after the
// scope check, with a safe Content-Disposition, and audits it.
func (s *Server) documentDownload(c *gin.Context) {
	op := currentOperator(c)
	content := strings.HasSuffix(c.FullPath(), "/contenuto")
	a, err := s.Store.AttachmentByID(c.Request.Context(), c.Param("doc"))
	if errors.Is(err, store.ErrNotFound) {
		s.renderError(c, http.StatusNotFound, titleDocumentNotFound, msgDocumentNotFound)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	fc, ok, err := s.canDownload(c, op, a)
	if err != nil {
		s.fail(c, err)
		return
	}
	entry := audit.Record{Action: audit.Download, Target: "documento " + a.ID, BeneficiaryFC: fc, Outcome: audit.OutcomeOK}
	if !ok || (content && a.ContentObjectKey == nil) {
		entry.Outcome = audit.OutcomeDenied
		s.audit(c, entry, op)
		s.renderError(c, http.StatusNotFound, titleDocumentNotFound, msgDocumentNotFound)
		return
	}
	name := a.FileName
	if content {
		name = strings.TrimSuffix(strings.TrimSuffix(name, ".p7m"), ".P7M")
	}
	s.serveObject(c, a, content, name, entry, op)
}

func (s *Server) serveObject(c *gin.Context, a store.Attachment, content bool, name string, entry audit.Record, op *Operator) {
	r, ct, err := s.Attachments.Open(c.Request.Context(), a, content)
	if err != nil {
		entry.Outcome = audit.OutcomeError
		s.audit(c, entry, op)
		s.uploadError(c, err)
		return
	}
	defer r.Close()
	s.audit(c, entry, op)
	c.Header("Content-Type", ct)
	c.Header("Content-Disposition", contentDisposition(name))
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	_, _ = io.Copy(c.Writer, r)
}

// contentDisposition quotes a file name safely: an ASCII fallback and the
// UTF-8 name (RFC 6266).
func contentDisposition(name string) string {
	ascii := make([]rune, 0, len(name))
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			r = '_'
		}
		ascii = append(ascii, r)
	}
	return `attachment; filename="` + string(ascii) + `"; filename*=UTF-8''` + url.PathEscape(name)
}

// practiceDocuments loads the request's practice, if op may see it, and its
// attachments; false when the page is written (not found, error).
func (s *Server) practiceDocuments(c *gin.Context, op *Operator) (store.PracticeDetail, []store.Attachment, bool) {
	p, ok := s.loadPractice(c, op)
	if !ok {
		return p, nil, false
	}
	docs, err := s.Store.PracticeAttachments(c.Request.Context(), p.Number)
	if err != nil {
		s.fail(c, err)
		return p, nil, false
	}
	return p, docs, true
}

// practiceCertificate downloads the doctor's certificate of a practice.
func (s *Server) practiceCertificate(c *gin.Context) {
	op := currentOperator(c)
	p, docs, ok := s.practiceDocuments(c, op)
	if !ok {
		return
	}
	for _, a := range docs {
		if a.Role == store.RoleCertificate {
			entry := audit.Record{Action: audit.Download, Target: "certificato " + p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeOK}
			s.serveObject(c, a, false, a.FileName, entry, op)
			return
		}
	}
	s.renderError(c, http.StatusNotFound, titleNoCertificate, msgNoCertificate)
}

// practiceAttachmentsZip is "Scarica allegati": the citizen's attachments
// of a practice in one zip, streamed.
func (s *Server) practiceAttachmentsZip(c *gin.Context) {
	op := currentOperator(c)
	p, docs, ok := s.practiceDocuments(c, op)
	if !ok {
		return
	}
	var citizen []store.Attachment
	for _, a := range docs {
		if a.Role == store.RoleCitizen {
			citizen = append(citizen, a)
		}
	}
	if len(citizen) == 0 {
		s.renderError(c, http.StatusNotFound, titleNoAttachments, msgNoAttachments)
		return
	}
	// Open every object first: a storage failure is an error page, not a
	// truncated zip.
	readers := make([]io.ReadCloser, 0, len(citizen))
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	for _, a := range citizen {
		r, _, err := s.Attachments.Open(c.Request.Context(), a, false)
		if err != nil {
			s.uploadError(c, err)
			return
		}
		readers = append(readers, r)
	}
	s.audit(c, audit.Record{Action: audit.Download, Target: "allegati " + p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeOK,
		Detail: map[string]any{"documenti": len(citizen)}}, op)
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", contentDisposition("allegati-pratica-"+p.Number+".zip"))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	zw := zip.NewWriter(c.Writer)
	used := map[string]int{}
	for i, a := range citizen {
		name := a.FileName
		if n := used[name]; n > 0 {
			name = strconv.Itoa(n) + "-" + name
		}
		used[a.FileName]++
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: a.UploadedAt})
		if err != nil {
			return
		}
		if _, err := io.Copy(w, readers[i]); err != nil {
			return
		}
	}
	_ = zw.Close()
}
