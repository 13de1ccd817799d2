package localmisc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// --- Publish ---

type publishResult struct {
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

// maxMessageBytes: a message with its attributes may be up to 256 KiB
// (SNS API Reference, Publish, Message).
const maxMessageBytes = 262144

var (
	attributeName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
	e164          = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// publish is Publish: to a topic (TopicArn, or TargetArn naming a topic) or
// to a phone number. Validation follows the Publish reference: Message is
// required and non-empty, Subject under 100 printable characters without
// line breaks, MessageStructure json needs a "default" key, up to 10
// message attributes with types String, String.Array, Number or Binary,
// and FIFO topics need MessageGroupId and a deduplication ID (or
// content-based deduplication).
func (s *SNS) publish(req *emu.Request, form url.Values) (any, *emu.APIError) {
	arn := form.Get("TopicArn")
	if arn == "" {
		arn = form.Get("TargetArn")
	}
	phone := form.Get("PhoneNumber")
	resource := arn
	if resource == "" {
		resource = phone
	}
	if _, e := s.env.Faults.Admit(req, resource, &snsFaults); e != nil {
		return nil, e
	}
	if arn == "" && phone == "" {
		return nil, invalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	msg, present := form["Message"]
	if !present {
		return nil, &emu.APIError{Code: "ValidationError", Message: "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null", Status: 400}
	}
	m := Message{Message: msg[0], Subject: form.Get("Subject"), MessageStructure: form.Get("MessageStructure"),
		MessageGroupID: form.Get("MessageGroupId"), DeduplicationID: form.Get("MessageDeduplicationId"),
		Region: req.Region, Time: s.env.Clock.Now().UTC()}
	if m.Message == "" {
		return nil, invalidParameter("Empty message")
	}
	if _, ok := form["Subject"]; ok {
		if e := validateSubject(m.Subject); e != nil {
			return nil, e
		}
	}
	if m.MessageStructure != "" {
		if m.MessageStructure != "json" {
			return nil, invalidParameter("MessageStructure")
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal([]byte(m.Message), &body); err != nil {
			return nil, invalidParameter("Message Structure - JSON message body failed to parse")
		}
		if _, ok := body["default"]; !ok {
			return nil, invalidParameter("Message Structure - No default entry in JSON message body")
		}
	}
	attrs, size, e := messageAttributes(form)
	if e != nil {
		return nil, e
	}
	m.Attributes = attrs
	if len(m.Message)+size > maxMessageBytes {
		return nil, invalidParameter("Message too long")
	}
	if arn == "" {
		if !e164.MatchString(phone) {
			return nil, invalidParameter("PhoneNumber Reason: input incorrectly formatted")
		}
		m.PhoneNumber = phone
		m.MessageID = newUUID()
		s.mu.Lock()
		s.messages = append(s.messages, m)
		s.mu.Unlock()
		return publishResult{MessageID: m.MessageID}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, e := s.topicFor(arn)
	if e != nil {
		return nil, e
	}
	m.TopicArn = t.arn
	fifo := t.attrs["FifoTopic"] == "true"
	if fifo {
		if m.MessageGroupID == "" {
			return nil, invalidParameter("The MessageGroupId parameter is required for FIFO topics")
		}
		if m.DeduplicationID == "" {
			if t.attrs["ContentBasedDeduplication"] != "true" {
				return nil, invalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			m.DeduplicationID = contentHash(m.Message)
		}
		// A repeated deduplication ID within five minutes is accepted but
		// not delivered again (SNS Developer Guide, "Message deduplication
		// for FIFO topics").
		if d, ok := t.dedup[m.DeduplicationID]; ok && m.Time.Sub(d.at) < 5*time.Minute {
			return publishResult{MessageID: d.messageID}, nil
		}
		s.seq++
		m.SequenceNumber = fmt.Sprintf("%020d", s.seq)
	}
	m.MessageID = newUUID()
	if fifo {
		t.dedup[m.DeduplicationID] = dedupEntry{messageID: m.MessageID, at: m.Time}
	}
	s.messages = append(s.messages, m)
	return publishResult{MessageID: m.MessageID, SequenceNumber: m.SequenceNumber}, nil
}

// validateSubject: "Subjects must be UTF-8 text with no line breaks or
// control characters, and less than 100 characters long" and must begin
// with a letter, number or punctuation mark (Publish, Subject).
func validateSubject(sub string) *emu.APIError {
	if sub == "" || utf8.RuneCountInString(sub) >= 100 || !utf8.ValidString(sub) {
		return invalidParameter("Subject")
	}
	for _, r := range sub {
		if unicode.IsControl(r) {
			return invalidParameter("Subject")
		}
	}
	first, _ := utf8.DecodeRuneInString(sub)
	if !unicode.IsLetter(first) && !unicode.IsDigit(first) && !unicode.IsPunct(first) {
		return invalidParameter("Subject")
	}
	return nil
}

// messageAttributes reads and checks MessageAttributes.entry.N (SNS
// Developer Guide, "Amazon SNS message attributes": at most 10; names of
// letters, digits, _ - . up to 256 characters, not starting with AWS. or
// Amazon., no leading, trailing or doubled dots; data types String,
// String.Array, Number, Binary, each with an optional custom suffix).
func messageAttributes(form url.Values) (map[string]MessageAttribute, int, *emu.APIError) {
	entries := emu.QueryStructs(form, "MessageAttributes.entry")
	if len(entries) > 10 {
		return nil, 0, invalidParameterValue(fmt.Sprintf("Number of message attributes [%d] exceeds the allowed maximum [10].", len(entries)))
	}
	out := map[string]MessageAttribute{}
	size := 0
	for _, e := range entries {
		name := e["Name"]
		lower := strings.ToLower(name)
		if !attributeName.MatchString(name) || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") ||
			strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return nil, 0, invalidParameterValue("The message attribute name '" + name + "' is invalid.")
		}
		if _, dup := out[name]; dup {
			return nil, 0, invalidParameterValue("Message attribute name '" + name + "' has multiple values.")
		}
		a := MessageAttribute{DataType: e["Value.DataType"], StringValue: e["Value.StringValue"]}
		base, _, _ := strings.Cut(a.DataType, ".")
		if strings.HasPrefix(a.DataType, "String.Array") {
			base = "String.Array"
		}
		switch base {
		case "String", "String.Array":
			if a.StringValue == "" {
				return nil, 0, invalidParameterValue("The message attribute '" + name + "' must contain non-empty message attribute value for message attribute type '" + base + "'.")
			}
			if base == "String.Array" {
				var arr []any
				if json.Unmarshal([]byte(a.StringValue), &arr) != nil {
					return nil, 0, invalidParameterValue("The message attribute '" + name + "' has an invalid value for message attribute type 'String.Array'.")
				}
			}
		case "Number":
			if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
				return nil, 0, invalidParameterValue("Could not cast message attribute '" + name + "' value to number.")
			}
		case "Binary":
			b, err := base64.StdEncoding.DecodeString(e["Value.BinaryValue"])
			if err != nil || len(b) == 0 {
				return nil, 0, invalidParameterValue("The message attribute '" + name + "' must contain non-empty message attribute value for message attribute type 'Binary'.")
			}
			a.BinaryValue = b
		default:
			return nil, 0, invalidParameterValue("The message attribute '" + name + "' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")
		}
		size += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
		out[name] = a
	}
	return out, size, nil
}
