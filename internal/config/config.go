// Package config loads snapflow.yaml, the configuration the CDK app (infra/)
// synthesizes the stack from: stack settings, the export bucket, and the
// policies that get a schedule each.
//
// Policies are decoded and validated by internal/policy, the same code the
// plan Lambda runs on every execution input, so a policy that synthesizes is
// a policy the workflow accepts. This package adds only what is about
// deploying: the stack settings, the scheduler fields of a policy
// (scheduleTimeZone, flexibleWindowMinutes, scheduleEnabled) and the limits
// of the AWS resources the stack makes from a policy (schedule syntax, alarm
// windows, target input size, IAM scoping of KMS keys).
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/policy"
)

// DefaultFile is the configuration file at the repository root.
const DefaultFile = "snapflow.yaml"

// Defaults of the optional stack settings.
const (
	DefaultStackName            = "Snapflow"
	DefaultLogRetentionDays     = 30
	DefaultLogLevel             = "info"
	DefaultRunTimeoutMinutes    = 24 * 60
	DefaultTargetTimeoutMinutes = 12 * 60
	DefaultMaxConcurrency       = 40
)

// Config is a loaded and validated snapflow.yaml.
type Config struct {
	// StackName names the CloudFormation stack and prefixes the state
	// machines (<stack>-run, <stack>-target).
	StackName string `json:"stackName,omitempty"`
	// Region and Account pin the stack's environment; empty leaves the
	// stack environment-agnostic (the CLI's credentials decide).
	Region  string `json:"region,omitempty"`
	Account string `json:"account,omitempty"`
	// AlarmEmail, when set, subscribes this address to the alert topic.
	AlarmEmail string `json:"alarmEmail,omitempty"`
	// LogRetentionDays applies to every log group of the stack.
	LogRetentionDays int `json:"logRetentionDays,omitempty"`
	// LogLevel is SNAPFLOW_LOG_LEVEL of every function.
	LogLevel string `json:"logLevel,omitempty"`
	// RunTimeoutMinutes is the execution timeout of a run (the parent state
	// machine); TargetTimeoutMinutes that of one target's sub-workflow.
	RunTimeoutMinutes    int `json:"runTimeoutMinutes,omitempty"`
	TargetTimeoutMinutes int `json:"targetTimeoutMinutes,omitempty"`
	// MaxConcurrency is how many targets of a run are worked on at once.
	MaxConcurrency int `json:"maxConcurrency,omitempty"`
	// ExportBucket is the stack's export bucket, created or existing; nil
	// when no policy exports and none is wanted.
	ExportBucket *ExportBucket `json:"exportBucket,omitempty"`
	// Policies each get a schedule, a Run Requested rule and alarms.
	Policies []Policy `json:"policies"`

	policiesMalformed bool // "policies" is there but not a list
}

// Encryption settings of a created export bucket.
const (
	EncryptionS3  = "s3"  // SSE-S3
	EncryptionKMS = "kms" // SSE-KMS with a key the stack creates
)

// ExportBucket is the bucket exports go to: either created by the stack
// (Create with Name) or an existing one (ExistingBucketName).
type ExportBucket struct {
	Create bool `json:"create,omitempty"`
	// Name is the name of the bucket the stack creates. Policies name it in
	// export.bucket, so it is required with Create.
	Name string `json:"name,omitempty"`
	// ExistingBucketName is a bucket the stack does not manage; its owner
	// grants ElastiCache and MemoryDB access (see docs/deploy.md).
	ExistingBucketName string `json:"existingBucketName,omitempty"`
	// Encryption is EncryptionS3 (default) or EncryptionKMS.
	Encryption string `json:"encryption,omitempty"`
	// Versioned keeps overwritten and deleted objects (default true).
	Versioned *bool `json:"versioned,omitempty"`
	// ExpirationDays deletes exported objects after this many days; 0 keeps
	// them.
	ExpirationDays int `json:"expirationDays,omitempty"`
	// NoncurrentVersionExpirationDays deletes noncurrent versions after this
	// many days; 0 keeps them.
	NoncurrentVersionExpirationDays int `json:"noncurrentVersionExpirationDays,omitempty"`
}

// BucketName is the export bucket's name, created or existing.
func (b *ExportBucket) BucketName() string {
	if b == nil {
		return ""
	}
	if b.Create {
		return b.Name
	}
	return b.ExistingBucketName
}

// IsVersioned reports whether a created bucket is versioned.
func (b *ExportBucket) IsVersioned() bool { return b.Versioned == nil || *b.Versioned }

// Policy is a policy as the configuration file holds it: the execution input
// (normalized by policy.Decode) plus the scheduler settings.
type Policy struct {
	events.Policy
	// ScheduleTimeZone is the IANA zone the cron expression is read in;
	// empty means the policy's timeZone.
	ScheduleTimeZone string `json:"scheduleTimeZone,omitempty"`
	// FlexibleWindowMinutes lets EventBridge Scheduler start the run up to
	// this many minutes late to spread load; 0 starts it on time.
	FlexibleWindowMinutes int `json:"flexibleWindowMinutes,omitempty"`
	// ScheduleEnabled turns the schedule off when false (the Run Requested
	// rule and manual runs still work). Default true.
	ScheduleEnabled *bool `json:"scheduleEnabled,omitempty"`

	malformed bool // policy.Decode rejected its shape: no further checks
}

// Enabled reports whether the policy's schedule is enabled.
func (p Policy) Enabled() bool { return p.ScheduleEnabled == nil || *p.ScheduleEnabled }

// Input is the execution input of a run of p: the policy alone (the
// workflow never sees the scheduler settings), with scheduledTime set to
// scheduledTime when it is not empty. "<" and ">" are written as they are,
// not as \u003c and \u003e, so EventBridge Scheduler finds the
// ScheduledTimePlaceholder.
func (p Policy) Input(scheduledTime string) ([]byte, error) {
	in := p.Policy
	in.ScheduledTime = scheduledTime
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Load reads and parses the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.File = path
		}
		return nil, err
	}
	return cfg, nil
}

// Parse parses a configuration document (YAML, or JSON which is YAML too),
// applies the defaults and validates it. Every rule broken is reported in
// one *Error.
func Parse(data []byte) (*Config, error) {
	doc, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, &Error{Errors: []policy.FieldError{{Rule: "not valid YAML: " + err.Error()}}}
	}
	var e errs
	cfg := decode(&e, doc)
	if cfg != nil {
		validate(&e, cfg)
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}
