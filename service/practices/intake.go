// Package practices is the service layer of practices: intake (checking a
// submission and starting its workflow) and operator actions (Temporal
// Updates that answer once the read model shows their effect). The web UI,
// the intake API, the demo loader and the benchmark all go through it.
package practices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"esenzioni/domain/access"
	"esenzioni/domain/audit"
	"esenzioni/domain/exemption"
	"esenzioni/domain/exemptioncode"
	"esenzioni/domain/fiscalcode"
	"esenzioni/domain/person"
	"esenzioni/domain/places"
	"esenzioni/domain/practice"
	"esenzioni/service"
	"esenzioni/store"
	"esenzioni/workflows"
	"esenzioni/workflows/searchattr"
)

// Service runs intake and actions.
type Service struct {
	Store           *store.Store
	Temporal        client.Client
	TaskQueue       string
	Places          *places.Registry
	Codes           *exemptioncode.Validator
	ReminderOffsets []time.Duration
	// ActionTimeout bounds how long an operator waits for an action.
	ActionTimeout time.Duration
	Now           func() time.Time
	// Log, when set, receives what cannot be returned (default slog's).
	Log *slog.Logger
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Submission is a request for an exemption.
type Submission struct {
	// Source and Key make the request idempotent: the same key from the
	// same source yields the same practice. RequestHash, when set, must
	// match the first request's (ErrKeyReused otherwise).
	Source      string
	Key         string
	RequestHash []byte

	SubmitterKind practice.SubmitterKind
	SubmitterFC   string
	SubmitterRole access.Role

	Beneficiary BeneficiaryData

	ExemptionCode string
	DiagnosisCode string

	// SubmittedAt backdates the submission (demo data and migrations of
	// existing practices); zero means now.
	SubmittedAt time.Time

	// Audit, when set, makes the submission's audit row part of the
	// practice's first projection.
	Audit *audit.Context

	// Documents, when set, are documents the source uploaded beforehand
	// (staged under Source), checked by CheckDocuments: Submit reserves
	// them before the practice starts and attaches them to it before
	// returning.
	Documents *Documents
}

// Documents are a submission's documents uploaded beforehand by its source
// and not yet used, by id.
type Documents struct {
	CertificateID string
	AttachmentIDs []string
	// linked: a repeat of a request whose documents were attached the first
	// time, to practice number.
	linked bool
	number string
}

func (d *Documents) refs() []string {
	refs := append([]string{}, d.AttachmentIDs...)
	if d.CertificateID != "" {
		refs = append(refs, d.CertificateID)
	}
	return refs
}

// ErrDocumentsInUse: a document of the submission is already used by
// another practice, or reserved by a submission in progress.
var ErrDocumentsInUse = errors.New(msgDocumentsInUse)

// CheckDocuments checks that the documents of a submission from source
// with idempotency key are staged by that source: unknown ones are listed
// in a *ValidationError. A repeat of a request whose documents were
// attached the first time is not checked again. The result goes in
// Submission.Documents.
func (s *Service) CheckDocuments(ctx context.Context, source, key string, d Documents) (Documents, error) {
	refs := d.refs()
	if key != "" && len(refs) > 0 {
		if n, err := s.Store.IntakeNumber(ctx, source, key); err == nil {
			d.linked, d.number = true, n
			return d, nil
		}
	}
	staged := map[string]bool{}
	if len(refs) > 0 {
		var err error
		if staged, err = s.Store.StagedIDs(ctx, source, refs); err != nil {
			return d, err
		}
	}
	verr := &ValidationError{}
	if d.CertificateID != "" && !staged[d.CertificateID] {
		verr.add("certificateId", "attachment.unknown", msgCertificateUnknown)
	}
	for i, id := range d.AttachmentIDs {
		if !staged[id] {
			verr.add(fmt.Sprintf("attachmentIds[%d]", i), "attachment.unknown", msgAttachmentUnknown)
		}
	}
	if len(verr.Fields) > 0 {
		return d, verr
	}
	return d, nil
}

// BeneficiaryData identifies the beneficiary. A person already in the
// registry copy needs only the fiscal code, and what else is sent never
// changes the registry copy: where it differs, the difference is kept on
// the practice for the operator (store.SubmittedDifference). A new one
// needs names and the ASL of residence; names, and the birth data when
// stated, must agree with the fiscal code (package person).
type BeneficiaryData struct {
	FiscalCode       string
	FirstName        string
	LastName         string
	ASLCode          string
	ResidenceAddress string
	ResidenceComune  string
	Email            string
	BirthDate        time.Time // optional, calendar date
	Sex              string    // optional, M or F
	BirthPlaceCode   string    // optional, Belfiore code
}

// FieldError is one invalid field, with a stable code and an Italian message.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of a submission.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return msgInvalidRequest + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, code, msg string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Code: code, Message: msg})
}

// Stable codes of intake validation errors.
const (
	CodeRequired          = "required"
	CodeUnknownCode       = "exemption_code.unknown"
	CodeDiagnosisMismatch = "diagnosis.not_in_code"
	CodeUnknownASL        = "asl.unknown"
	CodeUnknownPerson     = "beneficiary.unknown"
	CodeSubmitterKind     = "submitter.kind"
	CodeDuplicate         = "exemption.duplicate"
)

// CodeOpenPractice refuses a submission for a person and exemption code
// that already have an open practice (OpenPracticeError).
const CodeOpenPractice = "practice.open_exists"

// OpenPracticeError: the person already has an open practice (INVIATA or
// IN_LAVORAZIONE) for the same exemption code; a second one would be
// worked twice.
type OpenPracticeError struct {
	Number, ExemptionCode string
}

func (e *OpenPracticeError) Error() string {
	return fmt.Sprintf(msgOpenPractice,
		e.Number, e.ExemptionCode)
}

// ErrKeyReused: the idempotency key was used for another request.
var ErrKeyReused = errors.New(msgKeyReused)

// Submitted is the outcome of an intake.
type Submitted struct {
	Number  string
	Created bool // false when the key had been seen before
}

// prepared is a checked submission, ready to start.
type prepared struct {
	in  workflows.PracticeInput
	sub Submission
	// newPerson is recorded at Submit, once everything else is valid.
	newPerson *store.Beneficiary
	diffs     []store.SubmittedDifference
}

// Maximum lengths of the submission's short codes (characters).
const (
	maxCodeLen = 16 // exemption code, diagnosis code, ASL code, sex, place code
)

// check validates a submission against the rules and the catalogue and
// resolves the beneficiary.
func (s *Service) check(ctx context.Context, sub Submission) (prepared, error) {
	verr := &ValidationError{}
	checkLengths(sub, verr)
	if len(verr.Fields) > 0 {
		return prepared{}, verr
	}
	sub.ExemptionCode = strings.ToUpper(strings.TrimSpace(sub.ExemptionCode))
	sub.DiagnosisCode = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(sub.DiagnosisCode), ".", ""))
	if !sub.SubmitterKind.Valid() {
		verr.add("submitter.kind", CodeSubmitterKind, msgSubmitterKind)
	}
	if _, err := fiscalcode.Parse(sub.SubmitterFC, s.Places); err != nil {
		verr.add("submitter.fiscalCode", fcCode(err), msgSubmitterFC+fcMessage(err))
	}
	fc, fcErr := fiscalcode.Parse(sub.Beneficiary.FiscalCode, s.Places)
	if fcErr != nil {
		verr.add("beneficiary.fiscalCode", fcCode(fcErr), fcMessage(fcErr))
	}
	if sub.ExemptionCode == "" {
		verr.add("exemptionCode", CodeRequired, msgCodeRequired)
	} else if _, err := s.Codes.Parse(sub.ExemptionCode); err != nil {
		var ce *exemptioncode.Error
		if errors.As(err, &ce) {
			verr.add("exemptionCode", ce.Code, ce.Message)
		} else {
			verr.add("exemptionCode", CodeUnknownCode, err.Error())
		}
	} else if info, err := s.Store.ExemptionCode(ctx, sub.ExemptionCode); errors.Is(err, store.ErrNotFound) || (err == nil && !info.Active) {
		verr.add("exemptionCode", CodeUnknownCode, fmt.Sprintf(msgCodeUnknown, sub.ExemptionCode))
	} else if err != nil {
		return prepared{}, err
	}
	if sub.DiagnosisCode == "" {
		verr.add("diagnosisCode", CodeRequired, msgDiagnosisRequired)
	} else if len(verr.Fields) == 0 {
		ok, err := s.Store.DiagnosisLinked(ctx, sub.ExemptionCode, sub.DiagnosisCode)
		if err != nil {
			return prepared{}, err
		}
		if !ok {
			verr.add("diagnosisCode", CodeDiagnosisMismatch,
				fmt.Sprintf(msgDiagnosisMismatch, sub.DiagnosisCode, sub.ExemptionCode))
		}
	}
	var person store.Beneficiary
	var isNew bool
	var diffs []store.SubmittedDifference
	if fcErr == nil {
		var err error
		person, isNew, diffs, err = s.resolveBeneficiary(ctx, fc, sub.Beneficiary, verr)
		if err != nil {
			return prepared{}, err
		}
	}
	if len(verr.Fields) > 0 {
		return prepared{}, verr
	}
	var newPerson *store.Beneficiary
	if isNew {
		newPerson = &person
	}
	asl, err := s.Store.ASLByCode(ctx, person.ASLCode)
	if err != nil {
		return prepared{}, err
	}
	in := workflows.PracticeInput{
		ASL: asl.Code, ASLShort: asl.ShortName,
		ExemptionCode: sub.ExemptionCode, DiagnosisCode: sub.DiagnosisCode,
		ReminderOffsets: s.ReminderOffsets,
	}
	if person.DistrictID != nil {
		in.DistrictID = *person.DistrictID
	}
	in.Beneficiary.FiscalCode, in.Beneficiary.FirstName, in.Beneficiary.LastName = person.FiscalCode, person.FirstName, person.LastName
	in.Submitter.Kind, in.Submitter.FiscalCode, in.Submitter.Role = sub.SubmitterKind, strings.ToUpper(strings.TrimSpace(sub.SubmitterFC)), sub.SubmitterRole
	return prepared{in: in, sub: sub, newPerson: newPerson, diffs: diffs}, nil
}

// checkLengths bounds every text field of a submission before anything
// else reads it: control characters and oversized values are refused.
func checkLengths(sub Submission, verr *ValidationError) {
	b := sub.Beneficiary
	for _, f := range []struct {
		field, label, value string
		max                 int
	}{
		{"submitter.fiscalCode", "Il codice fiscale del compilatore", sub.SubmitterFC, person.MaxCodeLen + 4},
		{"beneficiary.fiscalCode", "Il codice fiscale", b.FiscalCode, person.MaxCodeLen + 4},
		{"exemptionCode", "Il codice di esenzione", sub.ExemptionCode, maxCodeLen},
		{"diagnosisCode", "Il codice della diagnosi", sub.DiagnosisCode, maxCodeLen},
		{"beneficiary.aslCode", "Il codice ASL", b.ASLCode, maxCodeLen},
		{"beneficiary.sex", "Il sesso", b.Sex, 1},
		{"beneficiary.birthPlaceCode", "Il codice del luogo di nascita", b.BirthPlaceCode, 4},
		{"beneficiary.residenceAddress", "L'indirizzo di residenza", b.ResidenceAddress, person.MaxAddressLen},
		{"beneficiary.residenceComune", "Il comune di residenza", b.ResidenceComune, person.MaxComuneLen},
	} {
		if p := person.CheckText(f.field, f.label, f.value, f.max); p != nil {
			verr.add(p.Field, p.Code, p.Message)
		}
	}
	if b.FirstName != "" {
		if p := person.CheckName("beneficiary.firstName", "Il nome", b.FirstName); p != nil {
			verr.add(p.Field, p.Code, p.Message)
		}
	}
	if b.LastName != "" {
		if p := person.CheckName("beneficiary.lastName", "Il cognome", b.LastName); p != nil {
			verr.add(p.Field, p.Code, p.Message)
		}
	}
	if b.Email != "" {
		if p := person.CheckEmail("beneficiary.email", strings.TrimSpace(b.Email)); p != nil {
			verr.add(p.Field, p.Code, p.Message)
		}
	}
	if !b.BirthDate.IsZero() && (b.BirthDate.Year() < 1890 || b.BirthDate.After(time.Now())) {
		verr.add("beneficiary.birthDate", person.CodeBirthDateValue, msgBirthDate)
	}
}

// resolveBeneficiary finds the person in the registry copy, or prepares a
// new one from the submitted data (names and ASL of residence required,
// agreeing with the fiscal code). An existing person is never changed:
// what the submission states differently is returned as differences.
func (s *Service) resolveBeneficiary(ctx context.Context, fc fiscalcode.Code, d BeneficiaryData, verr *ValidationError) (store.Beneficiary, bool, []store.SubmittedDifference, error) {
	b, err := s.Store.Beneficiary(ctx, fc.Normalized)
	if err == nil {
		return b, false, differences(b, d), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return b, false, nil, err
	}
	first, last := upperTrim(d.FirstName), upperTrim(d.LastName)
	if first == "" || last == "" || d.ASLCode == "" {
		verr.add("beneficiary", CodeUnknownPerson, msgPersonUnknown)
		return b, false, nil, nil
	}
	for _, p := range person.CheckAgainstFiscalCode(fc, person.Claimed{FirstName: first, LastName: last,
		BirthDate: d.BirthDate, Sex: d.Sex, BirthPlaceCode: d.BirthPlaceCode}) {
		verr.add(p.Field, p.Code, p.Message)
	}
	if _, err := s.Store.ASLByCode(ctx, d.ASLCode); errors.Is(err, store.ErrNotFound) {
		verr.add("beneficiary.aslCode", CodeUnknownASL, fmt.Sprintf(msgASLUnknown, d.ASLCode))
		return b, false, nil, nil
	} else if err != nil {
		return b, false, nil, err
	}
	b = store.Beneficiary{
		FiscalCode: fc.Normalized, FirstName: first, LastName: last, BirthDate: fc.BirthDate,
		BirthPlaceCode: fc.PlaceCode, BirthPlaceName: fc.Place.Name, Sex: string(fc.Sex),
		ResidenceAddress: upperTrim(d.ResidenceAddress), ResidenceComune: upperTrim(d.ResidenceComune),
		ASLCode: d.ASLCode, Email: strings.TrimSpace(d.Email), UpdatedAt: s.now(),
	}
	return b, true, nil, nil
}

// differences lists the fields a submission states differently from the
// registry copy of an existing person (fields left empty are not compared).
func differences(b store.Beneficiary, d BeneficiaryData) []store.SubmittedDifference {
	var out []store.SubmittedDifference
	add := func(field, submitted, registry string, same func(a, b string) bool) {
		if submitted != "" && !same(submitted, registry) {
			out = append(out, store.SubmittedDifference{Field: field, Submitted: submitted, Registry: registry})
		}
	}
	upperEq := func(a, b string) bool { return upperTrim(a) == upperTrim(b) }
	add("firstName", upperTrim(d.FirstName), b.FirstName, upperEq)
	add("lastName", upperTrim(d.LastName), b.LastName, upperEq)
	add("aslCode", strings.TrimSpace(d.ASLCode), b.ASLCode, upperEq)
	add("residenceAddress", upperTrim(d.ResidenceAddress), b.ResidenceAddress, upperEq)
	add("residenceComune", upperTrim(d.ResidenceComune), b.ResidenceComune, upperEq)
	add("email", strings.TrimSpace(d.Email), b.Email, strings.EqualFold)
	if !d.BirthDate.IsZero() {
		add("birthDate", d.BirthDate.Format("2006-01-02"), b.BirthDate.Format("2006-01-02"), func(a, b string) bool { return a == b })
	}
	add("sex", upperTrim(d.Sex), b.Sex, upperEq)
	add("birthPlaceCode", upperTrim(d.BirthPlaceCode), b.BirthPlaceCode, upperEq)
	return out
}

func upperTrim(s string) string { return strings.ToUpper(strings.Join(strings.Fields(s), " ")) }

func fcCode(err error) string {
	var e *fiscalcode.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "fiscal_code.invalid"
}

func fcMessage(err error) string {
	var e *fiscalcode.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Submit checks a submission, allocates its number (once per key) and
// starts its workflow. A repeated key returns the same number. The
// submission's documents (Submission.Documents) are reserved for it first
// (ErrDocumentsInUse when another one has them) and attached to the
// practice before Submit returns.
func (s *Service) Submit(ctx context.Context, sub Submission) (Submitted, error) {
	docs := sub.Documents
	if docs == nil {
		return s.submit(ctx, sub)
	}
	// The documents are reserved for this request before its practice
	// starts: of two submissions sharing one, exactly one gets it.
	claim := "submit:" + sub.Key
	refs := docs.refs()
	claimed := !docs.linked && len(refs) > 0
	if claimed {
		ok, err := s.Store.ClaimStaged(ctx, sub.Source, claim, refs)
		if err != nil {
			return Submitted{}, err
		}
		if !ok {
			return Submitted{}, ErrDocumentsInUse
		}
	}
	res, err := s.submit(ctx, sub)
	if err != nil {
		if claimed {
			if rerr := s.Store.ReleaseClaim(ctx, sub.Source, claim); rerr != nil {
				s.log().Error("intake: release attachment claim", "error", rerr)
			}
		}
		return res, err
	}
	if docs.linked && docs.number != res.Number {
		return Submitted{}, fmt.Errorf("intake replay: number %s, expected %s", res.Number, docs.number)
	}
	// The practice has started: its documents are linked even if the
	// client has gone, through a database hiccup (an idempotent write).
	lctx, cancel := service.Detached(ctx, 10*time.Second)
	defer cancel()
	if err := service.Retry(lctx, func(ctx context.Context) error {
		return s.Store.LinkClaimed(ctx, sub.Source, claim, res.Number, docs.CertificateID, docs.AttachmentIDs)
	}); err != nil {
		return Submitted{}, err
	}
	return res, nil
}

func (s *Service) submit(ctx context.Context, sub Submission) (Submitted, error) {
	p, err := s.check(ctx, sub)
	if err != nil {
		return Submitted{}, err
	}
	if err := s.checkNoOpenPractice(ctx, p); err != nil {
		return Submitted{}, err
	}
	if p.newPerson != nil {
		inserted, err := s.Store.InsertBeneficiaryIfAbsent(ctx, p.newPerson)
		if err != nil {
			return Submitted{}, err
		}
		if !inserted {
			// Recorded meanwhile (a concurrent submission, the registry):
			// that copy stands, and this one's data are differences.
			existing, err := s.Store.Beneficiary(ctx, p.newPerson.FiscalCode)
			if err != nil {
				return Submitted{}, err
			}
			p.diffs = differences(existing, sub.Beneficiary)
		}
	}
	number, created, err := s.allocate(ctx, p)
	if err != nil {
		return Submitted{}, err
	}
	if err := s.Store.SaveSubmittedDifferences(ctx, number, p.diffs); err != nil {
		return Submitted{}, err
	}
	p.in.Number = number
	p.in.SubmittedAt = s.now()
	p.in.Audit = sub.Audit
	if !sub.SubmittedAt.IsZero() {
		p.in.SubmittedAt = sub.SubmittedAt
	}
	_, err = s.Temporal.ExecuteWorkflow(ctx, s.startOptions(p.in), workflows.PracticeWorkflowName, workflows.PracticeState{Input: p.in})
	// A repeated key whose practice has already closed finds the workflow
	// completed: the practice exists, which is what the caller asked for.
	if err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return Submitted{}, fmt.Errorf("start practice %s: %w", number, err)
	}
	return Submitted{Number: number, Created: created}, nil
}

// checkNoOpenPractice refuses a second open practice of one person for one
// code. The same request sent again (its idempotency key names the open
// practice) is not a second one. Two submissions racing within the moment
// before the first one's row is written can both pass: the check reads the
// read model.
func (s *Service) checkNoOpenPractice(ctx context.Context, p prepared) error {
	open, err := s.Store.OpenPracticeOf(ctx, p.in.Beneficiary.FiscalCode, p.in.ExemptionCode)
	if err != nil || open == "" {
		return err
	}
	if p.sub.Key != "" {
		prev, err := s.Store.IntakeNumber(ctx, p.sub.Source, p.sub.Key)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if prev == open {
			return nil
		}
	}
	return &OpenPracticeError{Number: open, ExemptionCode: p.in.ExemptionCode}
}

func (s *Service) allocate(ctx context.Context, p prepared) (string, bool, error) {
	at := s.now()
	if !p.sub.SubmittedAt.IsZero() {
		at = p.sub.SubmittedAt
	}
	year := exemption.DateOf(at).Year()
	number, created, err := s.Store.AllocatePracticeNumber(ctx, p.in.ASL, year, p.sub.Source, p.sub.Key, p.sub.RequestHash)
	if errors.Is(err, store.ErrKeyReused) {
		return "", false, ErrKeyReused
	}
	return number, created, err
}

func (s *Service) startOptions(in workflows.PracticeInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       practice.WorkflowID(in.Number),
		TaskQueue:                s.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// No eager start: measured, it halves intake throughput under
		// concurrency on the dev server (docs/BENCHMARKS.md).
		StaticSummary: fmt.Sprintf(summaryPractice, in.Number, in.ExemptionCode, in.ASLShort),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			searchattr.RecordKind.ValueSet(searchattr.KindPractice),
			searchattr.PracticeState.ValueSet(string(practice.Inviata)),
			searchattr.AslCode.ValueSet(in.ASLShort),
			searchattr.ExemptionCode.ValueSet(in.ExemptionCode),
			searchattr.PracticeNumber.ValueSet(in.Number),
			searchattr.SubmittedAt.ValueSet(in.SubmittedAt),
			searchattr.StateSince.ValueSet(in.SubmittedAt),
		),
	}
}
