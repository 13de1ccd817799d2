package events

// SummaryInput is what the state machine passes to the summary Lambda:
// the plan's output with the fan-out's results added at "results", and
// the execution's identity.
type SummaryInput struct {
	// Plan is the PlanOutput, with Results added by the Map state.
	Plan PlanResults `json:"plan"`
	// ExecutionID is the run's execution ARN ($$.Execution.Id).
	ExecutionID string `json:"executionId"`
	// ExecutionStartTime is $$.Execution.StartTime.
	ExecutionStartTime string `json:"executionStartTime,omitempty"`
}

// PlanResults is a PlanOutput with one TargetResult per item, in the
// order of Items (a Map state's results keep the order of its items): a
// result names no target, the item at its index does.
type PlanResults struct {
	PlanOutput
	Results []TargetResult `json:"results"`
}
