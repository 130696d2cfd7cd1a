// Package attachments stores signed documents: every file is checked before
// anything is stored (size, content sniffing, CAdES or PAdES signature up to
// the trust store), then put in the S3 bucket under an opaque key, with its
// metadata in PostgreSQL. Downloads go through the application only.
package attachments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"

	"esenzioni/adapters/signature"
	"esenzioni/internal/metrics"
	"esenzioni/store"
)

// Service stores and serves documents.
type Service struct {
	Store    *store.Store
	S3       *minio.Client
	Bucket   string
	Trust    *signature.TrustStore
	MaxBytes int64
	Now      func() time.Time
}

// Error is a refused document: a stable code and an Italian message that
// names the reason.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Codes of refusals besides those of package signature.
const (
	CodeTooLarge     = "attachment.too_large"
	CodeEmpty        = "attachment.empty"
	CodeDocumentType = "attachment.document_type"
	CodeDates        = "attachment.dates"
)

// ErrUnavailable: the S3 store cannot be reached; nothing was stored.
var ErrUnavailable = errors.New("archivio documenti non disponibile: riprova tra qualche minuto")

// Upload describes a document being stored.
type Upload struct {
	FileName     string
	Role         string // store.RoleCertificate, RoleCitizen, RoleDocument
	DocumentType string // required for RoleDocument
	IssuedOn     *time.Time
	ValidUntil   *time.Time
	// StagingKey holds the document until an action confirms it (a draft,
	// a Modifica, an API client's upload before its practice exists).
	StagingKey string
	UploadedBy string // fiscal code
	OperatorID *int64
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Put checks and stores one document. The reader is read up to MaxBytes+1:
// a larger file is refused without reading the rest into memory. Refusals
// are counted by code (esenzioni_document_refusals_total).
func (s *Service) Put(ctx context.Context, r io.Reader, up Upload) (store.Attachment, error) {
	a, err := s.put(ctx, r, up)
	var refused *Error
	if errors.As(err, &refused) {
		metrics.DocumentRefusals.WithLabelValues(refused.Code).Inc()
	}
	return a, err
}

func (s *Service) put(ctx context.Context, r io.Reader, up Upload) (store.Attachment, error) {
	if up.Role == store.RoleDocument && up.DocumentType == "" {
		return store.Attachment{}, &Error{CodeDocumentType, "Scegli il tipo di documento."}
	}
	if up.IssuedOn != nil && up.ValidUntil != nil && up.ValidUntil.Before(*up.IssuedOn) {
		return store.Attachment{}, &Error{CodeDates, "La data di fine validità del documento precede la data di rilascio."}
	}
	limit := s.MaxBytes
	if limit <= 0 {
		limit = 20 << 20
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return store.Attachment{}, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) > limit {
		return store.Attachment{}, &Error{CodeTooLarge, fmt.Sprintf("Il file supera la dimensione massima di %s.", humanSize(limit))}
	}
	if len(data) == 0 {
		return store.Attachment{}, &Error{CodeEmpty, "Il file è vuoto."}
	}
	name := SafeFileName(up.FileName)
	res, err := signature.Verify(data, s.Trust, signature.Options{Now: s.now(), FileName: name})
	if err != nil {
		var se *signature.Error
		if errors.As(err, &se) {
			return store.Attachment{}, &Error{se.Code, se.Message}
		}
		return store.Attachment{}, err
	}
	sum := sha256.Sum256(data)
	id := uuid.NewString()
	key := fmt.Sprintf("documenti/%s/%s", s.now().UTC().Format("2006/01"), id)
	a := store.Attachment{
		ID: id, ObjectKey: key, Role: up.Role, FileName: name, SizeBytes: int64(len(data)), SHA256: sum[:],
		SignatureFormat: string(res.Format), SignerName: res.SignerName, SignerFC: res.SignerFiscalCode,
		Verification: "VALIDA", UploadedBy: up.UploadedBy, UploadedByOperator: up.OperatorID,
		IssuedOn: up.IssuedOn, ValidUntil: up.ValidUntil,
	}
	if !res.SigningTime.IsZero() {
		t := res.SigningTime
		a.SigningTime = &t
	}
	if up.DocumentType != "" {
		dt := up.DocumentType
		a.DocumentTypeCode = &dt
	}
	if up.StagingKey != "" {
		k := up.StagingKey
		a.StagingKey = &k
	}
	a.ContentType = signature.ContentTypePDF
	if res.Format == signature.CAdES {
		a.ContentType = "application/pkcs7-mime"
	}
	if err := s.putObject(ctx, key, data, a.ContentType); err != nil {
		return store.Attachment{}, err
	}
	if res.Format == signature.CAdES && res.Content != nil {
		ck, ct := key+".contenuto", res.ContentType
		if err := s.putObject(ctx, ck, res.Content, ct); err != nil {
			s.removeObjects(ck, key)
			return store.Attachment{}, err
		}
		a.ContentObjectKey, a.ContentContentType = &ck, &ct
	}
	// The object exists before its metadata, never the other way round; an
	// object whose metadata never arrives (a crash here) is removed by the
	// cleanup job.
	if err := s.Store.InsertAttachment(ctx, &a); err != nil {
		keys := []string{key}
		if a.ContentObjectKey != nil {
			keys = append(keys, *a.ContentObjectKey)
		}
		s.removeObjects(keys...)
		return store.Attachment{}, fmt.Errorf("attachment metadata: %w", err)
	}
	return a, nil
}

func (s *Service) putObject(ctx context.Context, key string, data []byte, contentType string) error {
	_, err := s.S3.PutObject(ctx, s.Bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("%w (%v)", ErrUnavailable, err)
	}
	return nil
}

// removeObjects deletes objects on a best-effort basis (with a context of
// its own: the request may be gone).
func (s *Service) removeObjects(keys ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, k := range keys {
		_ = s.S3.RemoveObject(ctx, s.Bucket, k, minio.RemoveObjectOptions{})
	}
}

// Open streams the signed original, or with content=true the document
// extracted from a CAdES envelope.
func (s *Service) Open(ctx context.Context, a store.Attachment, content bool) (io.ReadCloser, string, error) {
	key, ct := a.ObjectKey, a.ContentType
	if content {
		if a.ContentObjectKey == nil {
			return nil, "", errors.New("the document has no extracted content")
		}
		key, ct = *a.ContentObjectKey, deref(a.ContentContentType)
	}
	obj, err := s.S3.GetObject(ctx, s.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("%w (%v)", ErrUnavailable, err)
	}
	// GetObject is lazy: check the object is there before answering 200.
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, "", fmt.Errorf("%w (%v)", ErrUnavailable, err)
	}
	return obj, ct, nil
}

// DeleteStaged removes a document still staged under key.
func (s *Service) DeleteStaged(ctx context.Context, id, key string) error {
	a, err := s.Store.AttachmentByID(ctx, id)
	if err != nil {
		return err
	}
	objectKey, err := s.Store.DeleteStagedAttachment(ctx, id, key)
	if err != nil {
		return err
	}
	keys := []string{objectKey}
	if a.ContentObjectKey != nil {
		keys = append(keys, *a.ContentObjectKey)
	}
	s.removeObjects(keys...)
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// SafeFileName keeps the base name of what the user sent, without path
// separators, control characters or quotes, at most 120 characters: it is
// shown in lists and in Content-Disposition, never used as a storage key.
func SafeFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), r == '"', r == '/', r == ':', r == '*', r == '?', r == '<', r == '>', r == '|':
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimSpace(b.String())
	out = strings.TrimLeft(out, ".")
	if out == "" || out == "_" {
		out = "documento"
	}
	if utf8.RuneCountInString(out) > 120 {
		ext := path.Ext(out)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		runes := []rune(strings.TrimSuffix(out, ext))
		out = string(runes[:120-utf8.RuneCountInString(ext)]) + ext
	}
	return out
}

func humanSize(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d byte", n)
}
