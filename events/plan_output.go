package events

import "time"

// PlanOutput is what the plan Lambda returns, for the state machine's Map
// state: the targets, compact (one Target each; Step Functions holds the
// whole list in one 256 KiB state), and what they share once: the slot and
// the normalized policy. Each child execution builds its WorkItem from one
// target, Spec and Slot (a TargetInput).
type PlanOutput struct {
	// Policy is the policy name.
	Policy string `json:"policy"`
	// Slot is the schedule slot every target shares.
	Slot time.Time `json:"slot"`
	// DryRun is the policy's dry-run flag.
	DryRun bool `json:"dryRun"`
	// Spec is the normalized policy without its targets and selector
	// (resolved into Items): what every target's WorkItem is built from.
	Spec Policy `json:"spec"`
	// Items holds one target per entry, deduplicated and sorted.
	Items []Target `json:"items"`
	// Count is len(Items), for Choice states.
	Count int `json:"count"`
	// Ignored lists the resources the selector matched that are not
	// targets, one line each with the reason (e.g. a cache cluster that is a
	// member of a selected replication group).
	Ignored []string `json:"ignored,omitempty"`
}

// TargetInput is the input of a <stack>-target execution, as the run's Map
// passes it: one target of the plan with the plan's Spec and Slot. The
// create step turns it into the target's WorkItem.
type TargetInput struct {
	Target Target    `json:"target"`
	Policy Policy    `json:"policy"`
	Slot   time.Time `json:"slot"`
}
