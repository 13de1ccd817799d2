// Package localmisc holds the smaller services of the local AWS: SNS
// (topics and Publish), EventBridge (event buses, PutEvents, rules and
// targets with content-based pattern matching) and the Resource Groups
// Tagging API (GetResources over the other services' live tags).
package localmisc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

const snsXmlns = "http://sns.amazonaws.com/doc/2010-03-31/"

// SNS is the emulated Amazon SNS (awsQuery, API version 2010-03-31):
// CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes,
// SetTopicAttributes, Publish and the topic tag operations. Published
// messages are kept in memory (Messages).
type SNS struct {
	env *emu.Env

	mu       sync.Mutex
	topics   map[string]*topic // by ARN
	messages []Message
	seq      int64
}

var (
	_ emu.Service   = (*SNS)(nil)
	_ emu.Seeder    = (*SNS)(nil)
	_ emu.TagSource = (*SNS)(nil)
)

type topic struct {
	arn, name, region string
	attrs             map[string]string
	tags              map[string]string
	dedup             map[string]dedupEntry // FIFO deduplication IDs
}

type dedupEntry struct {
	messageID string
	at        time.Time
}

// Message is one message accepted by Publish.
type Message struct {
	MessageID        string
	TopicArn         string // empty for a direct SMS publish
	PhoneNumber      string
	Region           string
	Subject          string
	Message          string
	MessageStructure string
	Attributes       map[string]MessageAttribute
	MessageGroupID   string
	DeduplicationID  string
	SequenceNumber   string
	Time             time.Time
}

// MessageAttribute is a message attribute as published.
type MessageAttribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// NewSNS returns an SNS without topics.
func NewSNS(env *emu.Env) *SNS {
	return &SNS{env: env, topics: map[string]*topic{}}
}

// Name is SNS's signing name.
func (s *SNS) Name() string { return "sns" }

// Messages returns the messages published so far, oldest first.
func (s *SNS) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// snsFaults: SNS's own codes. Throttled API calls, Publish included, fail
// with ThrottlingException "Rate exceeded" (AWS Knowledge Center, "How do I
// troubleshoot ThrottlingException and Rate exceeded errors in Amazon
// SNS?"; the SNS model's ThrottledException is only listed on a few
// operations); AuthorizationError 403 and InternalError 500 from the model;
// ConcurrentAccess for a busy resource, TopicLimitExceeded for a quota.
var snsFaults = emu.FaultCodes{
	Throttle:     emu.APIError{Code: "ThrottlingException", Message: "Rate exceeded", Status: 400},
	AccessDenied: emu.APIError{Code: "AuthorizationError", Message: "User is not authorized to perform this action", Status: 403},
	Internal:     emu.APIError{Code: "InternalError", Message: "Internal Error", Status: 500, Server: true},
	Busy: func(string) *emu.APIError {
		return &emu.APIError{Code: "ConcurrentAccess", Message: "Can't perform multiple operations on a tag simultaneously. Perform the operations sequentially.", Status: 400}
	},
	Quota: func(string) *emu.APIError {
		return &emu.APIError{Code: "TopicLimitExceeded", Message: "Topic limit exceeded", Status: 403}
	},
}

func invalidParameter(what string) *emu.APIError {
	return &emu.APIError{Code: "InvalidParameter", Message: "Invalid parameter: " + what, Status: 400}
}

func invalidParameterValue(msg string) *emu.APIError {
	return &emu.APIError{Code: "ParameterValueInvalid", Message: msg, Status: 400}
}

func topicNotFound() *emu.APIError {
	return &emu.APIError{Code: "NotFound", Message: "Topic does not exist", Status: 404}
}

// ServeAWS answers one SNS call.
func (s *SNS) ServeAWS(w http.ResponseWriter, r *http.Request, req *emu.Request) {
	form := r.PostForm
	if form == nil {
		_ = r.ParseForm()
		form = r.PostForm
	}
	var result any
	var err *emu.APIError
	switch req.Action {
	case "CreateTopic":
		result, err = s.createTopic(req, form)
	case "DeleteTopic":
		err = s.deleteTopic(req, form)
	case "ListTopics":
		result, err = s.listTopics(req, form)
	case "GetTopicAttributes":
		result, err = s.getTopicAttributes(req, form)
	case "SetTopicAttributes":
		err = s.setTopicAttributes(req, form)
	case "Publish":
		result, err = s.publish(req, form)
	case "TagResource":
		result, err = struct{}{}, s.tagResource(req, form)
	case "UntagResource":
		result, err = struct{}{}, s.untagResource(req, form)
	case "ListTagsForResource":
		result, err = s.listTags(req, form)
	default:
		err = emu.ErrMissingAction(req.Action)
	}
	if err != nil {
		emu.WriteQueryError(w, req, snsXmlns, err)
		return
	}
	emu.WriteQueryResult(w, req, snsXmlns, result)
}

// --- topics ---

// topicName: 1–256 ASCII letters, digits, hyphens and underscores; a FIFO
// topic's name ends in .fifo (SNS API Reference, CreateTopic, Name).
var topicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// topicAttributes are the attributes CreateTopic and SetTopicAttributes
// accept (CreateTopic, Attributes; SetTopicAttributes, AttributeName).
var topicAttributes = map[string]bool{
	"DeliveryPolicy": true, "DisplayName": true, "FifoTopic": true, "Policy": true, "SignatureVersion": true,
	"TracingConfig": true, "KmsMasterKeyId": true, "ContentBasedDeduplication": true, "ArchivePolicy": true,
	"FifoThroughputScope": true, "DataProtectionPolicy": true,
}

type createTopicResult struct {
	TopicArn string `xml:"TopicArn"`
}

// TopicSeed is a topic of the "sns" seed section.
type TopicSeed struct {
	Name       string            `json:"name"`
	Region     string            `json:"region,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// SNSSeed is the "sns" section of the seed file: {"topics": [...]}.
type SNSSeed struct {
	Topics []TopicSeed `json:"topics"`
}

// Seed creates the topics of the seed's "sns" section.
func (s *SNS) Seed(region string, raw json.RawMessage) error {
	var seed SNSSeed
	if err := strictJSON(raw, &seed); err != nil {
		return fmt.Errorf("sns seed: %w", err)
	}
	for i, t := range seed.Topics {
		rg := t.Region
		if rg == "" {
			rg = region
		}
		if _, err := s.CreateTopic(rg, t.Name, t.Attributes, t.Tags); err != nil {
			return fmt.Errorf("sns seed: topic %d (%q): %s", i, t.Name, err.Message)
		}
	}
	return nil
}

// CreateTopic creates a topic (or returns the existing one with the same
// name, attributes and tags: CreateTopic is idempotent).
func (s *SNS) CreateTopic(region, name string, attrs, tags map[string]string) (string, *emu.APIError) {
	fifo := strings.HasSuffix(name, ".fifo")
	if !topicName.MatchString(strings.TrimSuffix(name, ".fifo")) || len(name) > 256 {
		return "", invalidParameter("Topic Name")
	}
	for k, v := range attrs {
		if !topicAttributes[k] {
			return "", invalidParameter("AttributeName")
		}
		if k == "FifoTopic" && v != "true" && v != "false" {
			return "", invalidParameter("Attributes Reason: FifoTopic must be true or false")
		}
	}
	if (attrs["FifoTopic"] == "true") != fifo {
		return "", invalidParameter("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
	}
	if e := validateTags(tags, 0); e != nil {
		return "", e
	}
	arn := emu.ARN("sns", region, s.env.AccountID, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topics[arn]; ok {
		for k, v := range attrs {
			if t.attrs[k] != v {
				return "", invalidParameter("Attributes Reason: Topic already exists with different attributes")
			}
		}
		for k, v := range tags {
			if t.tags[k] != v {
				return "", invalidParameter("Tags Reason: Topic already exists with different tags")
			}
		}
		return arn, nil
	}
	t := &topic{arn: arn, name: name, region: region, attrs: map[string]string{}, tags: map[string]string{}, dedup: map[string]dedupEntry{}}
	for k, v := range attrs {
		t.attrs[k] = v
	}
	for k, v := range tags {
		t.tags[k] = v
	}
	s.topics[arn] = t
	return arn, nil
}

func (s *SNS) createTopic(req *emu.Request, form url.Values) (any, *emu.APIError) {
	name := form.Get("Name")
	arn := emu.ARN("sns", req.Region, req.AccountID, name)
	if _, e := s.env.Faults.Admit(req, arn, &snsFaults); e != nil {
		return nil, e
	}
	attrs := map[string]string{}
	for _, m := range emu.QueryStructs(form, "Attributes.entry") {
		attrs[m["key"]] = m["value"]
	}
	tags := map[string]string{}
	for _, m := range emu.QueryStructs(form, "Tags.member") {
		if _, dup := tags[m["Key"]]; dup {
			return nil, invalidParameter("Tags Reason: Duplicate tag keys")
		}
		tags[m["Key"]] = m["Value"]
	}
	if name == "" {
		return nil, invalidParameter("Topic Name")
	}
	arn, e := s.CreateTopic(req.Region, name, attrs, tags)
	if e != nil {
		return nil, e
	}
	return createTopicResult{TopicArn: arn}, nil
}

// deleteTopic: idempotent, "deleting a topic that does not exist does not
// result in an error" (SNS API Reference, DeleteTopic).
func (s *SNS) deleteTopic(req *emu.Request, form url.Values) *emu.APIError {
	arn := form.Get("TopicArn")
	if _, e := s.env.Faults.Admit(req, arn, &snsFaults); e != nil {
		return e
	}
	if _, ok := emu.ParseARN(arn); !ok {
		return invalidParameter("TopicArn")
	}
	s.mu.Lock()
	delete(s.topics, arn)
	s.mu.Unlock()
	return nil
}

type listTopicsResult struct {
	Topics    []topicMember `xml:"Topics>member"`
	NextToken string        `xml:"NextToken,omitempty"`
}

type topicMember struct {
	TopicArn string `xml:"TopicArn"`
}

// listTopics returns up to 100 topics a page (SNS API Reference,
// ListTopics: "Each call returns a limited list of topics, up to 100").
func (s *SNS) listTopics(req *emu.Request, form url.Values) (any, *emu.APIError) {
	if _, e := s.env.Faults.Admit(req, "", &snsFaults); e != nil {
		return nil, e
	}
	s.mu.Lock()
	var arns []string
	for arn, t := range s.topics {
		if t.region == req.Region {
			arns = append(arns, arn)
		}
	}
	s.mu.Unlock()
	sort.Strings(arns)
	page, next, e := emu.Page(arns, form.Get("NextToken"), 100)
	if e != nil {
		return nil, invalidParameter("NextToken")
	}
	out := listTopicsResult{NextToken: next}
	for _, a := range page {
		out.Topics = append(out.Topics, topicMember{a})
	}
	return out, nil
}

type attributesResult struct {
	Entries []attrEntry `xml:"Attributes>entry"`
}

type attrEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// topicFor finds a topic of the request's region by ARN.
func (s *SNS) topicFor(arn string) (*topic, *emu.APIError) {
	p, ok := emu.ParseARN(arn)
	if !ok || p.Service != "sns" {
		return nil, invalidParameter("TopicArn")
	}
	t, ok := s.topics[arn]
	if !ok {
		return nil, topicNotFound()
	}
	return t, nil
}

// getTopicAttributes returns the set attributes plus the ones SNS computes
// (GetTopicAttributes: TopicArn, Owner, Policy, DisplayName,
// Subscriptions*, EffectiveDeliveryPolicy).
func (s *SNS) getTopicAttributes(req *emu.Request, form url.Values) (any, *emu.APIError) {
	arn := form.Get("TopicArn")
	if _, e := s.env.Faults.Admit(req, arn, &snsFaults); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicFor(arn)
	if e != nil {
		return nil, e
	}
	attrs := map[string]string{
		"TopicArn": t.arn, "Owner": s.env.AccountID, "DisplayName": "",
		"SubscriptionsConfirmed": "0", "SubscriptionsPending": "0", "SubscriptionsDeleted": "0",
		"Policy":                  defaultTopicPolicy(t.arn, s.env.AccountID),
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`,
	}
	for k, v := range t.attrs {
		attrs[k] = v
	}
	var out attributesResult
	for _, k := range emu.SortedKeys(attrs) {
		out.Entries = append(out.Entries, attrEntry{k, attrs[k]})
	}
	return out, nil
}

// defaultTopicPolicy is the access policy a new topic gets: the owner
// account may use it (assumed text, the shape of SNS's default policy).
func defaultTopicPolicy(arn, account string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow",` +
		`"Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission",` +
		`"SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` + arn +
		`","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}}]}`
}

func (s *SNS) setTopicAttributes(req *emu.Request, form url.Values) *emu.APIError {
	arn := form.Get("TopicArn")
	if _, e := s.env.Faults.Admit(req, arn, &snsFaults); e != nil {
		return e
	}
	name, value := form.Get("AttributeName"), form.Get("AttributeValue")
	if !topicAttributes[name] || name == "FifoTopic" {
		return invalidParameter("AttributeName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicFor(arn)
	if e != nil {
		return e
	}
	t.attrs[name] = value
	return nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// strictJSON decodes raw into v, refusing unknown fields so that a typo in
// a seed file is an error.
func strictJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
