package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/snapflow/snapflow/internal/fieldpath"
	"github.com/snapflow/snapflow/internal/policy"
)

// Error lists every rule a configuration file breaks, each with the path of
// the offending value, e.g. "policies[1].retention.keepLast: must be >= 0".
type Error struct {
	// File is the file's path, when it was loaded from one.
	File   string
	Errors []policy.FieldError
}

func (e *Error) Error() string {
	var b strings.Builder
	name := e.File
	if name == "" {
		name = "config"
	}
	fmt.Fprintf(&b, "%s: %d error(s):", name, len(e.Errors))
	for _, fe := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(fe.String())
	}
	return b.String()
}

type errs []policy.FieldError

func (e *errs) add(field, rule string) {
	*e = append(*e, policy.FieldError{Field: field, Rule: rule})
}

func (e errs) err() error {
	if len(e) == 0 {
		return nil
	}
	return &Error{Errors: e}
}

// Keys of a policy entry that are about its schedule, not the execution
// input; they are taken out before the rest goes to policy.Decode.
var scheduleKeys = []string{"scheduleTimeZone", "flexibleWindowMinutes", "scheduleEnabled"}

// decode walks the JSON form of the document, reporting unknown fields and
// wrong types by path. It returns nil when the document is not an object.
func decode(e *errs, doc []byte) *Config {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		e.add("", "not valid YAML: "+err.Error())
		return nil
	}
	top, ok := v.(map[string]any)
	if !ok {
		e.add("", "must be a mapping of settings, not "+kind(v))
		return nil
	}
	cfg := &Config{}
	for _, k := range sortedKeys(top) {
		v := top[k]
		switch k {
		case "stackName":
			cfg.StackName = str(e, k, v)
		case "region":
			cfg.Region = str(e, k, v)
		case "account":
			cfg.Account = str(e, k, v)
		case "alarmEmail":
			cfg.AlarmEmail = str(e, k, v)
		case "logLevel":
			cfg.LogLevel = str(e, k, v)
		case "logRetentionDays":
			cfg.LogRetentionDays = integer(e, k, v)
		case "runTimeoutMinutes":
			cfg.RunTimeoutMinutes = integer(e, k, v)
		case "targetTimeoutMinutes":
			cfg.TargetTimeoutMinutes = integer(e, k, v)
		case "maxConcurrency":
			cfg.MaxConcurrency = integer(e, k, v)
		case "exportBucket":
			cfg.ExportBucket = decodeBucket(e, k, v)
		case "policies":
			cfg.Policies = decodePolicies(e, k, v)
			cfg.policiesMalformed = v != nil && cfg.Policies == nil
		default:
			e.add(fieldpath.Name("", k), "unknown field")
		}
	}
	return cfg
}

func decodeBucket(e *errs, path string, v any) *ExportBucket {
	if v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		e.add(path, "must be a mapping, not "+kind(v))
		return nil
	}
	b := &ExportBucket{}
	for _, k := range sortedKeys(obj) {
		field, v := fieldpath.Name(path, k), obj[k]
		switch k {
		case "create":
			b.Create = derefBool(boolean(e, field, v))
		case "name":
			b.Name = str(e, field, v)
		case "existingBucketName":
			b.ExistingBucketName = str(e, field, v)
		case "encryption":
			b.Encryption = str(e, field, v)
		case "versioned":
			b.Versioned = boolean(e, field, v)
		case "expirationDays":
			b.ExpirationDays = integer(e, field, v)
		case "noncurrentVersionExpirationDays":
			b.NoncurrentVersionExpirationDays = integer(e, field, v)
		default:
			e.add(field, "unknown field")
		}
	}
	return b
}

func decodePolicies(e *errs, path string, v any) []Policy {
	if v == nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		e.add(path, "must be a list, not "+kind(v))
		return nil
	}
	policies := make([]Policy, 0, len(arr))
	for i, item := range arr {
		field := fieldpath.Index(path, i)
		obj, ok := item.(map[string]any)
		if !ok {
			e.add(field, "must be a mapping, not "+kind(item))
			policies = append(policies, Policy{malformed: true})
			continue
		}
		var p Policy
		rest := maps.Clone(obj)
		for _, k := range scheduleKeys {
			v, ok := rest[k]
			if !ok {
				continue
			}
			delete(rest, k)
			switch k {
			case "scheduleTimeZone":
				p.ScheduleTimeZone = str(e, field+"."+k, v)
			case "flexibleWindowMinutes":
				p.FlexibleWindowMinutes = integer(e, field+"."+k, v)
			case "scheduleEnabled":
				p.ScheduleEnabled = boolean(e, field+"."+k, v)
			}
		}
		data, err := json.Marshal(rest)
		if err != nil { // numbers and strings from a JSON document always marshal
			e.add(field, err.Error())
			continue
		}
		// The same decoding and validation as the plan Lambda's.
		decoded, err := policy.Decode(data)
		var ve *policy.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, fe := range ve.Errors {
				e.add(fieldpath.Append(field, fe.Field), fe.Rule)
			}
			// Decode returns the zero policy when the shape is wrong.
			p.malformed = decoded.Name == "" && decoded.Targets == nil && decoded.Selector == nil
		case err != nil:
			e.add(field, err.Error())
			p.malformed = true
		}
		p.Policy = decoded
		policies = append(policies, p)
	}
	return policies
}

func str(e *errs, path string, v any) string {
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		e.add(path, "must be a string, not "+kind(v))
	}
	return s
}

func integer(e *errs, path string, v any) int {
	if v == nil {
		return 0
	}
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil && i == int64(int32(i)) {
			return int(i)
		}
	}
	e.add(path, "must be an integer, not "+kind(v))
	return 0
}

func boolean(e *errs, path string, v any) *bool {
	if v == nil {
		return nil
	}
	b, ok := v.(bool)
	if !ok {
		e.add(path, "must be true or false, not "+kind(v))
		return nil
	}
	return &b
}

func derefBool(b *bool) bool { return b != nil && *b }

func kind(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "null"
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
