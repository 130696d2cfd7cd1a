package service

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"esenzioni/domain/exemption"
	"esenzioni/store"
	"esenzioni/workflows"
	"esenzioni/workflows/searchattr"
)

// Reconciler makes the read model equal to the workflows, which are the
// source of truth while they exist: `esenzioni reindex` and the scheduled
// reconciliation run it.
type Reconciler struct {
	Store    *store.Store
	Temporal client.Client
	// Progress, when set, is called after each workflow.
	Progress func(done int)
}

// Report says what a reconciliation looked at and what it changed.
type Report = store.ReconcileReport

// ReportString renders a report for the command line.
func ReportString(r Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "practices: %d checked, %d changed", r.Practices, len(r.PracticesChanged))
	if len(r.PracticesChanged) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(r.PracticesChanged, ", "))
	}
	fmt.Fprintf(&b, "\nexemptions: %d checked, %d changed", r.Exemptions, len(r.ExemptionsChanged))
	if len(r.ExemptionsChanged) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(r.ExemptionsChanged, ", "))
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "\nopen practices without a workflow: %s", strings.Join(r.Missing, ", "))
	}
	return b.String() + "\n"
}

// Scope selects the workflows to reconcile.
type Scope struct {
	// OpenOnly limits the run to running workflows (the scheduled
	// reconciliation); otherwise closed ones within retention are included
	// (reindex).
	OpenOnly bool
}

// Run reconciles every practice and exemption workflow of the scope.
func (r *Reconciler) Run(ctx context.Context, scope Scope) (Report, error) {
	var rep Report
	done := 0
	tick := func() {
		done++
		if r.Progress != nil {
			r.Progress(done)
		}
	}
	seen := map[string]bool{}
	err := r.list(ctx, searchattr.KindPractice, scope, func(id, run string) error {
		st, err := queryState[workflows.PracticeState](ctx, r.Temporal, id, run)
		if err != nil || len(st.Events) == 0 {
			return err
		}
		if seen[st.Input.Number] {
			return nil // an older run, continued as new
		}
		seen[st.Input.Number] = true
		rep.Practices++
		changed, err := r.Store.ReplacePractice(ctx, workflows.RecordOf(st))
		if err != nil {
			return err
		}
		if changed {
			rep.PracticesChanged = append(rep.PracticesChanged, st.Input.Number)
		}
		tick()
		return nil
	})
	if err != nil {
		return rep, err
	}
	// Open practices of the read model whose workflow was not listed.
	open, err := r.Store.OpenPracticeNumbers(ctx)
	if err != nil {
		return rep, err
	}
	for _, n := range open {
		if !seen[n] {
			rep.Missing = append(rep.Missing, n)
		}
	}
	seenEx := map[int64]bool{}
	err = r.list(ctx, searchattr.KindExemption, scope, func(id, run string) error {
		st, err := queryState[workflows.ExemptionState](ctx, r.Temporal, id, run)
		if err != nil || st.ID == 0 || seenEx[st.ID] {
			return err
		}
		seenEx[st.ID] = true
		rep.Exemptions++
		rec := exemption.Record{ID: st.ID, BeneficiaryFC: st.BeneficiaryFC, State: st.State, EndDate: st.EndDate,
			Version: st.Version, Events: st.Unprojected}
		changed, err := r.Store.ReplaceExemption(ctx, store.ExemptionState{
			ID: st.ID, State: string(st.State), EndDate: st.EndDate, Version: st.Version, LastSeq: st.Seq,
			PublishedVersion: st.PublishedVersion,
		}, rec)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if changed {
			rep.ExemptionsChanged = append(rep.ExemptionsChanged, fmt.Sprint(st.ID))
		}
		tick()
		return nil
	})
	sort.Strings(rep.Missing)
	return rep, err
}

// list pages through the workflows of a kind, newest run first.
func (r *Reconciler) list(ctx context.Context, kind string, scope Scope, each func(id, run string) error) error {
	query := fmt.Sprintf("%s = '%s'", searchattr.RecordKind.GetName(), kind)
	if scope.OpenOnly {
		query += " AND ExecutionStatus = 'Running'"
	}
	var token []byte
	for {
		resp, err := r.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: 500, NextPageToken: token,
		})
		if err != nil {
			return fmt.Errorf("reconcile: list %s workflows: %w", kind, err)
		}
		for _, ex := range resp.GetExecutions() {
			if err := each(ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()); err != nil {
				return err
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return nil
		}
	}
}

func queryState[S any](ctx context.Context, c client.Client, id, run string) (S, error) {
	var st S
	v, err := c.QueryWorkflow(ctx, id, run, workflows.QueryState)
	if err != nil {
		if errors.Is(MapError(err), ErrNotFound) {
			return st, nil // deleted meanwhile by retention
		}
		return st, fmt.Errorf("reconcile: query %s: %w", id, err)
	}
	return st, v.Get(&st)
}
