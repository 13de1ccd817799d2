// Package events holds the payloads exchanged between the snapflow state
// machine and its Lambda handlers: the execution input (Policy), what the
// plan step receives (PlanInput) and returns (PlanOutput: compact targets,
// the normalized policy once), the TargetInput each sub-workflow starts
// with, and the per-target WorkItem its create step builds from it.
//
// The JSON tags are the wire format: lowerCamelCase, exactly as they appear
// in Step Functions state. Changing a tag breaks running executions and
// saved schedules. Sample execution inputs live in samples/.
package events
