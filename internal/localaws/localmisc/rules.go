package localmisc

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// --- rules ---

// ruleNameRule: 1–64 characters of [.\-_A-Za-z0-9] (PutRule, Name).
var ruleNameRule = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

var scheduleRule = regexp.MustCompile(`^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$`)

// Quotas (EventBridge quotas): 300 rules per event bus, 5 targets per rule.
const (
	maxRulesPerBus    = 300
	maxTargetsPerRule = 5
)

var ruleStates = map[string]bool{"ENABLED": true, "DISABLED": true, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS": true}

type putRuleInput struct {
	Name               string
	EventBusName       string
	EventPattern       string
	ScheduleExpression string
	State              string
	Description        string
	RoleArn            string
	Tags               []tagJSON
}

type putRuleOutput struct {
	RuleArn string `json:"RuleArn"`
}

func ruleArn(region, account, bus, name string) string {
	if bus == "default" {
		return emu.ARN("events", region, account, "rule/"+name)
	}
	return emu.ARN("events", region, account, "rule/"+bus+"/"+name)
}

func (s *Events) putRule(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in putRuleInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, bus := busName(req.Region, in.EventBusName)
	if _, e := s.env.Faults.Admit(req, ruleArn(region, req.AccountID, bus, in.Name), &eventsFaults); e != nil {
		return nil, e
	}
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
	}
	arn, e := s.PutRule(Rule{Name: in.Name, EventBusName: bus, Region: region, EventPattern: in.EventPattern,
		ScheduleExpression: in.ScheduleExpression, State: in.State, Description: in.Description, RoleArn: in.RoleArn, Tags: tags})
	if e != nil {
		return nil, e
	}
	return putRuleOutput{RuleArn: arn}, nil
}

// PutRule creates or updates a rule (PutRule replaces an existing rule's
// settings; its targets stay). It needs an EventPattern or a
// ScheduleExpression; schedules only on the default bus.
func (s *Events) PutRule(rule Rule) (string, *emu.APIError) {
	if !ruleNameRule.MatchString(rule.Name) {
		return "", validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", rule.Name)
	}
	if rule.EventPattern == "" && rule.ScheduleExpression == "" {
		return "", validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if rule.State == "" {
		rule.State = "ENABLED"
	}
	if !ruleStates[rule.State] {
		return "", validation("1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]", rule.State)
	}
	if rule.EventBusName == "" {
		rule.EventBusName = "default"
	}
	if rule.ScheduleExpression != "" {
		if rule.EventBusName != "default" {
			return "", validation("ScheduleExpression is supported only on the default event bus.")
		}
		if !scheduleRule.MatchString(rule.ScheduleExpression) {
			return "", validation("Parameter ScheduleExpression is not valid.")
		}
	}
	if rule.EventPattern != "" {
		p, err := CompilePattern(rule.EventPattern)
		if err != nil {
			return "", &emu.APIError{Code: "InvalidEventPatternException", Message: err.Error(), Status: 400}
		}
		rule.pattern = p
	}
	if e := validateEventTags(rule.Tags); e != nil {
		return "", e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.busLocked(rule.Region, rule.EventBusName)
	if b == nil {
		return "", busNotFound(rule.EventBusName)
	}
	rule.Arn = ruleArn(rule.Region, s.env.AccountID, rule.EventBusName, rule.Name)
	if old, ok := b.rules[rule.Name]; ok {
		rule.Targets = old.Targets
		if len(rule.Tags) == 0 {
			rule.Tags = old.Tags
		}
	} else if len(b.rules) >= maxRulesPerBus {
		return "", eventsFaults.Quota(rule.Name)
	}
	if rule.Tags == nil {
		rule.Tags = map[string]string{}
	}
	r := rule
	b.rules[rule.Name] = &r
	return rule.Arn, nil
}

type ruleInput struct {
	Name         string
	Rule         string
	EventBusName string
	Force        bool
	Ids          []string
	Targets      []json.RawMessage
	NextToken    string
	Limit        *int
	NamePrefix   string
}

// ruleFor finds a rule under the lock.
func (s *Events) ruleLocked(region, bus, name string) (*eventBus, *Rule, *emu.APIError) {
	b := s.busLocked(region, bus)
	if b == nil {
		return nil, nil, busNotFound(bus)
	}
	rl, ok := b.rules[name]
	if !ok {
		return b, nil, ruleNotFound(name, bus)
	}
	return b, rl, nil
}

type ruleJSON struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	RoleArn            string `json:"RoleArn,omitempty"`
	EventBusName       string `json:"EventBusName"`
	CreatedBy          string `json:"CreatedBy,omitempty"`
}

func (rl *Rule) toJSON(account string) ruleJSON {
	return ruleJSON{Name: rl.Name, Arn: rl.Arn, EventPattern: rl.EventPattern, ScheduleExpression: rl.ScheduleExpression,
		State: rl.State, Description: rl.Description, RoleArn: rl.RoleArn, EventBusName: rl.EventBusName, CreatedBy: account}
}

func (s *Events) describeRule(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in ruleInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, bus := busName(req.Region, in.EventBusName)
	if _, e := s.env.Faults.Admit(req, ruleArn(region, req.AccountID, bus, in.Name), &eventsFaults); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rl, e := s.ruleLocked(region, bus, in.Name)
	if e != nil {
		return nil, e
	}
	return rl.toJSON(s.env.AccountID), nil
}

// deleteRule: a rule with targets cannot be deleted until they are
// removed (DeleteRule: "Before you can delete the rule, you must remove all
// targets"); deleting a rule that does not exist succeeds (assumed).
func (s *Events) deleteRule(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in ruleInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, bus := busName(req.Region, in.EventBusName)
	if _, e := s.env.Faults.Admit(req, ruleArn(region, req.AccountID, bus, in.Name), &eventsFaults); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, rl, e := s.ruleLocked(region, bus, in.Name)
	if b == nil {
		return nil, e
	}
	if rl == nil {
		return struct{}{}, nil
	}
	if len(rl.Targets) > 0 {
		return nil, validation("Rule can't be deleted since it has targets.")
	}
	delete(b.rules, in.Name)
	return struct{}{}, nil
}

type listRulesOutput struct {
	Rules     []ruleJSON `json:"Rules"`
	NextToken string     `json:"NextToken,omitempty"`
}

func (s *Events) listRules(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in ruleInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, bus := busName(req.Region, in.EventBusName)
	if _, e := s.env.Faults.Admit(req, emu.ARN("events", region, req.AccountID, "event-bus/"+bus), &eventsFaults); e != nil {
		return nil, e
	}
	limit, e := pageLimit(in.Limit)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	b := s.busLocked(region, bus)
	if b == nil {
		s.mu.Unlock()
		return nil, busNotFound(bus)
	}
	var all []ruleJSON
	for _, rl := range b.rules {
		if strings.HasPrefix(rl.Name, in.NamePrefix) {
			all = append(all, rl.toJSON(s.env.AccountID))
		}
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	page, next, pe := emu.Page(all, in.NextToken, limit)
	if pe != nil {
		return nil, validation("The NextToken provided is invalid.")
	}
	return listRulesOutput{Rules: page, NextToken: next}, nil
}

type targetFields struct {
	Id               string
	Arn              string
	RoleArn          string
	Input            string
	InputPath        string
	InputTransformer *InputTransformer
}

type failedEntry struct {
	TargetId     string `json:"TargetId"`
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

type targetsOutput struct {
	FailedEntryCount int           `json:"FailedEntryCount"`
	FailedEntries    []failedEntry `json:"FailedEntries"`
}

var targetID = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)

// putTargets adds or replaces targets (by Id) of a rule: 1–10 a call, at
// most 5 per rule (quota).
func (s *Events) putTargets(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in ruleInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, bus := busName(req.Region, in.EventBusName)
	if _, e := s.env.Faults.Admit(req, ruleArn(region, req.AccountID, bus, in.Rule), &eventsFaults); e != nil {
		return nil, e
	}
	if len(in.Targets) == 0 || len(in.Targets) > 10 {
		return nil, validation("1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	var targets []Target
	for _, raw := range in.Targets {
		var f targetFields
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, emu.ErrSerialization("Could not parse target")
		}
		if !targetID.MatchString(f.Id) {
			return nil, validation("1 validation error detected: Value '%s' at 'targets.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", f.Id)
		}
		if _, ok := emu.ParseARN(f.Arn); !ok {
			return nil, validation("Parameter %s is not valid.", f.Arn)
		}
		targets = append(targets, Target{ID: f.Id, Arn: f.Arn, RoleArn: f.RoleArn, Input: f.Input, InputPath: f.InputPath, InputTransformer: f.InputTransformer, Raw: raw})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rl, e := s.ruleLocked(region, bus, in.Rule)
	if e != nil {
		return nil, e
	}
	merged := append([]Target(nil), rl.Targets...)
	for _, t := range targets {
		replaced := false
		for i := range merged {
			if merged[i].ID == t.ID {
				merged[i], replaced = t, true
			}
		}
		if !replaced {
			merged = append(merged, t)
		}
	}
	if len(merged) > maxTargetsPerRule {
		return nil, eventsFaults.Quota(in.Rule)
	}
	rl.Targets = merged
	return targetsOutput{FailedEntries: []failedEntry{}}, nil
}

func (s *Events) removeTargets(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in ruleInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, bus := busName(req.Region, in.EventBusName)
	if _, e := s.env.Faults.Admit(req, ruleArn(region, req.AccountID, bus, in.Rule), &eventsFaults); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, rl, e := s.ruleLocked(region, bus, in.Rule)
	if e != nil {
		return nil, e
	}
	out := targetsOutput{FailedEntries: []failedEntry{}}
	for _, id := range in.Ids {
		idx := -1
		for i, t := range rl.Targets {
			if t.ID == id {
				idx = i
			}
		}
		if idx < 0 {
			out.FailedEntryCount++
			out.FailedEntries = append(out.FailedEntries, failedEntry{TargetId: id, ErrorCode: "ResourceNotFoundException",
				ErrorMessage: "Target " + id + " does not exist on rule " + in.Rule + "."})
			continue
		}
		rl.Targets = append(rl.Targets[:idx], rl.Targets[idx+1:]...)
	}
	return out, nil
}

type listTargetsOutput struct {
	Targets   []json.RawMessage `json:"Targets"`
	NextToken string            `json:"NextToken,omitempty"`
}

func (s *Events) listTargets(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in ruleInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, bus := busName(req.Region, in.EventBusName)
	if _, e := s.env.Faults.Admit(req, ruleArn(region, req.AccountID, bus, in.Rule), &eventsFaults); e != nil {
		return nil, e
	}
	limit, e := pageLimit(in.Limit)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	_, rl, e := s.ruleLocked(region, bus, in.Rule)
	var raws []json.RawMessage
	if rl != nil {
		for _, t := range rl.Targets {
			raws = append(raws, t.Raw)
		}
	}
	s.mu.Unlock()
	if e != nil {
		return nil, e
	}
	page, next, pe := emu.Page(raws, in.NextToken, limit)
	if pe != nil {
		return nil, validation("The NextToken provided is invalid.")
	}
	if page == nil {
		page = []json.RawMessage{}
	}
	return listTargetsOutput{Targets: page, NextToken: next}, nil
}

type testEventPatternInput struct {
	EventPattern string
	Event        string
}

type testEventPatternOutput struct {
	Result bool `json:"Result"`
}

// testEventPattern is TestEventPattern. The event must carry the fields
// the API names as mandatory: id, account, source, time, region, resources
// and detail-type.
func (s *Events) testEventPattern(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in testEventPatternInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	if _, e := s.env.Faults.Admit(req, "", &eventsFaults); e != nil {
		return nil, e
	}
	p, err := CompilePattern(in.EventPattern)
	if err != nil {
		return nil, &emu.APIError{Code: "InvalidEventPatternException", Message: err.Error(), Status: 400}
	}
	var ev map[string]any
	if json.Unmarshal([]byte(in.Event), &ev) != nil {
		return nil, validation("Parameter Event is not valid.")
	}
	for _, k := range []string{"id", "account", "source", "time", "region", "resources", "detail-type"} {
		if _, ok := ev[k]; !ok {
			return nil, validation("Parameter Event is not valid.")
		}
	}
	return testEventPatternOutput{Result: p.Matches(ev)}, nil
}

// MatchingRules returns the enabled rules of the event's bus whose pattern
// matches the event, by name. A dropped event matches nothing.
func (s *Events) MatchingRules(ev Event) []Rule {
	if ev.Dropped {
		return nil
	}
	env := ev.Envelope()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buses[ev.Region+"/"+ev.EventBusName]
	if b == nil {
		return nil
	}
	var out []Rule
	for _, rl := range b.rules {
		if rl.State != "DISABLED" && rl.pattern != nil && rl.pattern.Matches(env) {
			cp := *rl
			cp.Targets = append([]Target(nil), rl.Targets...)
			cp.Tags = copyMap(rl.Tags)
			out = append(out, cp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
