package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/policy"
	"github.com/snapflow/snapflow/internal/schedexpr"
)

var (
	// A CloudFormation stack name starts with a letter and holds letters,
	// digits and hyphens (CreateStack, StackName). The state machines are
	// named "<stack>-target" and "<stack>-run", and a state machine name is
	// at most 80 characters (CreateStateMachine, name), so 60 leaves room.
	stackNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,59}$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	emailPattern     = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

	// EventBridge Scheduler: "rate(value unit)" with unit minute(s),
	// hour(s) or day(s); "cron(minutes hours day-of-month month
	// day-of-week year)" (Schedule types on EventBridge Scheduler, EventBridge
	// Scheduler User Guide). at(...) one-time schedules make no sense for a
	// policy.
	ratePattern = regexp.MustCompile(`^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$`)
	cronPattern = regexp.MustCompile(`^cron\((\S+ ){5}\S+\)$`)

	// A key ARN, an alias ARN, an alias name or a bare key ID.
	keyARNPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	aliasARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:alias/[A-Za-z0-9/_-]+$`)
	aliasPattern    = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]+$`)
	keyIDPattern    = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

// CloudWatch Logs retention values (PutRetentionPolicy, retentionInDays).
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var logLevels = []string{"debug", "info", "warn", "error"}

// Limits the stack's resources put on a policy.
const (
	// "An alarm's total current evaluation period can be no longer than
	// seven days, so Period multiplied by EvaluationPeriods can't be more
	// than 604,800 seconds." — PutMetricAlarm, Period, Amazon CloudWatch API
	// Reference. The RPO alarm evaluates one window of rpoMinutes.
	MaxRPOMinutes = 7 * 24 * 60
	// "Length Constraints: Maximum length of 8192." — Target, Input, Amazon
	// EventBridge API Reference; the Run Requested rule passes the policy as
	// a constant input. Scheduler targets take the same document.
	MaxInputBytes = 8192
	// FlexibleTimeWindow MaximumWindowInMinutes: 1 to 1440 — EventBridge
	// Scheduler API Reference.
	MaxFlexibleWindowMinutes = 1440
	// Standard workflows run for at most one year (Step Functions service
	// quotas); a snapshot run needs far less, a day is the default.
	maxTimeoutMinutes = 365 * 24 * 60
	// Inline Map runs at most 40 iterations at once (DESIGN.md).
	maxConcurrency = 40
)

// ScheduledTimePlaceholder is the EventBridge Scheduler context attribute
// replaced by the time a schedule was due ("Adding context attributes",
// EventBridge Scheduler User Guide).
const ScheduledTimePlaceholder = "<aws.scheduler.scheduled-time>"

func validate(e *errs, c *Config) {
	if c.StackName == "" {
		c.StackName = DefaultStackName
	}
	if !stackNamePattern.MatchString(c.StackName) {
		e.add("stackName", "must be 1 to 60 letters, digits or hyphens, starting with a letter")
	}
	if c.Region != "" && !regionPattern.MatchString(c.Region) {
		e.add("region", "must be a region code such as eu-west-1")
	}
	if c.Account != "" && !accountPattern.MatchString(c.Account) {
		e.add("account", `must be 12 digits, quoted ("012345678901") so YAML keeps it a string`)
	}
	if c.AlarmEmail != "" && !emailPattern.MatchString(c.AlarmEmail) {
		e.add("alarmEmail", "must be an email address")
	}
	if c.LogRetentionDays == 0 {
		c.LogRetentionDays = DefaultLogRetentionDays
	}
	if !slices.Contains(logRetentionDays, c.LogRetentionDays) {
		e.add("logRetentionDays", "must be one of "+joinInts(logRetentionDays)+" (CloudWatch Logs retention values)")
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	if !slices.Contains(logLevels, c.LogLevel) {
		e.add("logLevel", "must be one of "+strings.Join(logLevels, ", "))
	}
	if c.RunTimeoutMinutes == 0 {
		c.RunTimeoutMinutes = DefaultRunTimeoutMinutes
	}
	if c.TargetTimeoutMinutes == 0 {
		c.TargetTimeoutMinutes = min(DefaultTargetTimeoutMinutes, c.RunTimeoutMinutes)
	}
	if c.RunTimeoutMinutes < 10 || c.RunTimeoutMinutes > maxTimeoutMinutes {
		e.add("runTimeoutMinutes", fmt.Sprintf("must be 10 to %d (one year)", maxTimeoutMinutes))
	}
	if c.TargetTimeoutMinutes < 5 || c.TargetTimeoutMinutes > c.RunTimeoutMinutes {
		e.add("targetTimeoutMinutes", "must be at least 5 and at most runTimeoutMinutes")
	}
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = DefaultMaxConcurrency
	}
	if c.MaxConcurrency < 1 || c.MaxConcurrency > maxConcurrency {
		e.add("maxConcurrency", fmt.Sprintf("must be 1 to %d (the inline Map's limit)", maxConcurrency))
	}
	validateBucket(e, c)
	validatePolicies(e, c)
	validateSnapshotRate(e, c)
}

func validateBucket(e *errs, c *Config) {
	b := c.ExportBucket
	if b == nil {
		return
	}
	switch {
	case b.Create && b.ExistingBucketName != "":
		e.add("exportBucket", "set either create: true with name, or existingBucketName, not both")
	case b.Create && b.Name == "":
		e.add("exportBucket.name", "is required with create: true (policies name the bucket in export.bucket)")
	case !b.Create && b.ExistingBucketName == "":
		e.add("exportBucket", "set create: true with name, or existingBucketName")
	case !b.Create && (b.Name != "" || b.Encryption != "" || b.Versioned != nil || b.ExpirationDays != 0 || b.NoncurrentVersionExpirationDays != 0):
		e.add("exportBucket", "name, encryption, versioned and the expiration days apply only with create: true")
	}
	if name := b.BucketName(); name != "" && !validBucketName(name) {
		field := "exportBucket.name"
		if !b.Create {
			field = "exportBucket.existingBucketName"
		}
		e.add(field, "must be a valid S3 bucket name")
	}
	if b.Encryption == "" && b.Create {
		b.Encryption = EncryptionS3
	}
	if b.Create && b.Encryption != EncryptionS3 && b.Encryption != EncryptionKMS {
		e.add("exportBucket.encryption", "must be s3 or kms")
	}
	if b.ExpirationDays < 0 {
		e.add("exportBucket.expirationDays", "must be >= 0")
	}
	if b.NoncurrentVersionExpirationDays < 0 {
		e.add("exportBucket.noncurrentVersionExpirationDays", "must be >= 0")
	}
}

// validBucketName borrows internal/policy's rule through a throwaway policy,
// so there is one bucket name rule.
func validBucketName(name string) bool {
	p := events.Policy{Name: "p", Targets: []events.Target{{Service: events.ServiceMemoryDB, ID: "c"}},
		Export: &events.ExportSpec{Bucket: name}}
	return policyValid(p)
}

func policyValid(p events.Policy) bool { return policy.Validate(p) == nil }

func validatePolicies(e *errs, c *Config) {
	if len(c.Policies) == 0 && !c.policiesMalformed {
		e.add("policies", "at least one policy is required")
	}
	seen := map[string]int{}
	for i := range c.Policies {
		p := &c.Policies[i]
		field := fmt.Sprintf("policies[%d]", i)
		if p.malformed {
			continue
		}
		if j, dup := seen[p.Name]; dup && p.Name != "" {
			e.add(field+".name", fmt.Sprintf("duplicates policies[%d]", j))
		} else {
			seen[p.Name] = i
		}
		validateSchedule(e, field, p)
		if p.ScheduledTime != "" {
			e.add(field+".scheduledTime", "must not be set in the configuration: the schedule fills it in")
		}
		if p.RPOMinutes > MaxRPOMinutes {
			e.add(field+".rpoMinutes", fmt.Sprintf("must be at most %d (7 days: the longest window a CloudWatch alarm evaluates)", MaxRPOMinutes))
		}
		if every, ok := rateMinutes(p.Schedule); ok && p.RPOMinutes > 0 && p.RPOMinutes < every {
			e.add(field+".rpoMinutes", fmt.Sprintf("must be 0 or at least the schedule's interval (%d minutes), or the alarm fires between runs", every))
		}
		if p.Copy != nil && p.Copy.KMSKeyID != "" && !validKeyRef(p.Copy.KMSKeyID) {
			e.add(field+".copy.kmsKeyId", "must be a key ARN, an alias ARN, alias/<name> or a key ID (the copy role is scoped to it)")
		}
		if b := c.ExportBucket; p.Export != nil && b != nil && b.Create && b.Encryption == EncryptionKMS &&
			p.Export.Bucket == b.Name && exportsElastiCache(p.Policy) {
			e.add(field+".export.bucket", "exports ElastiCache snapshots to the SSE-KMS bucket; ElastiCache documents SSE-S3 only for .rdb files in S3, so use encryption: s3 or export only memorydb")
		}
		in, err := p.Input(ScheduledTimePlaceholder)
		if err == nil && len(in) > MaxInputBytes {
			e.add(field, fmt.Sprintf("is %d bytes as an execution input; EventBridge target inputs hold at most %d", len(in), MaxInputBytes))
		}
	}
}

func validateSchedule(e *errs, field string, p *Policy) {
	switch {
	case p.Schedule == "":
		e.add(field+".schedule", "is required: a cron(...) or rate(...) expression")
	case strings.HasPrefix(p.Schedule, "rate(") && !ratePattern.MatchString(p.Schedule):
		e.add(field+".schedule", "must be rate(<n> minutes|hours|days) with n >= 1")
	case strings.HasPrefix(p.Schedule, "cron(") && !cronPattern.MatchString(p.Schedule):
		e.add(field+".schedule", "must be cron(minutes hours day-of-month month day-of-week year): six fields")
	case strings.HasPrefix(p.Schedule, "cron("):
		// The fields' values, as EventBridge Scheduler reads them.
		if _, err := schedexpr.Parse(p.Schedule); err != nil {
			e.add(field+".schedule", "must be a valid cron expression: "+err.Error())
		}
	}
	if p.ScheduleTimeZone == "" {
		p.ScheduleTimeZone = p.TimeZone
	}
	if p.ScheduleTimeZone != "" {
		if _, err := time.LoadLocation(p.ScheduleTimeZone); err != nil || p.ScheduleTimeZone == "Local" {
			e.add(field+".scheduleTimeZone", "must be an IANA time zone name such as Europe/Berlin")
		}
	}
	if p.FlexibleWindowMinutes < 0 || p.FlexibleWindowMinutes > MaxFlexibleWindowMinutes {
		e.add(field+".flexibleWindowMinutes", fmt.Sprintf("must be 0 (off) to %d", MaxFlexibleWindowMinutes))
	}
}

// rateMinutes returns the interval of a rate(...) expression in minutes.
func rateMinutes(schedule string) (int, bool) {
	m := ratePattern.FindStringSubmatch(schedule)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false
	}
	switch strings.TrimSuffix(m[2], "s") {
	case "hour":
		n *= 60
	case "day":
		n *= 24 * 60
	}
	return n, true
}

func validKeyRef(id string) bool {
	return keyARNPattern.MatchString(id) || aliasARNPattern.MatchString(id) ||
		aliasPattern.MatchString(id) || keyIDPattern.MatchString(id)
}

// exportsElastiCache reports whether p may export an ElastiCache snapshot.
func exportsElastiCache(p events.Policy) bool {
	for _, t := range p.Targets {
		if t.Service == events.ServiceElastiCache || t.Service == events.ServiceElastiCacheServerless {
			return true
		}
	}
	if p.Selector != nil {
		if len(p.Selector.Services) == 0 {
			return true
		}
		for _, s := range p.Selector.Services {
			if s == events.ServiceElastiCache || s == events.ServiceElastiCacheServerless {
				return true
			}
		}
	}
	return false
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
