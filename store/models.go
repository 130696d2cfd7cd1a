package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"esenzioni/domain/practice"
)

// Store wraps the database with the application's queries.
type Store struct {
	DB      *bun.DB
	catalog catalogCache
}

// New returns a Store on db.
func New(db *bun.DB) *Store { return &Store{DB: db} }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// ASL is a health authority.
type ASL struct {
	bun.BaseModel `bun:"table:asl"`
	Code          string `bun:"code,pk"`
	ShortName     string `bun:"short_name"`
	Name          string `bun:"name"`
	RegionCode    string `bun:"region_code"`
	SeatISTAT     string `bun:"seat_istat"`
	LegalAddress  string `bun:"legal_address"`
	Phone         string `bun:"phone"`
	PEC           string `bun:"pec"`
	TaxCode       string `bun:"tax_code"`
	Demo          bool   `bun:"demo"`
}

// District is a district of an ASL.
type District struct {
	bun.BaseModel `bun:"table:district"`
	ID            int64  `bun:"id,pk,autoincrement"`
	ASLCode       string `bun:"asl_code"`
	Code          string `bun:"code"`
	Name          string `bun:"name"`
	Demo          bool   `bun:"demo"`
}

// Beneficiary is the local copy of a person in the regional registry.
type Beneficiary struct {
	bun.BaseModel    `bun:"table:beneficiary"`
	FiscalCode       string    `bun:"fiscal_code,pk"`
	FirstName        string    `bun:"first_name"`
	LastName         string    `bun:"last_name"`
	BirthDate        time.Time `bun:"birth_date,type:date"`
	BirthPlaceCode   string    `bun:"birth_place_code"`
	BirthPlaceName   string    `bun:"birth_place_name"`
	Sex              string    `bun:"sex"`
	ResidenceAddress string    `bun:"residence_address"`
	ResidenceComune  string    `bun:"residence_comune"`
	ASLCode          string    `bun:"asl_code"`
	DistrictID       *int64    `bun:"district_id"`
	CardNumber       string    `bun:"card_number"`
	Email            string    `bun:"email"`
	Demo             bool      `bun:"demo"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

// Practice is the read model of a practice.
type Practice struct {
	bun.BaseModel        `bun:"table:practice"`
	Number               string     `bun:"number,pk"`
	ASLCode              string     `bun:"asl_code"`
	DistrictID           *int64     `bun:"district_id"`
	BeneficiaryFC        string     `bun:"beneficiary_fc"`
	BeneficiaryLastName  string     `bun:"beneficiary_last_name"`
	BeneficiaryFirstName string     `bun:"beneficiary_first_name"`
	SubmitterKind        string     `bun:"submitter_kind"`
	SubmitterFC          string     `bun:"submitter_fc"`
	SubmitterRole        string     `bun:"submitter_role"`
	ExemptionCode        string     `bun:"exemption_code"`
	DiagnosisCode        string     `bun:"diagnosis_code"`
	State                string     `bun:"state"`
	Version              int        `bun:"version"`
	LastSeq              int        `bun:"last_seq"`
	CreatedAt            time.Time  `bun:"created_at"`
	UpdatedAt            time.Time  `bun:"updated_at"`
	ClosedAt             *time.Time `bun:"closed_at"`
	RejectReasonCode     *string    `bun:"reject_reason_code"`
	ValidFrom            *time.Time `bun:"valid_from,type:date"`
	ValidUntil           *time.Time `bun:"valid_until,type:date"`
	ExemptionID          *int64     `bun:"exemption_id"`
	// StateSince is when the practice entered its state (SLA).
	StateSince time.Time `bun:"state_since,nullzero,default:now()"`
}

// PracticeEvent is a row of the cronologia.
type PracticeEvent struct {
	bun.BaseModel   `bun:"table:practice_event"`
	PracticeNumber  string    `bun:"practice_number,pk"`
	Seq             int       `bun:"seq,pk"`
	At              time.Time `bun:"at"`
	Action          string    `bun:"action"`
	ActorFC         string    `bun:"actor_fc"`
	ActorRole       string    `bun:"actor_role"`
	ActorASL        string    `bun:"actor_asl"`
	State           string    `bun:"state"`
	BeneficiaryNote string    `bun:"beneficiary_note"`
	InternalNote    string    `bun:"internal_note"`
	ReasonCode      string    `bun:"reason_code"`
}

// IsNote reports whether the row is a note (the state did not change). A
// row a worker of the previous release wrote during a rolling update may
// still hold the English code.
func (e PracticeEvent) IsNote() bool {
	return practice.Action(e.Action).Canonical() == practice.AddNote
}

// Exemption sources.
const (
	SourcePractice = "PRATICA"
	SourceRegistry = "REGISTRO"
)

// Exemption is the read model of an exemption.
type Exemption struct {
	bun.BaseModel        `bun:"table:exemption"`
	ID                   int64      `bun:"id,pk,autoincrement"`
	PracticeNumber       *string    `bun:"practice_number"`
	RegistryID           *string    `bun:"registry_id"`
	BeneficiaryFC        string     `bun:"beneficiary_fc"`
	BeneficiaryLastName  string     `bun:"beneficiary_last_name"`
	BeneficiaryFirstName string     `bun:"beneficiary_first_name"`
	ASLCode              string     `bun:"asl_code"`
	ExemptionCode        string     `bun:"exemption_code"`
	DiagnosisCode        string     `bun:"diagnosis_code"`
	IssuedOn             time.Time  `bun:"issued_on,type:date"`
	EndDate              *time.Time `bun:"end_date,type:date"`
	State                string     `bun:"state"`
	Source               string     `bun:"source"`
	IssuedByFC           *string    `bun:"issued_by_fc"`
	IssuedByRole         *string    `bun:"issued_by_role"`
	Version              int        `bun:"version"`
	LastSeq              int        `bun:"last_seq"`
	PublicationState     string     `bun:"publication_state"`
	PublishedVersion     int        `bun:"published_version"`
	CreatedAt            time.Time  `bun:"created_at"`
	UpdatedAt            time.Time  `bun:"updated_at"`
}

// Publication states of an exemption (exemption.publication_state): whether
// the registry has acknowledged its newest version. Technical states, never
// shown, kept in their released values: renaming them in place would lock
// and rewrite every exemption, and the workers of the previous release read
// them during a rolling update.
const (
	PublicationPending = "PENDING"
	PublicationDone    = "PUBLISHED"
)

// Publishing reports whether the registry has yet to acknowledge the
// exemption's newest version.
func (e Exemption) Publishing() bool { return e.PublicationState == PublicationPending }

// ExemptionEvent is a row of an exemption's history.
type ExemptionEvent struct {
	bun.BaseModel `bun:"table:exemption_event"`
	ExemptionID   int64      `bun:"exemption_id,pk"`
	Seq           int        `bun:"seq,pk"`
	At            time.Time  `bun:"at"`
	Action        string     `bun:"action"`
	ActorFC       string     `bun:"actor_fc"`
	ActorRole     string     `bun:"actor_role"`
	State         string     `bun:"state"`
	OldEndDate    *time.Time `bun:"old_end_date,type:date"`
	NewEndDate    *time.Time `bun:"new_end_date,type:date"`
	Note          string     `bun:"note"`
}
