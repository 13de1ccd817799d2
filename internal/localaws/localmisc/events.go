package localmisc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Events is the emulated Amazon EventBridge (awsJson1_1, target prefix
// AWSEvents): event buses, PutEvents, rules and targets, TestEventPattern.
// Put events are kept in memory (Events); MatchingRules tells which rules
// an event triggers, and SetDelivery hands each matched event to its rules'
// targets, with the input each gets (the local runner starts Step Functions
// executions with it).
type Events struct {
	env *emu.Env

	mu      sync.Mutex
	buses   map[string]*eventBus // by region + "/" + name
	events  []Event
	deliver func(Delivery)
}

var (
	_ emu.Service   = (*Events)(nil)
	_ emu.Seeder    = (*Events)(nil)
	_ emu.TagSource = (*Events)(nil)
)

type eventBus struct {
	name, region, arn string
	description, kms  string
	created, modified time.Time
	tags              map[string]string
	rules             map[string]*Rule
}

// Rule is an EventBridge rule with its targets.
type Rule struct {
	Name               string
	Arn                string
	EventBusName       string
	Region             string
	EventPattern       string
	ScheduleExpression string
	State              string
	Description        string
	RoleArn            string
	Targets            []Target
	Tags               map[string]string

	pattern *Pattern
}

// Target is a rule target. Raw keeps the target as it was put (all its
// parameters) for ListTargetsByRule.
type Target struct {
	ID               string
	Arn              string
	RoleArn          string
	Input            string
	InputPath        string
	InputTransformer *InputTransformer
	Raw              json.RawMessage
}

// Event is one event accepted by PutEvents.
type Event struct {
	ID           string
	Region       string
	Account      string
	Source       string
	DetailType   string
	Detail       json.RawMessage
	Resources    []string
	Time         time.Time
	EventBusName string
	EventBusArn  string
	// Dropped marks an event sent to a bus that does not exist: EventBridge
	// accepts it (an EventId, no error) and drops it.
	Dropped bool
	// IngestionTime is when PutEvents accepted it (Time is the entry's
	// own when it set one).
	IngestionTime time.Time
}

// Envelope returns the event as EventBridge delivers it to targets and
// matches it against patterns.
func (e Event) Envelope() map[string]any {
	var detail any = map[string]any{}
	_ = json.Unmarshal(e.Detail, &detail)
	res := make([]any, 0, len(e.Resources))
	for _, r := range e.Resources {
		res = append(res, r)
	}
	return map[string]any{
		"version": "0", "id": e.ID, "detail-type": e.DetailType, "source": e.Source, "account": e.Account,
		"time": e.Time.UTC().Format("2006-01-02T15:04:05Z"), "region": e.Region, "resources": res, "detail": detail,
	}
}

// NewEvents returns an EventBridge with only the default bus of each
// region.
func NewEvents(env *emu.Env) *Events {
	return &Events{env: env, buses: map[string]*eventBus{}}
}

// Name is EventBridge's signing name.
func (s *Events) Name() string { return "events" }

// Events returns the events put so far, oldest first.
func (s *Events) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// eventsFaults: EventBridge's codes (EventBridge API Reference, Common
// Errors and the operations' errors): ThrottlingException,
// AccessDeniedException, InternalException (500); a busy resource is
// ConcurrentModificationException, a quota LimitExceededException.
var eventsFaults = emu.FaultCodes{
	Throttle:     emu.APIError{Code: "ThrottlingException", Message: "Rate exceeded", Status: 400},
	AccessDenied: emu.APIError{Code: "AccessDeniedException", Message: "User is not authorized to perform this operation", Status: 400},
	Internal:     emu.APIError{Code: "InternalException", Message: "Internal error", Status: 500, Server: true},
	Busy: func(string) *emu.APIError {
		return &emu.APIError{Code: "ConcurrentModificationException", Message: "There is concurrent modification on a resource. Please try again.", Status: 400}
	},
	Quota: func(string) *emu.APIError {
		return &emu.APIError{Code: "LimitExceededException", Message: "The requested resource exceeds the maximum number allowed.", Status: 400}
	},
}

func validation(format string, args ...any) *emu.APIError {
	return &emu.APIError{Code: "ValidationException", Message: fmt.Sprintf(format, args...), Status: 400}
}

func busNotFound(name string) *emu.APIError {
	return &emu.APIError{Code: "ResourceNotFoundException", Message: "Event bus " + name + " does not exist.", Status: 400}
}

func ruleNotFound(rule, bus string) *emu.APIError {
	return &emu.APIError{Code: "ResourceNotFoundException", Message: "Rule " + rule + " does not exist on EventBus " + bus + ".", Status: 400}
}

// ServeAWS answers one EventBridge call.
func (s *Events) ServeAWS(w http.ResponseWriter, r *http.Request, req *emu.Request) {
	var out any
	var err *emu.APIError
	switch req.Action {
	case "PutEvents":
		out, err = s.putEvents(r, req)
	case "CreateEventBus":
		out, err = s.createEventBus(r, req)
	case "DescribeEventBus":
		out, err = s.describeEventBus(r, req)
	case "DeleteEventBus":
		out, err = s.deleteEventBus(r, req)
	case "ListEventBuses":
		out, err = s.listEventBuses(r, req)
	case "PutRule":
		out, err = s.putRule(r, req)
	case "DescribeRule":
		out, err = s.describeRule(r, req)
	case "DeleteRule":
		out, err = s.deleteRule(r, req)
	case "ListRules":
		out, err = s.listRules(r, req)
	case "PutTargets":
		out, err = s.putTargets(r, req)
	case "RemoveTargets":
		out, err = s.removeTargets(r, req)
	case "ListTargetsByRule":
		out, err = s.listTargets(r, req)
	case "TestEventPattern":
		out, err = s.testEventPattern(r, req)
	default:
		err = &emu.APIError{Code: "UnknownOperationException", Message: "Unknown operation " + req.Action, Status: 400}
	}
	if err != nil {
		emu.WriteJSONError(w, req, err)
		return
	}
	emu.WriteJSON(w, req, out)
}

// --- buses ---

// busLocked returns the named bus of the region; "default" always exists.
func (s *Events) busLocked(region, name string) *eventBus {
	key := region + "/" + name
	b, ok := s.buses[key]
	if !ok && name == "default" {
		now := s.env.Clock.Now().UTC()
		b = &eventBus{name: name, region: region, arn: emu.ARN("events", region, s.env.AccountID, "event-bus/default"),
			created: now, modified: now, tags: map[string]string{}, rules: map[string]*Rule{}}
		s.buses[key] = b
	}
	return b
}

// busName takes an event bus name or ARN (the API accepts both) and
// returns the region and name it designates.
func busName(region, nameOrArn string) (string, string) {
	if nameOrArn == "" {
		return region, "default"
	}
	if p, ok := emu.ParseARN(nameOrArn); ok && p.Service == "events" {
		if n, ok := strings.CutPrefix(p.Resource, "event-bus/"); ok {
			return p.Region, n
		}
	}
	return region, nameOrArn
}

// busNameRule: 1–256 characters of [/.\-_A-Za-z0-9] (CreateEventBus, Name);
// "/" belongs to partner event buses, named after their event source.
var busNameRule = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]{1,256}$`)

// maxBuses is the quota of event buses per account and region (EventBridge
// User Guide, "Amazon EventBridge quotas": 100, adjustable).
const maxBuses = 100

type tagJSON struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type createEventBusInput struct {
	Name             string
	EventSourceName  string
	Description      string
	KmsKeyIdentifier string
	Tags             []tagJSON
}

type createEventBusOutput struct {
	EventBusArn      string `json:"EventBusArn"`
	Description      string `json:"Description,omitempty"`
	KmsKeyIdentifier string `json:"KmsKeyIdentifier,omitempty"`
}

func (s *Events) createEventBus(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in createEventBusInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	arn := emu.ARN("events", req.Region, req.AccountID, "event-bus/"+in.Name)
	if _, e := s.env.Faults.Admit(req, arn, &eventsFaults); e != nil {
		return nil, e
	}
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
	}
	b, e := s.CreateEventBus(req.Region, in.Name, in.EventSourceName, in.Description, in.KmsKeyIdentifier, tags)
	if e != nil {
		return nil, e
	}
	return createEventBusOutput{EventBusArn: b, Description: in.Description, KmsKeyIdentifier: in.KmsKeyIdentifier}, nil
}

// CreateEventBus creates a custom event bus and returns its ARN.
func (s *Events) CreateEventBus(region, name, eventSource, description, kms string, tags map[string]string) (string, *emu.APIError) {
	if !busNameRule.MatchString(name) {
		return "", validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+", name)
	}
	if strings.Contains(name, "/") && name != eventSource {
		return "", validation("Event bus name must not contain '/'.")
	}
	if len(description) > 512 {
		return "", validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 512")
	}
	if e := validateEventTags(tags); e != nil {
		return "", e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.busLocked(region, name); b != nil {
		return "", &emu.APIError{Code: "ResourceAlreadyExistsException", Message: "Event bus " + name + " already exists.", Status: 400}
	}
	n := 0
	for _, b := range s.buses {
		if b.region == region && b.name != "default" {
			n++
		}
	}
	if n >= maxBuses {
		return "", eventsFaults.Quota(name)
	}
	now := s.env.Clock.Now().UTC()
	b := &eventBus{name: name, region: region, arn: emu.ARN("events", region, s.env.AccountID, "event-bus/"+name),
		description: description, kms: kms, created: now, modified: now, tags: copyMap(tags), rules: map[string]*Rule{}}
	s.buses[region+"/"+name] = b
	return b.arn, nil
}

type nameInput struct {
	Name string
}

type describeEventBusOutput struct {
	Name             string           `json:"Name"`
	Arn              string           `json:"Arn"`
	Description      string           `json:"Description,omitempty"`
	KmsKeyIdentifier string           `json:"KmsKeyIdentifier,omitempty"`
	CreationTime     emu.EpochSeconds `json:"CreationTime"`
	LastModifiedTime emu.EpochSeconds `json:"LastModifiedTime"`
}

func (s *Events) describeEventBus(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in nameInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, name := busName(req.Region, in.Name)
	if _, e := s.env.Faults.Admit(req, emu.ARN("events", region, req.AccountID, "event-bus/"+name), &eventsFaults); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.busLocked(region, name)
	if b == nil {
		return nil, busNotFound(name)
	}
	return describeEventBusOutput{Name: b.name, Arn: b.arn, Description: b.description, KmsKeyIdentifier: b.kms,
		CreationTime: emu.EpochSeconds(b.created), LastModifiedTime: emu.EpochSeconds(b.modified)}, nil
}

// deleteEventBus: the default bus cannot be deleted ("Cannot delete event
// bus default."); deleting a bus that does not exist succeeds; the bus's
// rules go with it (assumed).
func (s *Events) deleteEventBus(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in nameInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	region, name := busName(req.Region, in.Name)
	if _, e := s.env.Faults.Admit(req, emu.ARN("events", region, req.AccountID, "event-bus/"+name), &eventsFaults); e != nil {
		return nil, e
	}
	if name == "default" {
		return nil, validation("Cannot delete event bus default.")
	}
	s.mu.Lock()
	delete(s.buses, region+"/"+name)
	s.mu.Unlock()
	return struct{}{}, nil
}

type listInput struct {
	NamePrefix   string
	EventBusName string
	NextToken    string
	Limit        *int
}

type busEntry struct {
	Name             string           `json:"Name"`
	Arn              string           `json:"Arn"`
	Description      string           `json:"Description,omitempty"`
	CreationTime     emu.EpochSeconds `json:"CreationTime"`
	LastModifiedTime emu.EpochSeconds `json:"LastModifiedTime"`
}

type listEventBusesOutput struct {
	EventBuses []busEntry `json:"EventBuses"`
	NextToken  string     `json:"NextToken,omitempty"`
}

func pageLimit(l *int) (int, *emu.APIError) {
	if l == nil {
		return 100, nil
	}
	if *l < 1 || *l > 100 {
		return 0, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", *l)
	}
	return *l, nil
}

func (s *Events) listEventBuses(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in listInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	if _, e := s.env.Faults.Admit(req, "", &eventsFaults); e != nil {
		return nil, e
	}
	limit, e := pageLimit(in.Limit)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	s.busLocked(req.Region, "default")
	var all []busEntry
	for _, b := range s.buses {
		if b.region == req.Region && strings.HasPrefix(b.name, in.NamePrefix) {
			all = append(all, busEntry{b.name, b.arn, b.description, emu.EpochSeconds(b.created), emu.EpochSeconds(b.modified)})
		}
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	page, next, pe := emu.Page(all, in.NextToken, limit)
	if pe != nil {
		return nil, validation("The NextToken provided is invalid.")
	}
	return listEventBusesOutput{EventBuses: page, NextToken: next}, nil
}

// --- PutEvents ---

type putEventsInput struct {
	Entries    []putEventsEntry
	EndpointId string
}

type putEventsEntry struct {
	Source       *string
	DetailType   *string
	Detail       *string
	EventBusName string
	Resources    []string
	Time         *emu.EpochSeconds
	TraceHeader  string
}

type putEventsResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

type putEventsOutput struct {
	FailedEntryCount int                    `json:"FailedEntryCount"`
	Entries          []putEventsResultEntry `json:"Entries"`
}

// maxEntrySize is the largest PutEvents entry (EventBridge API Reference,
// PutEvents: "The maximum size for a PutEvents event entry is 256 KB").
const maxEntrySize = 256 * 1024

// putEvents is PutEvents: 1–10 entries (PutEvents, Entries: "Array Members:
// Minimum number of 1 item. Maximum number of 10 items."), each checked on
// its own: a failed entry gets ErrorCode/ErrorMessage in its place in the
// result (PutEventsResultEntry: InvalidArgument, MalformedDetail,
// NotAuthorizedForSourceException, …) and the others go through. Detail
// must be a JSON object. An entry for a bus that does not exist is
// accepted and dropped, as EventBridge does (reported in aws/aws-sdk#186
// and aws/aws-cli#9186).
func (s *Events) putEvents(r *http.Request, req *emu.Request) (any, *emu.APIError) {
	var in putEventsInput
	if e := emu.DecodeJSON(r, &in); e != nil {
		return nil, e
	}
	resource := emu.ARN("events", req.Region, req.AccountID, "event-bus/default")
	if len(in.Entries) > 0 {
		rg, n := busName(req.Region, in.Entries[0].EventBusName)
		resource = emu.ARN("events", rg, req.AccountID, "event-bus/"+n)
	}
	if _, e := s.env.Faults.Admit(req, resource, &eventsFaults); e != nil {
		return nil, e
	}
	switch {
	case len(in.Entries) == 0:
		return nil, validation("1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(in.Entries) > 10:
		return nil, validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	for _, en := range in.Entries {
		size := len(deref(en.Source)) + len(deref(en.DetailType)) + len(deref(en.Detail))
		for _, rs := range en.Resources {
			size += len(rs)
		}
		if size > maxEntrySize {
			return nil, validation("Total size of the entries in the request is over the limit.")
		}
	}
	out := putEventsOutput{Entries: make([]putEventsResultEntry, 0, len(in.Entries))}
	now := s.env.Clock.Now().UTC()
	var accepted []Event
	s.mu.Lock()
	for _, en := range in.Entries {
		if code, msg := checkEntry(en); code != "" {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, putEventsResultEntry{ErrorCode: code, ErrorMessage: msg})
			continue
		}
		region, name := busName(req.Region, en.EventBusName)
		ev := Event{ID: newUUID(), Region: region, Account: req.AccountID, Source: *en.Source, DetailType: *en.DetailType,
			Detail: json.RawMessage(*en.Detail), Resources: append([]string{}, en.Resources...), Time: now, IngestionTime: now,
			EventBusName: name, EventBusArn: emu.ARN("events", region, req.AccountID, "event-bus/"+name)}
		if en.Time != nil {
			ev.Time = time.Time(*en.Time).UTC()
		}
		ev.Dropped = s.busLocked(region, name) == nil
		s.events = append(s.events, ev)
		accepted = append(accepted, ev)
		out.Entries = append(out.Entries, putEventsResultEntry{EventID: ev.ID})
	}
	s.mu.Unlock()
	s.deliverAll(accepted)
	return out, nil
}

// checkEntry returns the error code and message of an entry EventBridge
// would not take.
func checkEntry(en putEventsEntry) (string, string) {
	for _, f := range []struct {
		name string
		v    *string
	}{{"Source", en.Source}, {"DetailType", en.DetailType}, {"Detail", en.Detail}} {
		if f.v == nil || *f.v == "" {
			return "InvalidArgument", "Parameter " + f.name + " is not valid. Reason: " + f.name + " is a required argument."
		}
	}
	// Sources starting with "aws." are reserved for AWS services.
	if strings.HasPrefix(*en.Source, "aws.") {
		return "NotAuthorizedForSourceException", "Not authorized for the source."
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*en.Detail), &obj); err != nil {
		return "MalformedDetail", "Detail is malformed."
	}
	return "", ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// validateEventTags: up to 50 tags, keys 1–128, values 0–256, no aws:
// prefix (EventBridge API Reference, Tag; AWS tagging rules).
func validateEventTags(tags map[string]string) *emu.APIError {
	if len(tags) > 50 {
		return eventsFaults.Quota("tags")
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 || len(v) > 256 {
			return validation("Tag key or value length is not valid.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return validation("Tag keys must not start with 'aws:'.")
		}
	}
	return nil
}

// TaggedResources lists the region's event buses and rules that carry tags.
func (s *Events) TaggedResources(region string) []emu.TaggedResource {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []emu.TaggedResource
	for _, b := range s.buses {
		if b.region != region {
			continue
		}
		if len(b.tags) > 0 {
			out = append(out, emu.TaggedResource{ARN: b.arn, Tags: copyMap(b.tags)})
		}
		for _, rl := range b.rules {
			if len(rl.Tags) > 0 {
				out = append(out, emu.TaggedResource{ARN: rl.Arn, Tags: copyMap(rl.Tags)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}
