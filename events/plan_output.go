package events

import "time"

// PlanOutput is what the plan Lambda returns: one WorkItem per target, for
// the state machine's Map state.
type PlanOutput struct {
	// Policy is the policy name.
	Policy string `json:"policy"`
	// Slot is the schedule slot every item shares.
	Slot time.Time `json:"slot"`
	// DryRun is the policy's dry-run flag.
	DryRun bool `json:"dryRun"`
	// Items holds one entry per target.
	Items []WorkItem `json:"items"`
	// Count is len(Items), for Choice states.
	Count int `json:"count"`
	// Ignored lists the resources the selector matched that are not
	// targets, one line each with the reason (e.g. a cache cluster that is a
	// member of a selected replication group).
	Ignored []string `json:"ignored,omitempty"`
}
