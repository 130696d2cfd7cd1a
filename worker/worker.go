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
	return NewWithOptions(c, taskQueue, acts, Options{CacheSize: cacheSize})
}

// Options tune a worker.
type Options struct {
	CacheSize int // TEMPORAL_WORKFLOW_CACHE_SIZE
	// Worker Versioning (TEMPORAL_DEPLOYMENT_NAME, TEMPORAL_BUILD_ID): with a
	// build ID the worker polls as that version of the Worker Deployment;
	// practices stay pinned to the version that started them, exemptions
	// (and the cleanup job) move to the deployment's current version at
	// their next task. Without one the worker is unversioned.
	DeploymentName string
	BuildID        string
}

// NewWithOptions is New with every option.
func NewWithOptions(c client.Client, taskQueue string, acts *activities.Activities, o Options) sdkworker.Worker {
	sdkworker.SetStickyWorkflowCacheSize(o.CacheSize)
	opts := sdkworker.Options{
		// Operator actions are latency-sensitive: keep workflow tasks
		// flowing even while long activities (registry, SMTP) run.
		MaxConcurrentWorkflowTaskExecutionSize:  64,
		MaxConcurrentLocalActivityExecutionSize: 64,
	}
	if o.BuildID != "" {
		opts.DeploymentOptions = sdkworker.DeploymentOptions{
			UseVersioning: true,
			Version:       sdkworker.WorkerDeploymentVersion{DeploymentName: o.DeploymentName, BuildID: o.BuildID},
		}
	}
	w := sdkworker.New(c, taskQueue, opts)
	Register(w, acts)
	return w
}

// Versioning behaviours of the workflow types under Worker Versioning. A
// practice lives days and its code may change shape between releases: it
// finishes on the version that started it (pinned), which is then drained.
// An exemption lives years: it must move to new code (auto-upgrade), so its
// code keeps every change behind workflow.GetVersion patches, replay-tested
// on recorded histories.
const (
	PracticeVersioning  = workflow.VersioningBehaviorPinned
	ExemptionVersioning = workflow.VersioningBehaviorAutoUpgrade
)

type workflowRegistry interface {
	RegisterWorkflowWithOptions(w interface{}, options workflow.RegisterOptions)
}

// RegisterWorkflows adds the workflows to a registry (a worker, a test
// environment, a replayer).
func RegisterWorkflows(r workflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.PracticeWorkflow, workflow.RegisterOptions{
		Name: workflows.PracticeWorkflowName, VersioningBehavior: PracticeVersioning})
	r.RegisterWorkflowWithOptions(workflows.ExemptionWorkflow, workflow.RegisterOptions{
		Name: workflows.ExemptionWorkflowName, VersioningBehavior: ExemptionVersioning})
	r.RegisterWorkflowWithOptions(workflows.CleanupWorkflow, workflow.RegisterOptions{
		Name: workflows.CleanupWorkflowName, VersioningBehavior: workflow.VersioningBehaviorAutoUpgrade})
	r.RegisterWorkflowWithOptions(workflows.ReconcileWorkflow, workflow.RegisterOptions{
		Name: workflows.ReconcileWorkflowName, VersioningBehavior: workflow.VersioningBehaviorAutoUpgrade})
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
