package bench

import (
	"errors"

	"go.temporal.io/sdk/workflow"

	"esenzioni/domain/practice"
	"esenzioni/workflows"
)

// BareWorkflowName is the reference of the action benchmark: a workflow
// with the practice's messages (the same update names, arguments and
// results) and nothing else: no validation against a catalogue, no
// activities, no read model.
const BareWorkflowName = "BenchBareWorkflow"

// BareWorkflow accepts take and validate as Updates with a version check and
// completes when validated.
func BareWorkflow(ctx workflow.Context, number string) error {
	state, version := practice.Inviata, 1
	handle := func(action practice.Action, from []practice.State, to practice.State) error {
		return workflow.SetUpdateHandlerWithOptions(ctx, workflows.ActionMessages[action],
			func(ctx workflow.Context, cmd workflows.PracticeCommand) (workflows.ActionResult, error) {
				state, version = to, version+1
				return workflows.ActionResult{Number: number, State: state, Version: version}, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, cmd workflows.PracticeCommand) error {
				if cmd.ExpectedVersion != 0 && cmd.ExpectedVersion != version {
					return errors.New("stale version")
				}
				for _, s := range from {
					if s == state {
						return nil
					}
				}
				return errors.New("wrong state")
			}})
	}
	if err := handle(practice.Take, []practice.State{practice.Inviata}, practice.InLavorazione); err != nil {
		return err
	}
	if err := handle(practice.Validate, []practice.State{practice.Inviata, practice.InLavorazione}, practice.Validata); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return state == practice.Validata && workflow.AllHandlersFinished(ctx) })
}
