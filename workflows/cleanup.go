package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/attachments"
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
