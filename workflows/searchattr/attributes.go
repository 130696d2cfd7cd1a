// Package search declares the typed Temporal search attributes supervisors
// use to find practices and exemptions in the Temporal Web UI, and registers
// them idempotently. None of them carries personal data.
package searchattr

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The keys, declared once. They stay within the SQL visibility budget per
// namespace: Keyword 10 (we use 6), Datetime 3 (we use 3), Bool 3 (we use 1).
var (
	// RecordKind is "pratica" or "esenzione".
	RecordKind = temporal.NewSearchAttributeKeyKeyword("RecordKind")
	// PracticeState is the practice's state (INVIATA, IN_LAVORAZIONE, ...).
	PracticeState = temporal.NewSearchAttributeKeyKeyword("PracticeState")
	// ExemptionState is the exemption's state (VALIDA, SCADUTA, ANNULLATA).
	ExemptionState = temporal.NewSearchAttributeKeyKeyword("ExemptionState")
	// AslCode is the ASL's short name (TO3, CN2, ...), what supervisors type.
	AslCode = temporal.NewSearchAttributeKeyKeyword("AslCode")
	// ExemptionCode is the exemption code (044, RCG077, ...).
	ExemptionCode = temporal.NewSearchAttributeKeyKeyword("ExemptionCode")
	// PracticeNumber is the 18-digit practice number.
	PracticeNumber = temporal.NewSearchAttributeKeyKeyword("PracticeNumber")
	// EndDate is the exemption's end date (absent when it has none).
	EndDate = temporal.NewSearchAttributeKeyTime("EndDate")
	// SubmittedAt is when a practice was submitted (not when its workflow
	// started, which a data load may do later).
	SubmittedAt = temporal.NewSearchAttributeKeyTime("SubmittedAt")
	// StateSince is when a practice entered its current state: what the SLA
	// queries ask ("INVIATA for more than 30 days").
	StateSince = temporal.NewSearchAttributeKeyTime("StateSince")
	// RegistryPending is true while an exemption's newest version waits to
	// be published to the regional registry.
	RegistryPending = temporal.NewSearchAttributeKeyBool("RegistryPending")
)

// Kinds of record.
const (
	KindPractice  = "pratica"
	KindExemption = "esenzione"
)

// Definitions maps every attribute name to its type name, as the Temporal CLI
// flags (`--search-attribute Name=Keyword`) expect.
func Definitions() map[string]string {
	out := map[string]string{}
	for _, k := range []temporal.SearchAttributeKey{RecordKind, PracticeState, ExemptionState, AslCode, ExemptionCode, PracticeNumber} {
		out[k.GetName()] = "Keyword"
	}
	for _, k := range []temporal.SearchAttributeKey{EndDate, SubmittedAt, StateSince} {
		out[k.GetName()] = "Datetime"
	}
	out[RegistryPending.GetName()] = "Bool"
	return out
}

// Register adds the attributes missing from namespace; present ones are left
// alone, so it is safe at every start-up.
func Register(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	var existing map[string]enumspb.IndexedValueType
	// A namespace created moments ago may not be visible yet.
	for attempt := 0; ; attempt++ {
		resp, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
		if err == nil {
			existing = resp.GetCustomAttributes()
			break
		}
		if attempt == 50 || ctx.Err() != nil {
			return fmt.Errorf("temporal: list search attributes of %s: %w", namespace, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range Definitions() {
		want := enumspb.INDEXED_VALUE_TYPE_KEYWORD
		switch typ {
		case "Datetime":
			want = enumspb.INDEXED_VALUE_TYPE_DATETIME
		case "Bool":
			want = enumspb.INDEXED_VALUE_TYPE_BOOL
		}
		got, ok := existing[name]
		if !ok {
			missing[name] = want
			continue
		}
		if got != want {
			return fmt.Errorf("temporal: search attribute %s exists in %s with type %s, want %s", name, namespace, got, want)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err := ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) { // another process registered them first
		return fmt.Errorf("temporal: register search attributes in %s: %w", namespace, err)
	}
	return nil
}

// EnsureRetention makes namespace keep closed workflows at least min: the
// dev server and a default setup create namespaces with a day or less.
func EnsureRetention(ctx context.Context, c client.Client, namespace string, min time.Duration) error {
	svc := c.WorkflowService()
	desc, err := svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("temporal: describe namespace %s: %w", namespace, err)
	}
	if desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() >= min {
		return nil
	}
	_, err = svc.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: namespace,
		Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(min)},
	})
	if err != nil {
		return fmt.Errorf("temporal: set the retention of %s to %s: %w", namespace, min, err)
	}
	return nil
}
