package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/snapflow/snapflow/internal/awsclient"
)

// Access keys of the callers that are not functions, so the local AWS's
// call record tells them apart from the handlers.
const (
	// ProvisionAccessKey provisions the stack (CloudFormation's part).
	ProvisionAccessKey = "cloudformation"
	// StatesAccessKey makes the state machines' direct service
	// integrations (SNS Publish, EventBridge PutEvents).
	StatesAccessKey = "states"
	// RunnerAccessKey is the runner's own reads (reports, history).
	RunnerAccessKey = "snapflow-local"
)

// awsConfig returns an SDK configuration for the local AWS at url with its
// own access key.
func awsConfig(url, accessKey string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, "local", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   awsclient.HTTPClient(),
		Retryer:      awsclient.NewRetryer,
	}
}

func s3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// Provisioned says what was made of the template and what was left out.
type Provisioned struct {
	// Created lists "<Type> <logical ID> (<physical name>)" in creation order.
	Created []string
	// Skipped lists the template's settings the local AWS does not model.
	Skipped []string
}

// provisionedTypes are the resource types the local AWS gets; the rest
// (IAM, logs, alarms, KMS, ...) have no local counterpart. The schedules
// (AWS::Scheduler::Schedule) go to the runner's own scheduler (schedules.go).
var provisionedTypes = map[string]bool{
	"AWS::S3::Bucket":        true,
	"AWS::S3::BucketPolicy":  true,
	"Custom::AWS":            true,
	"AWS::SNS::Topic":        true,
	"AWS::Events::EventBus":  true,
	"AWS::Events::Rule":      true,
	"AWS::SNS::Subscription": false,
}

// provision creates the template's S3 buckets (with their ownership
// controls, public access block, encryption, versioning, lifecycle and
// tags), bucket policies, the AwsCustomResource S3 calls (the export
// bucket's ACL), SNS topics, event buses and rules with their targets on
// the local AWS, through the
// real SDK clients and in dependency order, as CloudFormation would. A
// call the local AWS rejects fails provisioning, as it would fail the
// stack.
func provision(ctx context.Context, t *Template, r *resolver, url string) (*Provisioned, error) {
	cfg := awsConfig(url, ProvisionAccessKey)
	s3c := s3Client(cfg)
	snsc := sns.NewFromConfig(cfg)
	ebc := eventbridge.NewFromConfig(cfg)
	var ids []string
	for id, res := range t.Resources {
		if provisionedTypes[res.Type] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	ordered, err := t.order(ids)
	if err != nil {
		return nil, err
	}
	out := &Provisioned{}
	for _, id := range ordered {
		res := t.Resources[id]
		props, err := r.resolve(res.Properties)
		if err != nil {
			return nil, fmt.Errorf("provisioning %s: %w", id, err)
		}
		p, _ := props.(map[string]any)
		if p == nil {
			p = map[string]any{}
		}
		var skipped []string
		switch res.Type {
		case "AWS::S3::Bucket":
			skipped, err = createBucket(ctx, s3c, r.names[id], p)
		case "AWS::S3::BucketPolicy":
			err = putBucketPolicy(ctx, s3c, p)
		case "Custom::AWS":
			err = runCustomResource(ctx, s3c, r, id, p)
		case "AWS::SNS::Topic":
			err = createTopic(ctx, snsc, r.names[id], p)
		case "AWS::Events::EventBus":
			_, err = ebc.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(r.names[id])})
		case "AWS::Events::Rule":
			err = createRule(ctx, ebc, r.names[id], p)
		}
		if err != nil {
			return out, fmt.Errorf("provisioning %s %s (%s): %w", res.Type, id, res.CDKPath(), err)
		}
		name := r.names[id]
		if name == "" {
			name = id
		}
		out.Created = append(out.Created, fmt.Sprintf("%s %s (%s)", res.Type, id, name))
		for _, s := range skipped {
			out.Skipped = append(out.Skipped, id+": "+s)
		}
	}
	return out, nil
}

func createBucket(ctx context.Context, c *s3.Client, name string, p map[string]any) ([]string, error) {
	var skipped []string
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return nil, fmt.Errorf("CreateBucket: %w", err)
	}
	if oc, ok := p["OwnershipControls"].(map[string]any); ok {
		var rules []s3types.OwnershipControlsRule
		for _, r := range list(oc["Rules"]) {
			m, _ := r.(map[string]any)
			rules = append(rules, s3types.OwnershipControlsRule{ObjectOwnership: s3types.ObjectOwnership(str(m, "ObjectOwnership"))})
		}
		if _, err := c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{
			Bucket: aws.String(name), OwnershipControls: &s3types.OwnershipControls{Rules: rules},
		}); err != nil {
			return nil, fmt.Errorf("PutBucketOwnershipControls: %w", err)
		}
	}
	if pab, ok := p["PublicAccessBlockConfiguration"].(map[string]any); ok {
		if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
			Bucket: aws.String(name),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
				BlockPublicAcls:       aws.Bool(boolean(pab["BlockPublicAcls"])),
				BlockPublicPolicy:     aws.Bool(boolean(pab["BlockPublicPolicy"])),
				IgnorePublicAcls:      aws.Bool(boolean(pab["IgnorePublicAcls"])),
				RestrictPublicBuckets: aws.Bool(boolean(pab["RestrictPublicBuckets"])),
			},
		}); err != nil {
			return nil, fmt.Errorf("PutPublicAccessBlock: %w", err)
		}
	}
	if enc, ok := p["BucketEncryption"].(map[string]any); ok {
		var rules []s3types.ServerSideEncryptionRule
		for _, r := range list(enc["ServerSideEncryptionConfiguration"]) {
			m, _ := r.(map[string]any)
			def, _ := m["ServerSideEncryptionByDefault"].(map[string]any)
			rule := s3types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
				SSEAlgorithm: s3types.ServerSideEncryption(str(def, "SSEAlgorithm")),
			}}
			if k := str(def, "KMSMasterKeyID"); k != "" {
				rule.ApplyServerSideEncryptionByDefault.KMSMasterKeyID = aws.String(k)
			}
			if b, ok := m["BucketKeyEnabled"].(bool); ok {
				rule.BucketKeyEnabled = aws.Bool(b)
			}
			rules = append(rules, rule)
		}
		if _, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
			Bucket: aws.String(name), ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: rules},
		}); err != nil {
			return nil, fmt.Errorf("PutBucketEncryption: %w", err)
		}
	}
	if v, ok := p["VersioningConfiguration"].(map[string]any); ok {
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket: aws.String(name), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatus(str(v, "Status"))},
		}); err != nil {
			return nil, fmt.Errorf("PutBucketVersioning: %w", err)
		}
	}
	if lc, ok := p["LifecycleConfiguration"].(map[string]any); ok {
		var rules []s3types.LifecycleRule
		for _, r := range list(lc["Rules"]) {
			m, _ := r.(map[string]any)
			rule := s3types.LifecycleRule{Status: s3types.ExpirationStatus(str(m, "Status")), Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String(str(m, "Prefix"))}}
			if id := str(m, "Id"); id != "" {
				rule.ID = aws.String(id)
			}
			if d, ok := number(m["ExpirationInDays"]); ok {
				rule.Expiration = &s3types.LifecycleExpiration{Days: aws.Int32(int32(d))}
			}
			if nv, ok := m["NoncurrentVersionExpiration"].(map[string]any); ok {
				if d, ok := number(nv["NoncurrentDays"]); ok {
					rule.NoncurrentVersionExpiration = &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(int32(d))}
				}
			}
			if ab, ok := m["AbortIncompleteMultipartUpload"].(map[string]any); ok {
				if d, ok := number(ab["DaysAfterInitiation"]); ok {
					rule.AbortIncompleteMultipartUpload = &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(int32(d))}
				}
			}
			rules = append(rules, rule)
		}
		if _, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
			Bucket: aws.String(name), LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules},
		}); err != nil {
			return nil, fmt.Errorf("PutBucketLifecycleConfiguration: %w", err)
		}
	}
	if tags := list(p["Tags"]); len(tags) > 0 {
		var ts []s3types.Tag
		for _, x := range tags {
			m, _ := x.(map[string]any)
			ts = append(ts, s3types.Tag{Key: aws.String(str(m, "Key")), Value: aws.String(str(m, "Value"))})
		}
		if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &s3types.Tagging{TagSet: ts}}); err != nil {
			return nil, fmt.Errorf("PutBucketTagging: %w", err)
		}
	}
	if _, ok := p["LoggingConfiguration"]; ok {
		skipped = append(skipped, "LoggingConfiguration (server access logging is not modelled by the local S3)")
	}
	return skipped, nil
}

func putBucketPolicy(ctx context.Context, c *s3.Client, p map[string]any) error {
	doc, err := json.Marshal(p["PolicyDocument"])
	if err != nil {
		return err
	}
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(fmt.Sprint(p["Bucket"])), Policy: aws.String(string(doc))}); err != nil {
		return fmt.Errorf("PutBucketPolicy: %w", err)
	}
	return nil
}

func createTopic(ctx context.Context, c *sns.Client, name string, p map[string]any) error {
	attrs := map[string]string{}
	for _, k := range []string{"DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication", "SignatureVersion", "TracingConfig"} {
		if v, ok := p[k]; ok && v != nil {
			attrs[k] = fmt.Sprint(v)
		}
	}
	in := &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs}
	for _, x := range list(p["Tags"]) {
		m, _ := x.(map[string]any)
		in.Tags = append(in.Tags, snstypes.Tag{Key: aws.String(str(m, "Key")), Value: aws.String(str(m, "Value"))})
	}
	if _, err := c.CreateTopic(ctx, in); err != nil {
		return fmt.Errorf("CreateTopic: %w", err)
	}
	return nil
}

// createRule makes an AWS::Events::Rule as CloudFormation does: PutRule,
// then PutTargets with every target's settings (the local EventBridge
// delivers matched events to them with their Input, InputPath or
// InputTransformer).
func createRule(ctx context.Context, c *eventbridge.Client, name string, p map[string]any) error {
	in := &eventbridge.PutRuleInput{Name: aws.String(name)}
	in.Description, in.RoleArn = optStr(p, "Description"), optStr(p, "RoleArn")
	in.ScheduleExpression, in.EventBusName = optStr(p, "ScheduleExpression"), optStr(p, "EventBusName")
	if st := str(p, "State"); st != "" {
		in.State = ebtypes.RuleState(st)
	}
	switch pat := p["EventPattern"].(type) {
	case string:
		in.EventPattern = aws.String(pat)
	case map[string]any:
		data, _ := json.Marshal(pat)
		in.EventPattern = aws.String(string(data))
	}
	if _, err := c.PutRule(ctx, in); err != nil {
		return fmt.Errorf("PutRule: %w", err)
	}
	var targets []ebtypes.Target
	for _, x := range list(p["Targets"]) {
		m, _ := x.(map[string]any)
		tg := ebtypes.Target{Id: aws.String(str(m, "Id")), Arn: aws.String(str(m, "Arn"))}
		tg.RoleArn, tg.Input, tg.InputPath = optStr(m, "RoleArn"), optStr(m, "Input"), optStr(m, "InputPath")
		if it, ok := m["InputTransformer"].(map[string]any); ok {
			tg.InputTransformer = &ebtypes.InputTransformer{InputTemplate: aws.String(str(it, "InputTemplate")), InputPathsMap: map[string]string{}}
			if paths, ok := it["InputPathsMap"].(map[string]any); ok {
				for k, v := range paths {
					tg.InputTransformer.InputPathsMap[k] = fmt.Sprint(v)
				}
			}
		}
		if rp, ok := m["RetryPolicy"].(map[string]any); ok {
			tg.RetryPolicy = &ebtypes.RetryPolicy{}
			if n, ok := number(rp["MaximumRetryAttempts"]); ok {
				tg.RetryPolicy.MaximumRetryAttempts = aws.Int32(int32(n))
			}
			if n, ok := number(rp["MaximumEventAgeInSeconds"]); ok {
				tg.RetryPolicy.MaximumEventAgeInSeconds = aws.Int32(int32(n))
			}
		}
		if dl, ok := m["DeadLetterConfig"].(map[string]any); ok {
			tg.DeadLetterConfig = &ebtypes.DeadLetterConfig{Arn: aws.String(str(dl, "Arn"))}
		}
		targets = append(targets, tg)
	}
	if len(targets) == 0 {
		return nil
	}
	if _, err := c.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: in.EventBusName, Targets: targets}); err != nil {
		return fmt.Errorf("PutTargets: %w", err)
	}
	return nil
}

// sdkCall is an AwsCustomResource call (its Create/Update property).
type sdkCall struct {
	Service                  string         `json:"service"`
	Action                   string         `json:"action"`
	Parameters               map[string]any `json:"parameters"`
	OutputPaths              []string       `json:"outputPaths"`
	OutputPath               string         `json:"outputPath"`
	IgnoreErrorCodesMatching string         `json:"ignoreErrorCodesMatching"`
}

// runCustomResource makes an AwsCustomResource's create call (CDK's
// customresources.AwsCustomResource: a JSON SDK call in the Create
// property, run by a provider Lambda on deploy) and records its response
// fields as the resource's attributes (Fn::GetAtt <id>.<path>). The local
// runner knows the S3 calls the stack makes this way.
func runCustomResource(ctx context.Context, c *s3.Client, r *resolver, id string, p map[string]any) error {
	raw, _ := p["Create"].(string)
	if raw == "" {
		raw, _ = p["Update"].(string)
	}
	if raw == "" {
		return errors.New("no Create call")
	}
	var call sdkCall
	if err := json.Unmarshal([]byte(raw), &call); err != nil {
		return fmt.Errorf("Create is not an SDK call: %w", err)
	}
	params := call.Parameters
	var out any
	var err error
	switch strings.ToLower(call.Service) + "." + call.Action {
	case "s3.getBucketAcl":
		out, err = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(str(params, "Bucket"))})
	case "s3.putBucketAcl":
		in := &s3.PutBucketAclInput{Bucket: aws.String(str(params, "Bucket"))}
		in.GrantFullControl, in.GrantRead, in.GrantWrite = optStr(params, "GrantFullControl"), optStr(params, "GrantRead"), optStr(params, "GrantWrite")
		in.GrantReadACP, in.GrantWriteACP = optStr(params, "GrantReadACP"), optStr(params, "GrantWriteACP")
		if acl := str(params, "ACL"); acl != "" {
			in.ACL = s3types.BucketCannedACL(acl)
		}
		out, err = c.PutBucketAcl(ctx, in)
	case "s3.putBucketPolicy":
		out, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(str(params, "Bucket")), Policy: aws.String(str(params, "Policy"))})
	default:
		return fmt.Errorf("custom resource call %s.%s is not supported by the local runner", call.Service, call.Action)
	}
	if err != nil {
		if call.IgnoreErrorCodesMatching != "" {
			if re, rerr := regexp.Compile(call.IgnoreErrorCodesMatching); rerr == nil && re.MatchString(err.Error()) {
				return nil
			}
		}
		return fmt.Errorf("%s.%s: %w", call.Service, call.Action, err)
	}
	flat := map[string]any{}
	data, _ := json.Marshal(out)
	var doc any
	_ = json.Unmarshal(data, &doc)
	flatten("", doc, flat)
	for k, v := range flat {
		r.setAttr(id, k, v)
	}
	return nil
}

// flatten turns a response into AwsCustomResource's dotted paths
// ("Owner.ID", "Grants.0.Permission").
func flatten(prefix string, v any, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "ResultMetadata" {
				continue
			}
			flatten(join(prefix, k), e, out)
		}
	case []any:
		for i, e := range x {
			flatten(join(prefix, fmt.Sprint(i)), e, out)
		}
	default:
		if prefix != "" && x != nil {
			out[prefix] = x
		}
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// optStr is a string property for an SDK input: nil when absent or empty.
func optStr(props map[string]any, key string) *string {
	if v := str(props, key); v != "" {
		return aws.String(v)
	}
	return nil
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func boolean(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		var f float64
		_, err := fmt.Sscan(x, &f)
		return f, err == nil
	}
	return 0, false
}
