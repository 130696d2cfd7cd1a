package practices

import (
	"context"
	"fmt"

	"go.temporal.io/api/workflowservice/v1"

	"esenzioni/activities"
	"esenzioni/search"
	"esenzioni/workflows"
)

// Reindex rebuilds the practices' read model from their workflows: it lists
// every practice workflow (open and closed) by search attribute, queries its
// state and projects it again, idempotently. progress is called after each.
func (s *Service) Reindex(ctx context.Context, progress func(done int)) (int, error) {
	done := 0
	var token []byte
	query := fmt.Sprintf("%s = '%s'", search.RecordKind.GetName(), search.KindPractice)
	acts := &activities.Activities{Store: s.Store}
	for {
		resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: 500, NextPageToken: token,
		})
		if err != nil {
			return done, fmt.Errorf("reindex: list workflows: %w", err)
		}
		for _, ex := range resp.GetExecutions() {
			v, err := s.Temporal.QueryWorkflow(ctx, ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId(), workflows.QueryState)
			if err != nil {
				return done, fmt.Errorf("reindex: query %s: %w", ex.GetExecution().GetWorkflowId(), err)
			}
			var st workflows.PracticeState
			if err := v.Get(&st); err != nil {
				return done, err
			}
			if len(st.Events) == 0 {
				continue
			}
			if err := acts.ProjectPractice(ctx, workflows.ProjectionOf(st)); err != nil {
				return done, err
			}
			done++
			if progress != nil {
				progress(done)
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return done, nil
		}
	}
}
