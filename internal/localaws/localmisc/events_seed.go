package localmisc

import (
	"encoding/json"
	"fmt"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// EventsSeed is the "events" section of the seed file.
type EventsSeed struct {
	Buses []BusSeed  `json:"buses,omitempty"`
	Rules []RuleSeed `json:"rules,omitempty"`
}

// BusSeed is a custom event bus of the seed.
type BusSeed struct {
	Name        string            `json:"name"`
	Region      string            `json:"region,omitempty"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// RuleSeed is a rule of the seed, with its targets.
type RuleSeed struct {
	Name               string            `json:"name"`
	Region             string            `json:"region,omitempty"`
	EventBusName       string            `json:"eventBusName,omitempty"`
	EventPattern       json.RawMessage   `json:"eventPattern,omitempty"` // an object or a string holding one
	ScheduleExpression string            `json:"scheduleExpression,omitempty"`
	State              string            `json:"state,omitempty"`
	Description        string            `json:"description,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	Targets            []TargetSeed      `json:"targets,omitempty"`
}

// TargetSeed is a rule target of the seed.
type TargetSeed struct {
	ID      string `json:"id"`
	Arn     string `json:"arn"`
	RoleArn string `json:"roleArn,omitempty"`
	Input   string `json:"input,omitempty"`
}

// Seed creates the buses and rules of the seed's "events" section.
func (s *Events) Seed(region string, raw json.RawMessage) error {
	var seed EventsSeed
	if err := strictJSON(raw, &seed); err != nil {
		return fmt.Errorf("events seed: %w", err)
	}
	for i, b := range seed.Buses {
		rg := b.Region
		if rg == "" {
			rg = region
		}
		if _, e := s.CreateEventBus(rg, b.Name, "", b.Description, "", b.Tags); e != nil {
			return fmt.Errorf("events seed: bus %d (%q): %s", i, b.Name, e.Message)
		}
	}
	for i, rs := range seed.Rules {
		rg := rs.Region
		if rg == "" {
			rg = region
		}
		pattern := string(rs.EventPattern)
		var str string
		if json.Unmarshal(rs.EventPattern, &str) == nil {
			pattern = str
		}
		rule := Rule{Name: rs.Name, Region: rg, EventBusName: rs.EventBusName, EventPattern: pattern,
			ScheduleExpression: rs.ScheduleExpression, State: rs.State, Description: rs.Description, Tags: rs.Tags}
		if _, e := s.PutRule(rule); e != nil {
			return fmt.Errorf("events seed: rule %d (%q): %s", i, rs.Name, e.Message)
		}
		if len(rs.Targets) > maxTargetsPerRule {
			return fmt.Errorf("events seed: rule %d (%q): more than %d targets", i, rs.Name, maxTargetsPerRule)
		}
		bus := rule.EventBusName
		if bus == "" {
			bus = "default"
		}
		s.mu.Lock()
		rl := s.buses[rg+"/"+bus].rules[rs.Name]
		for _, t := range rs.Targets {
			if _, ok := emu.ParseARN(t.Arn); !ok || !targetID.MatchString(t.ID) {
				s.mu.Unlock()
				return fmt.Errorf("events seed: rule %d (%q): target %q needs an id and an ARN", i, rs.Name, t.ID)
			}
			fields := map[string]string{"Id": t.ID, "Arn": t.Arn}
			if t.RoleArn != "" {
				fields["RoleArn"] = t.RoleArn
			}
			if t.Input != "" {
				fields["Input"] = t.Input
			}
			raw, _ := json.Marshal(fields)
			rl.Targets = append(rl.Targets, Target{ID: t.ID, Arn: t.Arn, RoleArn: t.RoleArn, Input: t.Input, Raw: raw})
		}
		s.mu.Unlock()
	}
	return nil
}
