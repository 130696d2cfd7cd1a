package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// Attachment is the metadata of a stored, verified document.
type Attachment struct {
	bun.BaseModel      `bun:"table:attachment"`
	ID                 string     `bun:"id,pk"`
	ObjectKey          string     `bun:"object_key"`
	PracticeNumber     *string    `bun:"practice_number"`
	ExemptionID        *int64     `bun:"exemption_id"`
	Role               string     `bun:"role"`
	FileName           string     `bun:"file_name"`
	ContentType        string     `bun:"content_type"`
	DocumentTypeCode   *string    `bun:"document_type_code"`
	IssuedOn           *time.Time `bun:"issued_on,type:date"`
	ValidUntil         *time.Time `bun:"valid_until,type:date"`
	SizeBytes          int64      `bun:"size_bytes"`
	SHA256             []byte     `bun:"sha256"`
	SignatureFormat    string     `bun:"signature_format"`
	SignerName         string     `bun:"signer_name"`
	SignerFC           string     `bun:"signer_fc"`
	SigningTime        *time.Time `bun:"signing_time"`
	Verification       string     `bun:"verification"`
	UploadedBy         string     `bun:"uploaded_by"`
	UploadedByOperator *int64     `bun:"uploaded_by_operator"`
	UploadedAt         time.Time  `bun:"uploaded_at,nullzero,default:now()"`
	StagingKey         *string    `bun:"staging_key"`

	// DocumentTypeLabel is filled by the list queries.
	DocumentTypeLabel string `bun:"document_type_label,scanonly"`
}

// Attachment roles.
const (
	RoleCertificate = "CERTIFICATO" // the doctor's certificate of a practice
	RoleCitizen     = "ALLEGATO"    // a citizen's attachment to a practice
	RoleDocument    = "DOCUMENTO"   // documentation of an exemption (Modifica, wizard)
)

// InsertAttachment records the metadata of an object already stored.
func (s *Store) InsertAttachment(ctx context.Context, a *Attachment) error {
	_, err := s.DB.NewInsert().Model(a).Exec(ctx)
	return err
}

// AttachmentByID returns one attachment.
func (s *Store) AttachmentByID(ctx context.Context, id string) (Attachment, error) {
	var a Attachment
	err := s.DB.NewSelect().Model(&a).
		ColumnExpr("attachment.*, COALESCE(dt.label, '') AS document_type_label").
		Join("LEFT JOIN document_type AS dt ON dt.code = attachment.document_type_code").
		Where("attachment.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	return a, err
}

func (s *Store) attachmentList(ctx context.Context, where string, arg any) ([]Attachment, error) {
	var out []Attachment
	err := s.DB.NewSelect().Model(&out).
		ColumnExpr("attachment.*, COALESCE(dt.label, '') AS document_type_label").
		Join("LEFT JOIN document_type AS dt ON dt.code = attachment.document_type_code").
		Where(where, arg).OrderExpr("attachment.uploaded_at, attachment.id").Scan(ctx)
	return out, err
}

// StagedAttachments lists the documents staged under key.
func (s *Store) StagedAttachments(ctx context.Context, key string) ([]Attachment, error) {
	return s.attachmentList(ctx, "attachment.staging_key = ?", key)
}

// PracticeAttachments lists a practice's documents.
func (s *Store) PracticeAttachments(ctx context.Context, number string) ([]Attachment, error) {
	return s.attachmentList(ctx, "attachment.practice_number = ?", number)
}

// ExemptionAttachments lists an exemption's documents.
func (s *Store) ExemptionAttachments(ctx context.Context, id int64) ([]Attachment, error) {
	return s.attachmentList(ctx, "attachment.exemption_id = ?", id)
}

// DeleteStagedAttachment removes a staged document's metadata (only while
// staged under key) and returns its object key.
func (s *Store) DeleteStagedAttachment(ctx context.Context, id, key string) (string, error) {
	var objectKey string
	err := s.DB.NewRaw(`DELETE FROM attachment WHERE id = ? AND staging_key = ? RETURNING object_key`, id, key).Scan(ctx, &objectKey)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return objectKey, err
}

// DocumentType is one of the document types of the manual.
type DocumentType struct {
	Code        string `bun:"code"`
	Label       string `bun:"label"`
	Description string `bun:"description"`
}

// DocumentTypes lists the document types in their order.
func (s *Store) DocumentTypes(ctx context.Context) ([]DocumentType, error) {
	var out []DocumentType
	err := s.DB.NewSelect().Table("document_type").Column("code", "label", "description").OrderExpr("position, code").Scan(ctx, &out)
	return out, err
}
