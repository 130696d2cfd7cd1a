package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/adapters/attachments"
)

// CleanupWorkflowName is run by the attachments cleanup schedule.
const CleanupWorkflowName = "AttachmentsCleanupWorkflow"

// CleanupScheduleID is the schedule's ID in the Temporal UI.
const CleanupScheduleID = "pulizia-allegati"

// CleanupWorkflow removes objects left without metadata by a crash and
// documents staged but never confirmed. A Temporal schedule runs it hourly.
func CleanupWorkflow(ctx workflow.Context, in activities.CleanupInput) (attachments.CleanupReport, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var rep attachments.CleanupReport
	err := workflow.ExecuteActivity(ctx, (*activities.Activities).CleanupAttachments, in).Get(ctx, &rep)
	return rep, err
}

// ReconcileWorkflowName is run by the reconciliation schedule.
const ReconcileWorkflowName = "ReconcileWorkflow"

// ReconcileScheduleID is the schedule's ID in the Temporal UI.
const ReconcileScheduleID = "riconciliazione"

// ReconcileWorkflow compares the open practices and exemptions with the read
// model and repairs what differs; its result is the report. A Temporal
// schedule runs it every night.
func ReconcileWorkflow(ctx workflow.Context) (activities.ReconcileReport, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var rep activities.ReconcileReport
	err := workflow.ExecuteActivity(ctx, (*activities.Activities).Reconcile).Get(ctx, &rep)
	return rep, err
}
