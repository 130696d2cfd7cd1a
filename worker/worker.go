// Package worker wires the Temporal worker: it registers the workflows and
// activities on the task queue.
package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/workflows"
)

// New returns a worker for taskQueue with every workflow and activity
// registered. Activities are registered as a struct, so workflows may call
// its methods as local activities through a nil receiver. cacheSize is how
// many workflows the process keeps in memory between their tasks (config
// TEMPORAL_WORKFLOW_CACHE_SIZE): an SDK setting shared by every worker of
// the process, taken when the first one starts.
func New(c client.Client, taskQueue string, acts *activities.Activities, cacheSize int) sdkworker.Worker {
	sdkworker.SetStickyWorkflowCacheSize(cacheSize)
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		// Operator actions are latency-sensitive: keep workflow tasks
		// flowing even while long activities (registry, SMTP) run.
		MaxConcurrentWorkflowTaskExecutionSize:  64,
		MaxConcurrentLocalActivityExecutionSize: 64,
	})
	Register(w, acts)
	return w
}

type workflowRegistry interface {
	RegisterWorkflowWithOptions(w interface{}, options workflow.RegisterOptions)
}

// RegisterWorkflows adds the workflows to a registry (a worker, a test
// environment, a replayer).
func RegisterWorkflows(r workflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.PracticeWorkflow, workflow.RegisterOptions{Name: workflows.PracticeWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ExemptionWorkflow, workflow.RegisterOptions{Name: workflows.ExemptionWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.CleanupWorkflow, workflow.RegisterOptions{Name: workflows.CleanupWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ReconcileWorkflow, workflow.RegisterOptions{Name: workflows.ReconcileWorkflowName})
}

// EnsureSchedules creates the recurring jobs when they do not exist yet:
// the hourly cleanup of orphaned and stale documents, and the nightly
// reconciliation of the read model with the open workflows (03:30 Rome).
func EnsureSchedules(ctx context.Context, c client.Client, taskQueue string) error {
	schedules := []client.ScheduleOptions{{
		ID:   workflows.CleanupScheduleID,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
		Action: &client.ScheduleWorkflowAction{
			ID: workflows.CleanupScheduleID, Workflow: workflows.CleanupWorkflowName, TaskQueue: taskQueue,
			Args: []interface{}{activities.CleanupInput{Grace: time.Hour, StaleAfter: 48 * time.Hour}},
		},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	}, {
		ID: workflows.ReconcileScheduleID,
		Spec: client.ScheduleSpec{
			Calendars:    []client.ScheduleCalendarSpec{{Hour: []client.ScheduleRange{{Start: 3}}, Minute: []client.ScheduleRange{{Start: 30}}}},
			TimeZoneName: "Europe/Rome",
		},
		Action: &client.ScheduleWorkflowAction{
			ID: workflows.ReconcileScheduleID, Workflow: workflows.ReconcileWorkflowName, TaskQueue: taskQueue,
		},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	}}
	for _, opts := range schedules {
		_, err := c.ScheduleClient().Create(ctx, opts)
		if err != nil && !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
			return fmt.Errorf("temporal: create schedule %s: %w", opts.ID, err)
		}
	}
	return nil
}

// Register adds the workflows and the activities.
func Register(r interface {
	workflowRegistry
	RegisterActivity(a interface{})
}, acts *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(acts)
}
