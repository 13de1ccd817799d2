package localmisc

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// InputTransformer is a target's InputTransformer: values picked from the
// event by InputPathsMap fill the <placeholders> of InputTemplate.
type InputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap,omitempty"`
	InputTemplate string            `json:"InputTemplate"`
}

// Delivery is one matched event handed to one target of a rule.
type Delivery struct {
	Event   Event
	Rule    string // the rule's name
	RuleArn string
	Target  Target
	// Input is what the target receives (InputFor).
	Input string
}

// SetDelivery installs f as the receiver of deliveries: for every event
// PutEvents accepts, every target of every enabled rule of its bus whose
// pattern matches it gets one call, with the input that target receives,
// after the event is stored and before PutEvents answers. EventBridge
// delivers asynchronously and at least once; locally it is exactly once,
// in rule-name and target order. nil (the default) keeps events for
// inspection only.
func (s *Events) SetDelivery(f func(Delivery)) {
	s.mu.Lock()
	s.deliver = f
	s.mu.Unlock()
}

// deliverAll hands the events to the delivery receiver (not under s.mu:
// the receiver may call back).
func (s *Events) deliverAll(evs []Event) {
	s.mu.Lock()
	f := s.deliver
	s.mu.Unlock()
	if f == nil {
		return
	}
	for _, ev := range evs {
		for _, rl := range s.MatchingRules(ev) {
			for _, t := range rl.Targets {
				input, err := t.InputFor(ev, rl)
				if err != nil {
					continue // EventBridge would count a failed invocation
				}
				f(Delivery{Event: ev, Rule: rl.Name, RuleArn: rl.Arn, Target: t, Input: input})
			}
		}
	}
}

// InputFor returns what the target receives for ev matched by rule
// (EventBridge API Reference, Target):
//   - Input: that JSON text, "nothing from the event itself is passed";
//   - InputPath: the part of the event the JSONPath selects;
//   - InputTransformer: InputTemplate with its placeholders filled in;
//   - none of them: the whole event.
//
// A path that selects nothing is an error: the target gets nothing
// (assumed).
func (t Target) InputFor(ev Event, rule Rule) (string, error) {
	switch {
	case t.Input != "":
		return t.Input, nil
	case t.InputPath != "":
		v, ok, err := jsonPath(ev.Envelope(), t.InputPath)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("InputPath %s selects nothing in the event", t.InputPath)
		}
		data, _ := json.Marshal(v)
		return string(data), nil
	case t.InputTransformer != nil:
		return t.InputTransformer.render(ev, rule)
	}
	data, _ := json.Marshal(ev.Envelope())
	return string(data), nil
}

// placeholder is <name> in an InputTemplate.
var placeholder = regexp.MustCompile(`<([A-Za-z0-9_.\-]+)>`)

// render fills the template ("Amazon EventBridge input transformation",
// EventBridge User Guide, and InputTransformer, API Reference):
//   - a variable of InputPathsMap is the value its JSONPath selects in the
//     event; the predefined aws.events.rule-arn, aws.events.rule-name,
//     aws.events.event.ingestion-time (ISO 8601), aws.events.event (the
//     event without detail, as JSON) and aws.events.event.json (the whole
//     event) are always there;
//   - in a JSON template (an object or array), a placeholder outside a
//     string becomes the value as JSON ("valid JSON with variables in quotes
//     or out": a string keeps its quotes), one inside a string the value's
//     text, escaped for the string;
//   - in a text template, the value's text (a string without quotes).
//
// A variable whose path selects nothing is null outside a string and empty
// inside one; an unknown placeholder is left as it is (both assumed).
func (x *InputTransformer) render(ev Event, rule Rule) (string, error) {
	env := ev.Envelope()
	vars := map[string]any{}
	for name, path := range x.InputPathsMap {
		v, ok, err := jsonPath(env, path)
		if err != nil {
			return "", fmt.Errorf("InputPathsMap %s: %w", name, err)
		}
		if ok {
			vars[name] = v
		} else {
			vars[name] = nil
		}
	}
	withoutDetail := map[string]any{}
	for k, v := range env {
		if k != "detail" {
			withoutDetail[k] = v
		}
	}
	raw := map[string]json.RawMessage{}
	raw["aws.events.event"], _ = json.Marshal(withoutDetail)
	raw["aws.events.event.json"], _ = json.Marshal(env)
	vars["aws.events.rule-arn"] = rule.Arn
	vars["aws.events.rule-name"] = rule.Name
	ingested := ev.IngestionTime
	if ingested.IsZero() {
		ingested = ev.Time
	}
	vars["aws.events.event.ingestion-time"] = ingested.UTC().Format(time.RFC3339)

	tmpl := x.InputTemplate
	trimmed := strings.TrimSpace(tmpl)
	isJSON := strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")
	var out strings.Builder
	inString, escaped, last := false, false, 0
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if isJSON {
			switch {
			case escaped:
				escaped = false
				continue
			case c == '\\' && inString:
				escaped = true
				continue
			case c == '"':
				inString = !inString
				continue
			}
		}
		if c != '<' {
			continue
		}
		m := placeholder.FindStringSubmatchIndex(tmpl[i:])
		if m == nil || m[0] != 0 {
			continue
		}
		name := tmpl[i+m[2] : i+m[3]]
		var text string
		if r, ok := raw[name]; ok {
			text = string(r)
		} else if v, ok := vars[name]; ok {
			text = fill(v, isJSON, inString)
		} else {
			continue
		}
		out.WriteString(tmpl[last:i])
		out.WriteString(text)
		i += m[1] - 1
		last = i + 1
	}
	out.WriteString(tmpl[last:])
	return out.String(), nil
}

// fill is a value as it goes into a template.
func fill(v any, isJSON, inString bool) string {
	s, isString := v.(string)
	switch {
	case isJSON && !inString:
		data, _ := json.Marshal(v)
		return string(data)
	case v == nil && inString:
		return ""
	case !isString:
		data, _ := json.Marshal(v)
		s = string(data)
	}
	if isJSON {
		q, _ := json.Marshal(s)
		return string(q[1 : len(q)-1])
	}
	return s
}

// jsonPath evaluates the JSONPath EventBridge supports ("dot notation …
// dashes, underscores, alphanumeric characters, array indices"): $, then
// .name and [n] steps. ok is false when the path selects nothing.
func jsonPath(doc any, path string) (any, bool, error) {
	if !strings.HasPrefix(path, "$") {
		return nil, false, fmt.Errorf("%q: a JSONPath starts with $", path)
	}
	rest, cur := path[1:], doc
	for rest != "" {
		switch rest[0] {
		case '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			key := rest[1 : 1+end]
			if key == "" || key == "*" {
				return nil, false, fmt.Errorf("%q: unsupported step %q", path, rest)
			}
			rest = rest[1+end:]
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false, nil
			}
			if cur, ok = m[key]; !ok {
				return nil, false, nil
			}
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false, fmt.Errorf("%q: unclosed [", path)
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, false, fmt.Errorf("%q: an array index is a number", path)
			}
			rest = rest[end+1:]
			l, ok := cur.([]any)
			if !ok || n >= len(l) {
				return nil, false, nil
			}
			cur = l[n]
		default:
			return nil, false, errors.New(path + ": expected . or [")
		}
	}
	return cur, true, nil
}
