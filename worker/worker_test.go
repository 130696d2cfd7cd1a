package worker

import (
	"testing"

	"go.temporal.io/sdk/workflow"

	"esenzioni/workflows"
)

type capture map[string]workflow.VersioningBehavior

func (c capture) RegisterWorkflowWithOptions(_ interface{}, o workflow.RegisterOptions) {
	c[o.Name] = o.VersioningBehavior
}

// Under Worker Versioning a practice stays on the version that started it
// and an exemption (years long) moves to the current one.
func TestVersioningBehaviours(t *testing.T) {
	c := capture{}
	RegisterWorkflows(c)
	want := map[string]workflow.VersioningBehavior{
		workflows.PracticeWorkflowName:  workflow.VersioningBehaviorPinned,
		workflows.ExemptionWorkflowName: workflow.VersioningBehaviorAutoUpgrade,
		workflows.CleanupWorkflowName:   workflow.VersioningBehaviorAutoUpgrade,
		workflows.ReconcileWorkflowName: workflow.VersioningBehaviorAutoUpgrade,
	}
	for name, b := range want {
		if got, ok := c[name]; !ok || got != b {
			t.Errorf("%s registered with behaviour %v, want %v", name, got, b)
		}
	}
}
