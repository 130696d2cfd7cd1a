// Package worker wires the Temporal worker: it registers the workflows and
// activities on the task queue.
package worker

import (
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"esenzioni/activities"
	"esenzioni/workflows"
)

// New returns a worker for taskQueue with every workflow and activity
// registered. Activities are registered as a struct, so workflows may call
// its methods as local activities through a nil receiver.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
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
}

// Register adds the workflows and the activities.
func Register(r interface {
	workflowRegistry
	RegisterActivity(a interface{})
}, acts *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(acts)
}
