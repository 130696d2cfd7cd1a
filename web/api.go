package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"esenzioni/adapters/attachments"
	"esenzioni/adapters/auth"
	"esenzioni/domain/access"
	"esenzioni/domain/audit"
	"esenzioni/domain/practice"
	"esenzioni/service"
	"esenzioni/service/practices"
	"esenzioni/store"
	"esenzioni/workflows"
)

// apiErrorBody is the error shape of the API: a stable code and an Italian
// message, plus the invalid fields of a 422.
type apiErrorBody struct {
	Code    string                 `json:"code"`
	Message string                 `json:"message"`
	Fields  []practices.FieldError `json:"fields,omitempty"`
}

func apiError(code, message string) gin.H {
	return gin.H{"error": apiErrorBody{Code: code, Message: message}}
}

const ctxClient = "apiClient"

// routeAPI mounts the intake API; its OpenAPI document is static/api/openapi.yaml.
func (s *Server) routeAPI(e *gin.Engine) {
	e.GET("/api/openapi.yaml", func(c *gin.Context) {
		b, err := staticFS.ReadFile("static/api/openapi.yaml")
		if err != nil {
			c.Status(http.StatusNotFound)
			return
		}
		c.Data(http.StatusOK, "application/yaml; charset=utf-8", b)
	})
	g := e.Group("/api/v1", s.apiAuth)
	g.POST("/attachments", s.apiUpload)
	g.POST("/practices", s.apiSubmit)
	g.GET("/practices/:number", s.apiGetPractice)
	g.POST("/practices/:number/cancel", s.apiCancel)
}

// apiAuth accepts a bearer token of an active API client.
func (s *Server) apiAuth(c *gin.Context) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="esenzioni"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, apiError("auth.missing_token", msgTokenMissing))
		return
	}
	client, err := s.Store.APIClientByToken(c.Request.Context(), auth.Digest(token))
	if errors.Is(err, store.ErrNotFound) {
		c.Header("WWW-Authenticate", `Bearer realm="esenzioni", error="invalid_token"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, apiError("auth.invalid_token", msgTokenInvalid))
		return
	}
	if err != nil {
		s.apiInternal(c, err)
		return
	}
	c.Set(ctxClient, &client)
	c.Next()
}

func (s *Server) apiInternal(c *gin.Context, err error) {
	if unavailable(err) {
		s.renderUnavailable(c, err)
		return
	}
	s.Log.Error("api", "path", c.FullPath(), "error", err)
	c.AbortWithStatusJSON(http.StatusInternalServerError, apiError("internal", msgInternal))
}

func apiClient(c *gin.Context) *store.APIClient { return c.MustGet(ctxClient).(*store.APIClient) }

func clientSource(cl *store.APIClient) string { return "api:" + strconv.FormatInt(cl.ID, 10) }

// submitRequest is the body of POST /api/v1/practices.
type submitRequest struct {
	Submitter struct {
		Kind       string `json:"kind"`
		FiscalCode string `json:"fiscalCode"`
	} `json:"submitter"`
	Beneficiary struct {
		FiscalCode       string `json:"fiscalCode"`
		FirstName        string `json:"firstName"`
		LastName         string `json:"lastName"`
		ASLCode          string `json:"aslCode"`
		ResidenceAddress string `json:"residenceAddress"`
		ResidenceComune  string `json:"residenceComune"`
		Email            string `json:"email"`
		BirthDate        string `json:"birthDate,omitempty"`
		Sex              string `json:"sex,omitempty"`
		BirthPlaceCode   string `json:"birthPlaceCode,omitempty"`
	} `json:"beneficiary"`
	ExemptionCode string   `json:"exemptionCode"`
	DiagnosisCode string   `json:"diagnosisCode"`
	CertificateID string   `json:"certificateId,omitempty"`
	AttachmentIDs []string `json:"attachmentIds,omitempty"`
}

// submitterRole maps a submitter kind to the role recorded in the history.
func submitterRole(kind practice.SubmitterKind) access.Role {
	switch kind {
	case practice.SubmitterDoctor:
		return access.MedicoSpecialista
	case practice.SubmitterDelegate:
		return access.Delegato
	}
	return access.Cittadino
}

// idempotency replays the stored answer of a repeated key. It returns the
// key ("" when absent) and whether the request was answered already.
func (s *Server) idempotency(c *gin.Context, body []byte) (key string, hash []byte, answered bool) {
	key = strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	if key == "" {
		return "", nil, false
	}
	if len(key) > 200 {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError("idempotency_key.too_long", msgKeyTooLong))
		return key, nil, true
	}
	sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.Path+"\n"), canonicalJSON(body)...))
	hash = sum[:]
	prev, err := s.Idempotency.Previous(c.Request.Context(), apiClient(c).ID, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return key, hash, false
	case err != nil:
		s.apiInternal(c, err)
		return key, hash, true
	case !bytes.Equal(prev.RequestHash, hash):
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, apiError("idempotency_key.reused",
			msgKeyReused))
		return key, hash, true
	}
	c.Header("Idempotent-Replayed", "true")
	c.Data(prev.Status, "application/json; charset=utf-8", prev.Body)
	c.Abort()
	return key, hash, true
}

// canonicalJSON is body in a canonical form (object keys sorted, no
// insignificant whitespace, numbers as written), so that the idempotency
// hash of a request does not depend on its formatting; a body that is not
// JSON is returned as is.
func canonicalJSON(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return body
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return out
}

// canonicalHash is the SHA-256 of the canonical form of a JSON body (or
// of other bytes as they are: canonicalJSON leaves them so).
func canonicalHash(body []byte) []byte {
	sum := sha256.Sum256(canonicalJSON(body))
	return sum[:]
}

// answer writes a JSON answer and keeps it for replays of key (only final
// answers are kept: idempotency.Keep).
func (s *Server) answer(c *gin.Context, key string, hash []byte, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.apiInternal(c, err)
		return
	}
	if err := s.Idempotency.Keep(c.Request.Context(), &store.IdempotentResponse{
		ClientID: apiClient(c).ID, Key: key, RequestHash: hash, Status: status, Body: body,
	}); err != nil {
		s.Log.Error("api: store idempotent response", "error", err)
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

func randomKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// apiSubmit receives a practice. Its Idempotency-Key is kept with the
// practice number (intake_request) rather than as a stored answer: a repeat
// re-runs the same checks, finds the same number and answers the same, and
// the same key with another body is refused.
func (s *Server) apiSubmit(c *gin.Context) {
	var req submitRequest
	body, ok := readJSON(c, &req)
	if !ok {
		return
	}
	key := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	if len(key) > 200 {
		c.JSON(http.StatusBadRequest, apiError("idempotency_key.too_long", msgKeyTooLong))
		return
	}
	cl := apiClient(c)
	kind := practice.SubmitterKind(strings.ToUpper(strings.TrimSpace(req.Submitter.Kind)))
	if kind == practice.SubmitterOperator || (kind.Valid() && !slices.Contains(cl.SubmitterKinds, string(kind))) {
		c.JSON(http.StatusForbidden, apiError("submitter.forbidden",
			fmt.Sprintf(msgSubmitterKind, strings.ToLower(kind.Label()))))
		return
	}
	submitterFC := strings.ToUpper(strings.TrimSpace(req.Submitter.FiscalCode))
	if cl.FiscalCode != nil && *cl.FiscalCode != "" {
		if submitterFC == "" {
			submitterFC = *cl.FiscalCode
		}
		if submitterFC != *cl.FiscalCode {
			c.JSON(http.StatusForbidden, apiError("submitter.forbidden",
				msgSubmitterNotHolder))
			return
		}
	}
	// Documents by reference: uploaded beforehand by this client
	// (POST /api/v1/attachments) and not yet used.
	docs, err := s.Practices.CheckDocuments(c.Request.Context(), clientSource(cl), key,
		practices.Documents{CertificateID: req.CertificateID, AttachmentIDs: req.AttachmentIDs})
	if verr := (*practices.ValidationError)(nil); errors.As(err, &verr) {
		c.JSON(http.StatusUnprocessableEntity, gin.H{"error": apiErrorBody{
			Code: "validation_failed", Message: msgInvalidRequest, Fields: verr.Fields}})
		return
	} else if err != nil {
		s.apiInternal(c, err)
		return
	}
	var birthDate time.Time
	if v := strings.TrimSpace(req.Beneficiary.BirthDate); v != "" {
		d, err := time.Parse("2006-01-02", v)
		if err != nil || len(v) != 10 {
			c.JSON(http.StatusUnprocessableEntity, gin.H{"error": apiErrorBody{
				Code: "validation_failed", Message: msgInvalidRequest, Fields: []practices.FieldError{{
					Field: "beneficiary.birthDate", Code: "birth_date.invalid", Message: msgAPIBirthDate}}}})
			return
		}
		birthDate = d
	}
	requestKey := key
	if requestKey == "" {
		requestKey = "anon-" + randomKey()
	}
	res, err := s.Practices.Submit(c.Request.Context(), practices.Submission{
		Source: clientSource(cl), Key: requestKey, RequestHash: canonicalHash(body),
		SubmitterKind: kind, SubmitterFC: submitterFC, SubmitterRole: submitterRole(kind),
		Beneficiary: practices.BeneficiaryData{
			FiscalCode: req.Beneficiary.FiscalCode, FirstName: req.Beneficiary.FirstName, LastName: req.Beneficiary.LastName,
			ASLCode: req.Beneficiary.ASLCode, ResidenceAddress: req.Beneficiary.ResidenceAddress,
			ResidenceComune: req.Beneficiary.ResidenceComune, Email: req.Beneficiary.Email,
			BirthDate: birthDate, Sex: req.Beneficiary.Sex, BirthPlaceCode: req.Beneficiary.BirthPlaceCode,
		},
		ExemptionCode: req.ExemptionCode, DiagnosisCode: req.DiagnosisCode,
		Documents: &docs,
	})
	var verr *practices.ValidationError
	var openErr *practices.OpenPracticeError
	switch {
	case errors.As(err, &verr):
		c.JSON(http.StatusUnprocessableEntity, gin.H{"error": apiErrorBody{
			Code: "validation_failed", Message: msgInvalidRequest, Fields: verr.Fields,
		}})
		return
	case errors.As(err, &openErr):
		c.JSON(http.StatusConflict, apiError(practices.CodeOpenPractice, openErr.Error()))
		return
	case errors.Is(err, practices.ErrDocumentsInUse):
		c.JSON(http.StatusConflict, apiError("attachment.in_use", err.Error()))
		return
	case errors.Is(err, practices.ErrKeyReused):
		c.JSON(http.StatusUnprocessableEntity, apiError("idempotency_key.reused", msgKeyReused))
		return
	case err != nil:
		s.apiInternal(c, err)
		return
	}
	status := http.StatusCreated
	if !res.Created {
		// A replay of the same request: the same practice, 200 as the
		// OpenAPI document says.
		status = http.StatusOK
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", "/api/v1/practices/"+res.Number)
	c.JSON(status, gin.H{
		"number": res.Number, "state": practice.Inviata,
		"links": gin.H{"self": "/api/v1/practices/" + res.Number, "cancel": "/api/v1/practices/" + res.Number + "/cancel"},
	})
}

// practiceView is the submitter's view of a practice.
type practiceView struct {
	Number        string         `json:"number"`
	State         string         `json:"state"`
	StateLabel    string         `json:"stateLabel"`
	ExemptionCode string         `json:"exemptionCode"`
	DiagnosisCode string         `json:"diagnosisCode"`
	Beneficiary   string         `json:"beneficiaryFiscalCode"`
	CreatedAt     time.Time      `json:"createdAt"`
	UpdatedAt     time.Time      `json:"updatedAt"`
	ValidFrom     string         `json:"validFrom,omitempty"`
	ValidUntil    string         `json:"validUntil,omitempty"`
	History       []historyEntry `json:"history"`
}

type historyEntry struct {
	At              time.Time `json:"at"`
	State           string    `json:"state"`
	Role            string    `json:"role"`
	BeneficiaryNote string    `json:"beneficiaryNote,omitempty"`
	InternalNote    string    `json:"internalNote,omitempty"`
}

// loadAPIPractice finds a practice this client submitted; any other answers
// 404 so that numbers of others reveal nothing.
func (s *Server) loadAPIPractice(c *gin.Context) (store.Practice, bool) {
	number := c.Param("number")
	if _, err := practice.ParseNumber(number); err != nil {
		c.AbortWithStatusJSON(http.StatusNotFound, apiError("practice.not_found", msgAPIPracticeNotFound))
		return store.Practice{}, false
	}
	src, err := s.Store.IntakeSource(c.Request.Context(), number)
	if err != nil {
		s.apiInternal(c, err)
		return store.Practice{}, false
	}
	if src != clientSource(apiClient(c)) {
		c.AbortWithStatusJSON(http.StatusNotFound, apiError("practice.not_found", msgAPIPracticeNotFound))
		return store.Practice{}, false
	}
	p, err := s.Store.PracticeByNumber(c.Request.Context(), number)
	if errors.Is(err, store.ErrNotFound) {
		// Submitted a moment ago: the workflow has not projected it yet.
		c.AbortWithStatusJSON(http.StatusNotFound, apiError("practice.not_found", msgAPIPracticeNotReady))
		return p, false
	}
	if err != nil {
		s.apiInternal(c, err)
		return p, false
	}
	return p, true
}

// view renders a practice for its submitter: citizens and delegates see the
// beneficiary note only; doctors see the internal note too (manual, ch. 4;
// access.Role.SeesInternalNotes).
// The reject reason is internal and never shown.
func (s *Server) view(c *gin.Context, p store.Practice) (practiceView, error) {
	events, err := s.Store.PracticeEvents(c.Request.Context(), p.Number)
	if err != nil {
		return practiceView{}, err
	}
	internal := submitterRole(practice.SubmitterKind(p.SubmitterKind)).SeesInternalNotes()
	v := practiceView{
		Number: p.Number, State: p.State, StateLabel: practice.State(p.State).Label(),
		ExemptionCode: p.ExemptionCode, DiagnosisCode: p.DiagnosisCode, Beneficiary: p.BeneficiaryFC,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, History: []historyEntry{},
	}
	if p.ValidFrom != nil {
		v.ValidFrom = p.ValidFrom.Format("2006-01-02")
	}
	if p.ValidUntil != nil {
		v.ValidUntil = p.ValidUntil.Format("2006-01-02")
	}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		h := historyEntry{At: e.At, State: e.State, Role: e.ActorRole, BeneficiaryNote: e.BeneficiaryNote}
		if internal {
			h.InternalNote = e.InternalNote
		}
		v.History = append(v.History, h)
	}
	return v, nil
}

func (s *Server) apiGetPractice(c *gin.Context) {
	p, ok := s.loadAPIPractice(c)
	if !ok {
		return
	}
	s.auditAPI(c, audit.Record{Action: audit.ViewPractice, Target: p.Number, BeneficiaryFC: p.BeneficiaryFC, Outcome: audit.OutcomeOK})
	v, err := s.view(c, p)
	if err != nil {
		s.apiInternal(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

type cancelRequest struct {
	SubmitterFiscalCode string `json:"submitterFiscalCode"`
	BeneficiaryNote     string `json:"beneficiaryNote"`
}

func (s *Server) apiCancel(c *gin.Context) {
	var req cancelRequest
	body := []byte("{}")
	if c.Request.ContentLength != 0 {
		var ok bool
		if body, ok = readJSON(c, &req); !ok {
			return
		}
	}
	key, hash, answered := s.idempotency(c, body)
	if answered {
		return
	}
	p, ok := s.loadAPIPractice(c)
	if !ok {
		return
	}
	cl := apiClient(c)
	fc := strings.ToUpper(strings.TrimSpace(req.SubmitterFiscalCode))
	if cl.FiscalCode != nil && *cl.FiscalCode != "" {
		fc = *cl.FiscalCode
	}
	requestID := clientSource(cl) + ":cancel:" + p.Number
	if key != "" {
		requestID = clientSource(cl) + ":" + key
	}
	cmd := workflows.PracticeCommand{Command: practice.Command{
		Action: practice.Cancel, RequestID: requestID, BeneficiaryNote: strings.TrimSpace(req.BeneficiaryNote),
		Actor: access.Actor{FiscalCode: fc, Role: submitterRole(practice.SubmitterKind(p.SubmitterKind))},
	}, Audit: &workflows.AuditContext{Action: audit.APICancel, Address: c.ClientIP(), OperatorASL: cl.Name, Channel: audit.ChannelAPI}}
	_, err := s.Practices.Act(c.Request.Context(), p.Number, cmd)
	if errors.Is(err, service.ErrRecorded) {
		err = nil
	}
	if err != nil {
		status, body := actionErrorStatus(err)
		if status == http.StatusInternalServerError {
			s.Log.Error("api: cancel failed", "error", err)
		}
		s.answer(c, key, hash, status, gin.H{"error": body})
		return
	}
	p, err = s.Store.PracticeByNumber(c.Request.Context(), p.Number)
	if err != nil {
		s.apiInternal(c, err)
		return
	}
	v, err := s.view(c, p)
	if err != nil {
		s.apiInternal(c, err)
		return
	}
	s.answer(c, key, hash, http.StatusOK, v)
}

// actionErrorStatus maps an action's error to an HTTP status and body.
func actionErrorStatus(err error) (int, apiErrorBody) {
	r, isRefusal := domainRefusal(err)
	switch {
	case isRefusal:
		switch r.Code {
		case practice.CodeNotAllowed, practice.CodeOutOfScope:
			return http.StatusForbidden, apiErrorBody{Code: r.Code, Message: r.Message}
		case practice.CodeStaleVersion, practice.CodeWrongState:
			return http.StatusConflict, apiErrorBody{Code: r.Code, Message: r.Message}
		}
		return http.StatusUnprocessableEntity, apiErrorBody{Code: r.Code, Message: r.Message}
	case errors.Is(err, practices.ErrNotFound):
		return http.StatusNotFound, apiErrorBody{Code: "practice.not_found", Message: msgAPIPracticeNotFound}
	case errors.Is(err, service.ErrInProgress):
		return http.StatusAccepted, apiErrorBody{Code: "operation.in_progress", Message: service.ErrInProgress.Error()}
	case unavailable(err):
		return http.StatusServiceUnavailable, apiErrorBody{Code: "service.unavailable", Message: msgUnavailable}
	case workflowClosed(err):
		cl := closedRefusal()
		return http.StatusConflict, apiErrorBody{Code: cl.Code, Message: cl.Message}
	case badRequest(err):
		return http.StatusBadRequest, apiErrorBody{Code: "request.invalid", Message: msgAPINotAccepted}
	}
	return http.StatusInternalServerError, apiErrorBody{Code: "internal", Message: msgInternal}
}

// apiUpload receives one signed document (the body is the file; the name
// in ?fileName=) and keeps it for the client's next submission.
func (s *Server) apiUpload(c *gin.Context) {
	cl := apiClient(c)
	limit := s.Config.MaxUploadBytes
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit+1)
	a, err := s.Attachments.Put(c.Request.Context(), c.Request.Body, attachments.Upload{
		FileName: c.Query("fileName"), Role: store.RoleCitizen, StagingKey: clientSource(cl),
		UploadedBy: cl.Name,
	})
	var ae *attachments.Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		status := http.StatusUnprocessableEntity
		if ae.Code == attachments.CodeTooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		c.JSON(status, apiError(ae.Code, ae.Message))
		return
	case errors.As(err, &tooBig):
		c.JSON(http.StatusRequestEntityTooLarge, apiError(attachments.CodeTooLarge,
			fmt.Sprintf(msgFileTooLarge, limit>>20)))
		return
	case errors.Is(err, attachments.ErrUnavailable):
		c.JSON(http.StatusServiceUnavailable, apiError("storage.unavailable", msgAPIStorageDown))
		return
	case err != nil:
		s.apiInternal(c, err)
		return
	}
	out := gin.H{"id": a.ID, "fileName": a.FileName, "sizeBytes": a.SizeBytes, "sha256": fmt.Sprintf("%x", a.SHA256),
		"signatureFormat": a.SignatureFormat, "signerName": a.SignerName, "signerFiscalCode": a.SignerFC}
	if a.SigningTime != nil {
		out["signingTime"] = a.SigningTime
	}
	c.JSON(http.StatusCreated, out)
}

// auditAPI records an access by an API client: its bound fiscal code (or
// its name) as the actor, role CLIENT_API.
func (s *Server) auditAPI(c *gin.Context, e audit.Record) {
	cl := apiClient(c)
	who := "API:" + cl.Name
	if cl.FiscalCode != nil && *cl.FiscalCode != "" {
		who = *cl.FiscalCode
	}
	if err := s.AccessLog.Record(c.Request.Context(), audit.Record{OperatorFC: who, OperatorRole: "CLIENT_API",
		BeneficiaryFC: e.BeneficiaryFC, Action: e.Action, Target: e.Target, Address: c.ClientIP(), Outcome: e.Outcome,
		Detail: map[string]any{"client": cl.Name}}); err != nil {
		s.Log.Error("audit log write failed", "action", e.Action, "error", err)
	}
}

// OpenAPIDocument is the intake API's OpenAPI document, as served at
// /api/openapi.yaml.
func OpenAPIDocument() []byte {
	b, _ := staticFS.ReadFile("static/api/openapi.yaml")
	return b
}
