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
	// ContentObjectKey holds the document extracted from a CAdES envelope.
	ContentObjectKey   *string `bun:"content_object_key"`
	ContentContentType *string `bun:"content_content_type"`
	// ClaimKey reserves a staged document for one submission (ClaimStaged).
	ClaimKey *string `bun:"claim_key"`

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

// StaleStagedAttachments lists documents staged before t and never confirmed.
func (s *Store) StaleStagedAttachments(ctx context.Context, t time.Time) ([]Attachment, error) {
	var out []Attachment
	err := s.DB.NewSelect().Model(&out).Where("staging_key IS NOT NULL AND uploaded_at < ?", t).Scan(ctx)
	return out, err
}

// KnownObjectKeys reports which of keys belong to an attachment (as its
// original or its extracted content).
func (s *Store) KnownObjectKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	var found []string
	err := s.DB.NewRaw(`
SELECT object_key FROM attachment WHERE object_key IN (?)
UNION SELECT content_object_key FROM attachment WHERE content_object_key IN (?)`, bun.In(keys), bun.In(keys)).Scan(ctx, &found)
	out := make(map[string]bool, len(found))
	for _, k := range found {
		out[k] = true
	}
	return out, err
}

// LinkToPractice attaches documents staged under key to a practice with
// role; only ids staged under that key move.
func (s *Store) LinkToPractice(ctx context.Context, key string, ids []string, number, role string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res, err := s.DB.NewUpdate().Table("attachment").
		Set("practice_number = ?, role = ?, staging_key = NULL", number, role).
		Where("staging_key = ? AND id IN (?)", key, bun.In(ids)).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// StagedIDs returns which of ids are staged under key.
func (s *Store) StagedIDs(ctx context.Context, key string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var found []string
	err := s.DB.NewSelect().Table("attachment").Column("id").
		Where("staging_key = ? AND id::text IN (?)", key, bun.In(ids)).Scan(ctx, &found)
	for _, id := range found {
		out[id] = true
	}
	return out, err
}

// ClaimStaged reserves for claim the documents ids staged under key, all or
// none: it reports false (and reserves nothing) when one of them is not
// staged under key or is reserved by another claim. A claim is released by
// ReleaseClaim, or consumed by LinkClaimed.
func (s *Store) ClaimStaged(ctx context.Context, key, claim string, ids []string) (bool, error) {
	if len(ids) == 0 {
		return true, nil
	}
	unique := map[string]bool{}
	for _, id := range ids {
		unique[id] = true
	}
	ok := false
	err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Table("attachment").Set("claim_key = ?", claim).
			Where("staging_key = ? AND id::text IN (?) AND (claim_key IS NULL OR claim_key = ?)", key, bun.In(ids), claim).
			Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if int(n) != len(unique) {
			return errClaimRefused
		}
		ok = true
		return nil
	})
	if errors.Is(err, errClaimRefused) {
		return false, nil
	}
	return ok, err
}

var errClaimRefused = errors.New("claim refused")

// ReleaseClaim frees the documents reserved by claim and still staged.
func (s *Store) ReleaseClaim(ctx context.Context, key, claim string) error {
	_, err := s.DB.NewUpdate().Table("attachment").Set("claim_key = NULL").
		Where("staging_key = ? AND claim_key = ?", key, claim).Exec(ctx)
	return err
}

// LinkClaimed attaches the documents reserved by claim to practice number,
// in one transaction: the certificate (when not empty) with role
// RoleCertificate, the attachments with RoleCitizen.
func (s *Store) LinkClaimed(ctx context.Context, key, claim, number, certificateID string, attachmentIDs []string) error {
	return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if certificateID != "" {
			if err := linkClaimed(ctx, tx, key, claim, []string{certificateID}, number, RoleCertificate); err != nil {
				return err
			}
		}
		return linkClaimed(ctx, tx, key, claim, attachmentIDs, number, RoleCitizen)
	})
}

func linkClaimed(ctx context.Context, db bun.IDB, key, claim string, ids []string, number, role string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := db.NewUpdate().Table("attachment").
		Set("practice_number = ?, role = ?, staging_key = NULL, claim_key = NULL", number, role).
		Where("staging_key = ? AND claim_key = ? AND id::text IN (?)", key, claim, bun.In(ids)).Exec(ctx)
	return err
}
