package web

import (
	"context"
	"time"

	"esenzioni/domain/exemption"
	"esenzioni/store"
)

// Reader is what the web reads from the read model: every read method it
// uses, and no write. Writes go through the service layer (Deps: Practices,
// Exemptions, Sessions, AccessLog, Notifications, Idempotency), so a write
// from a handler does not compile. *store.Store is the Reader.
type Reader interface {
	// Ping checks the database (health endpoint).
	Ping(ctx context.Context) error

	// sessions and accounts
	LoadSession(ctx context.Context, digest []byte) (store.SessionContext, error)
	SessionLoginByToken(ctx context.Context, digest []byte) (store.SessionLogin, error)
	OperatorByUsername(ctx context.Context, username string) (store.Operator, error)
	OperatorsByFiscalCode(ctx context.Context, fc string) ([]store.Operator, error)
	Profiles(ctx context.Context, operatorID int64) ([]store.Profile, error)
	APIClientByToken(ctx context.Context, digest []byte) (store.APIClient, error)
	NotificationsFor(ctx context.Context, operatorID int64, asl string, limit int) ([]store.Notification, error)

	// practices
	SearchPractices(ctx context.Context, f store.PracticeFilter, after store.Cursor, limit, countLimit int) (rows []store.PracticeRow, total int, capped bool, err error)
	PracticeByNumber(ctx context.Context, number string) (store.Practice, error)
	PracticeDetailByNumber(ctx context.Context, number string) (store.PracticeDetail, error)
	PracticeEvents(ctx context.Context, number string) ([]store.PracticeEvent, error)
	PracticeAttachments(ctx context.Context, number string) ([]store.Attachment, error)
	SubmittedDifferences(ctx context.Context, number string) ([]store.SubmittedDifference, error)
	IntakeSource(ctx context.Context, number string) (string, error)
	OpenPracticeOf(ctx context.Context, fc, code string) (string, error)
	OverdueByASL(ctx context.Context, asl string, before time.Time) ([]store.OverdueCount, error)
	RejectReasons(ctx context.Context) ([]store.RejectReason, error)
	RejectReasonActive(ctx context.Context, code string) (bool, error)

	// exemptions and the wizard
	SearchExemptions(ctx context.Context, f store.ExemptionFilter, after store.ExemptionCursor, limit, countLimit int) (rows []store.ExemptionRow, total int, capped bool, err error)
	ExemptionByID(ctx context.Context, id int64) (store.Exemption, error)
	ExemptionDetail(ctx context.Context, id int64) (store.ExemptionRow, error)
	ExemptionEvents(ctx context.Context, id int64) ([]store.ExemptionEvent, error)
	ExemptionAttachments(ctx context.Context, id int64) ([]store.Attachment, error)
	ExemptionsOf(ctx context.Context, fc string) ([]store.ExemptionRow, error)
	ValidExemptionWithCode(ctx context.Context, fc, code, exceptPractice string) (int64, error)
	DraftOf(ctx context.Context, id string, operatorID int64) (store.Draft, error)

	// beneficiaries, attachments, audit
	FindBeneficiaries(ctx context.Context, fc, lastName, firstName string, limit int) ([]store.Beneficiary, error)
	Beneficiary(ctx context.Context, fc string) (store.Beneficiary, error)
	AttachmentByID(ctx context.Context, id string) (store.Attachment, error)
	StagedAttachments(ctx context.Context, key string) ([]store.Attachment, error)
	AuditForBeneficiary(ctx context.Context, fc string, from, to time.Time) ([]store.AuditEntry, error)

	// catalogue
	ExemptionCodes(ctx context.Context) ([]store.CodeOption, error)
	ExemptionCode(ctx context.Context, code string) (store.ExemptionCodeInfo, error)
	Categories(ctx context.Context) ([]string, error)
	DiagnosesOfCategory(ctx context.Context, category string) ([]store.CatalogItem, error)
	CodesOfDiagnosis(ctx context.Context, category, diagnosis string) ([]store.CatalogItem, error)
	DiagnosisDescription(ctx context.Context, code string) (string, error)
	DiagnosisDuration(ctx context.Context, code, diagnosis string) (d exemption.Duration, found bool, err error)
	ExemptServices(ctx context.Context, code, diagnosis string, at time.Time) ([]store.ExemptService, error)
	DocumentTypes(ctx context.Context) ([]store.DocumentType, error)
	ASLByCode(ctx context.Context, code string) (store.ASL, error)
}

var _ Reader = (*store.Store)(nil)
