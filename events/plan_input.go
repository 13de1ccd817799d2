package events

// PlanInput is what the state machine passes to the plan Lambda.
type PlanInput struct {
	// Policy is the execution input.
	Policy Policy `json:"policy"`
	// ExecutionID is the execution ARN ($$.Execution.Id).
	ExecutionID string `json:"executionId"`
	// ExecutionStartTime is $$.Execution.StartTime, used as the slot of
	// manual runs.
	ExecutionStartTime string `json:"executionStartTime"`
}
