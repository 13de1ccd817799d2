package iamcheck_test

import (
	"strings"
	"testing"

	"github.com/snapflow/snapflow/internal/iamcheck"
)

func policy(t *testing.T, doc string) *iamcheck.Policy {
	t.Helper()
	p, err := iamcheck.ParsePolicy("test", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const snap = "arn:aws:elasticache:us-east-1:123456789012:snapshot:sf-nightly-orders-202611200200"

func TestEvaluate(t *testing.T) {
	type req = iamcheck.Request
	cases := []struct {
		name   string
		policy string
		req    req
		want   iamcheck.Decision
		sid    string
		why    string // a part of Why
	}{
		// Action wildcards, case-insensitive.
		{"exact action", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "elasticache:DescribeSnapshots", "Resource": "*"}}`,
			req{Action: "elasticache:DescribeSnapshots", Resource: snap}, iamcheck.Allowed, "A", "allowed by A"},
		{"action case-insensitive", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "ElastiCache:describesnapshots", "Resource": "*"}}`,
			req{Action: "elasticache:DescribeSnapshots", Resource: snap}, iamcheck.Allowed, "A", ""},
		{"action star", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "elasticache:Describe*", "Resource": "*"}}`,
			req{Action: "elasticache:DescribeSnapshots", Resource: snap}, iamcheck.Allowed, "A", ""},
		{"action question mark", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "kms:GenerateDataKey?ithoutPlaintext", "Resource": "*"}}`,
			req{Action: "kms:GenerateDataKeyWithoutPlaintext", Resource: "*"}, iamcheck.Allowed, "A", ""},
		{"star is not a prefix match of another service", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "elasticache:*", "Resource": "*"}}`,
			req{Action: "memorydb:DescribeSnapshots", Resource: "*"}, iamcheck.ImplicitDeny, "", "no statement allows memorydb:DescribeSnapshots"},
		{"other action", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "elasticache:DescribeSnapshots", "Resource": "*"}}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.ImplicitDeny, "", "no statement allows elasticache:DeleteSnapshot"},

		// Resource wildcards, case-sensitive.
		{"resource prefix", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "elasticache:DeleteSnapshot", "Resource": "arn:aws:elasticache:us-east-1:123456789012:snapshot:sf-*"}}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.Allowed, "A", ""},
		{"resource other prefix", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "elasticache:DeleteSnapshot", "Resource": "arn:aws:elasticache:us-east-1:123456789012:snapshot:sf-*"}}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: "arn:aws:elasticache:us-east-1:123456789012:snapshot:manual-keep"}, iamcheck.ImplicitDeny, "",
			"A allows elasticache:DeleteSnapshot only on arn:aws:elasticache:us-east-1:123456789012:snapshot:sf-*"},
		{"resource case-sensitive", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "elasticache:DeleteSnapshot", "Resource": "arn:aws:elasticache:us-east-1:123456789012:snapshot:SF-*"}}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.ImplicitDeny, "", "only on"},
		{"star spans colons and slashes", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}`,
			req{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/memorydb/sf-x-0001.rdb"}, iamcheck.Allowed, "A", ""},
		{"bucket ARN is not its objects", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}}`,
			req{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, iamcheck.ImplicitDeny, "", ""},
		{"question mark one character", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k?"}}`,
			req{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k12"}, iamcheck.ImplicitDeny, "", ""},
		{"region in the pattern", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "memorydb:DescribeSnapshots", "Resource": "arn:aws:memorydb:us-east-1:123456789012:snapshot/*"}}`,
			req{Action: "memorydb:DescribeSnapshots", Resource: "arn:aws:memorydb:eu-west-1:123456789012:snapshot/sf-x"}, iamcheck.ImplicitDeny, "", ""},
		{"type-wide literal needs a type-wide grant", `{"Statement": {"Sid": "A", "Effect": "Allow", "Action": "elasticache:DescribeSnapshots", "Resource": "arn:aws:elasticache:us-east-1:123456789012:snapshot:sf-*"}}`,
			req{Action: "elasticache:DescribeSnapshots", Resource: "arn:aws:elasticache:us-east-1:123456789012:snapshot:*"}, iamcheck.ImplicitDeny, "", ""},

		// NotAction and NotResource.
		{"NotAction covers other actions", `{"Statement": {"Sid": "N", "Effect": "Allow", "NotAction": "elasticache:Delete*", "Resource": "*"}}`,
			req{Action: "elasticache:CreateSnapshot", Resource: snap}, iamcheck.Allowed, "N", "NotAction"},
		{"NotAction excludes its actions", `{"Statement": {"Sid": "N", "Effect": "Allow", "NotAction": ["elasticache:Delete*", "s3:*"], "Resource": "*"}}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.ImplicitDeny, "", ""},
		{"NotResource", `{"Statement": {"Sid": "N", "Effect": "Allow", "Action": "elasticache:DeleteSnapshot", "NotResource": "arn:aws:elasticache:*:*:snapshot:manual-*"}}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.Allowed, "N", ""},
		{"NotResource excludes", `{"Statement": {"Sid": "N", "Effect": "Allow", "Action": "elasticache:DeleteSnapshot", "NotResource": "arn:aws:elasticache:*:*:snapshot:manual-*"}}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: "arn:aws:elasticache:us-east-1:123456789012:snapshot:manual-keep"}, iamcheck.ImplicitDeny, "", "resources other than"},

		// Deny wins.
		{"deny wins over allow", `{"Statement": [
			{"Sid": "All", "Effect": "Allow", "Action": "elasticache:*", "Resource": "*"},
			{"Sid": "NoDelete", "Effect": "Deny", "Action": "elasticache:DeleteSnapshot", "Resource": "*"}]}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.ExplicitDeny, "NoDelete", "explicitly denied by NoDelete"},
		{"deny before allow in the document", `{"Statement": [
			{"Sid": "NoDelete", "Effect": "Deny", "Action": "elasticache:DeleteSnapshot", "Resource": "*"},
			{"Sid": "All", "Effect": "Allow", "Action": "elasticache:*", "Resource": "*"}]}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.ExplicitDeny, "NoDelete", ""},
		{"deny on another resource does not apply", `{"Statement": [
			{"Sid": "All", "Effect": "Allow", "Action": "elasticache:*", "Resource": "*"},
			{"Sid": "NoManual", "Effect": "Deny", "Action": "elasticache:DeleteSnapshot", "Resource": "arn:aws:elasticache:*:*:snapshot:manual-*"}]}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.Allowed, "All", ""},
		{"conditional deny applies only when its condition holds", `{"Statement": [
			{"Sid": "All", "Effect": "Allow", "Action": "elasticache:*", "Resource": "*"},
			{"Sid": "KeepUnmanaged", "Effect": "Deny", "Action": "elasticache:DeleteSnapshot", "Resource": "*",
			 "Condition": {"StringNotEquals": {"aws:ResourceTag/snapflow:managed": "true"}}}]}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap, Context: map[string]string{"aws:ResourceTag/snapflow:managed": "true"}}, iamcheck.Allowed, "All", ""},
		{"conditional deny on a missing key (negated operator holds)", `{"Statement": [
			{"Sid": "All", "Effect": "Allow", "Action": "elasticache:*", "Resource": "*"},
			{"Sid": "KeepUnmanaged", "Effect": "Deny", "Action": "elasticache:DeleteSnapshot", "Resource": "*",
			 "Condition": {"StringNotEquals": {"aws:ResourceTag/snapflow:managed": "true"}}}]}`,
			req{Action: "elasticache:DeleteSnapshot", Resource: snap}, iamcheck.ExplicitDeny, "KeepUnmanaged", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := iamcheck.Evaluate(policy(t, c.policy), c.req)
			if got.Decision != c.want || got.Sid != c.sid || !strings.Contains(got.Why, c.why) {
				t.Errorf("got %s by %q (%s), want %s by %q mentioning %q", got.Decision, got.Sid, got.Why, c.want, c.sid, c.why)
			}
		})
	}
}

// TestConditions covers each condition operator, with the key present,
// absent (IAM: "If the key that you specify in a policy condition is not
// present in the request context, the values do not match and the
// condition is false", except for negated operators, ...IfExists and Null)
// and, for the set operators, multivalued.
func TestConditions(t *testing.T) {
	const managed = "aws:ResourceTag/snapflow:managed"
	ctx := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name  string
		cond  string
		ctx   map[string]string
		multi map[string][]string
		want  bool
	}{
		{"StringEquals match", `{"StringEquals": {"` + managed + `": "true"}}`, ctx(managed, "true"), nil, true},
		{"StringEquals other value", `{"StringEquals": {"` + managed + `": "true"}}`, ctx(managed, "false"), nil, false},
		{"StringEquals is case-sensitive", `{"StringEquals": {"` + managed + `": "true"}}`, ctx(managed, "True"), nil, false},
		{"StringEquals missing key", `{"StringEquals": {"` + managed + `": "true"}}`, nil, nil, false},
		{"StringEquals any of several values", `{"StringEquals": {"` + managed + `": ["yes", "true"]}}`, ctx(managed, "true"), nil, true},
		{"key names are case-insensitive", `{"StringEquals": {"AWS:resourcetag/snapflow:managed": "true"}}`, ctx(managed, "true"), nil, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase": {"` + managed + `": "TRUE"}}`, ctx(managed, "true"), nil, true},
		{"StringNotEquals other value", `{"StringNotEquals": {"` + managed + `": "true"}}`, ctx(managed, "false"), nil, true},
		{"StringNotEquals same value", `{"StringNotEquals": {"` + managed + `": "true"}}`, ctx(managed, "true"), nil, false},
		{"StringNotEquals missing key holds", `{"StringNotEquals": {"` + managed + `": "true"}}`, nil, nil, true},
		{"StringNotEquals matches none of the values", `{"StringNotEquals": {"` + managed + `": ["a", "true"]}}`, ctx(managed, "true"), nil, false},
		{"StringLike wildcard", `{"StringLike": {"aws:ResourceTag/snapflow:policy": "night*"}}`, ctx("aws:ResourceTag/snapflow:policy", "nightly"), nil, true},
		{"StringLike no match", `{"StringLike": {"aws:ResourceTag/snapflow:policy": "night?"}}`, ctx("aws:ResourceTag/snapflow:policy", "nightly"), nil, false},
		{"StringLike missing key", `{"StringLike": {"aws:ResourceTag/snapflow:policy": "*"}}`, nil, nil, false},
		{"StringNotLike missing key holds", `{"StringNotLike": {"aws:ResourceTag/snapflow:policy": "*"}}`, nil, nil, true},
		{"StringEqualsIfExists missing key holds", `{"StringEqualsIfExists": {"` + managed + `": "true"}}`, nil, nil, true},
		{"StringEqualsIfExists present key is checked", `{"StringEqualsIfExists": {"` + managed + `": "true"}}`, ctx(managed, "false"), nil, false},
		{"ArnLike per component", `{"ArnLike": {"aws:SourceArn": "arn:aws:states:*:123456789012:stateMachine:Snapflow-*"}}`,
			ctx("aws:SourceArn", "arn:aws:states:us-east-1:123456789012:stateMachine:Snapflow-run"), nil, true},
		{"ArnLike star stays in its component", `{"ArnLike": {"aws:SourceArn": "arn:aws:states:*:stateMachine:Snapflow-run"}}`,
			ctx("aws:SourceArn", "arn:aws:states:us-east-1:123456789012:stateMachine:Snapflow-run"), nil, false},
		{"ArnEquals takes wildcards too", `{"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:*"}}`,
			ctx("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:alerts"), nil, true},
		{"ArnLike missing key", `{"ArnLike": {"aws:SourceArn": "arn:*:*:*:*:*"}}`, nil, nil, false},
		{"ArnNotLike missing key holds", `{"ArnNotLike": {"aws:SourceArn": "arn:*:*:*:*:*"}}`, nil, nil, true},
		{"Bool true", `{"Bool": {"kms:GrantIsForAWSResource": "true"}}`, ctx("kms:GrantIsForAWSResource", "true"), nil, true},
		{"Bool JSON true", `{"Bool": {"kms:GrantIsForAWSResource": true}}`, ctx("kms:GrantIsForAWSResource", "true"), nil, true},
		{"Bool false", `{"Bool": {"kms:GrantIsForAWSResource": "true"}}`, ctx("kms:GrantIsForAWSResource", "false"), nil, false},
		{"Bool missing key", `{"Bool": {"kms:GrantIsForAWSResource": "true"}}`, nil, nil, false},
		{"Null true: key absent", `{"Null": {"` + managed + `": "true"}}`, nil, nil, true},
		{"Null true: key present", `{"Null": {"` + managed + `": "true"}}`, ctx(managed, "true"), nil, false},
		{"Null false: key present", `{"Null": {"` + managed + `": "false"}}`, ctx(managed, "true"), nil, true},
		{"Null false: key absent", `{"Null": {"` + managed + `": "false"}}`, nil, nil, false},
		{"ForAnyValue:StringLike one matches", `{"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/snapflow-*"}}`, nil,
			map[string][]string{"kms:ResourceAliases": {"alias/other", "alias/snapflow-copies"}}, true},
		{"ForAnyValue:StringLike none matches", `{"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/snapflow-*"}}`, nil,
			map[string][]string{"kms:ResourceAliases": {"alias/other"}}, false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringLike": {"kms:ResourceAliases": "*"}}`, nil, nil, false},
		{"ForAnyValue empty set is false", `{"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/x"}}`, nil,
			map[string][]string{"kms:ResourceAliases": {}}, false},
		{"ForAnyValue:StringEquals as the stack uses it", `{"ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/snapflow-copies"]}}`, nil,
			map[string][]string{"kms:ResourceAliases": {"alias/snapflow-copies"}}, true},
		{"ForAllValues all match", `{"ForAllValues:StringLike": {"aws:TagKeys": "snapflow:*"}}`, nil,
			map[string][]string{"aws:TagKeys": {"snapflow:managed", "snapflow:slot"}}, true},
		{"ForAllValues one does not", `{"ForAllValues:StringLike": {"aws:TagKeys": "snapflow:*"}}`, nil,
			map[string][]string{"aws:TagKeys": {"snapflow:managed", "owner"}}, false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringLike": {"aws:TagKeys": "snapflow:*"}}`, nil, nil, true},
		{"ForAllValues:StringNotLike", `{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}`, nil,
			map[string][]string{"aws:TagKeys": {"key2:audit"}}, true},
		{"keys of one operator are ANDed", `{"StringEquals": {"` + managed + `": "true", "aws:ResourceTag/snapflow:policy": "nightly"}}`,
			ctx(managed, "true"), nil, false},
		{"operators are ANDed", `{"StringEquals": {"` + managed + `": "true"}, "Bool": {"aws:SecureTransport": "true"}}`,
			ctx(managed, "true", "aws:SecureTransport", "true"), nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := policy(t, `{"Statement": {"Sid": "C", "Effect": "Allow", "Action": "elasticache:DeleteSnapshot", "Resource": "*", "Condition": `+c.cond+`}}`)
			got := iamcheck.Evaluate(p, iamcheck.Request{Action: "elasticache:DeleteSnapshot", Resource: snap, Context: c.ctx, Multi: c.multi})
			if (got.Decision == iamcheck.Allowed) != c.want {
				t.Errorf("condition %s with %v %v: %s (%s), want holds=%v", c.cond, c.ctx, c.multi, got.Decision, got.Why, c.want)
			}
		})
	}
}

func TestMissingKeyIsExplained(t *testing.T) {
	p := policy(t, `{"Statement": {"Sid": "DeleteManaged", "Effect": "Allow", "Action": "elasticache:DeleteSnapshot",
		"Resource": "arn:aws:elasticache:*:*:snapshot:sf-*", "Condition": {"StringEquals": {"aws:ResourceTag/snapflow:managed": "true"}}}}`)
	got := iamcheck.Evaluate(p, iamcheck.Request{Action: "elasticache:DeleteSnapshot", Resource: snap})
	if got.Decision != iamcheck.ImplicitDeny || len(got.Missing) != 1 || got.Missing[0] != "aws:ResourceTag/snapflow:managed" {
		t.Fatalf("%+v", got)
	}
	for _, want := range []string{"DeleteManaged allows elasticache:DeleteSnapshot", "StringEquals aws:ResourceTag/snapflow:managed [true]", "not in the request context"} {
		if !strings.Contains(got.Why, want) {
			t.Errorf("why %q does not say %q", got.Why, want)
		}
	}
	got = iamcheck.Evaluate(p, iamcheck.Request{Action: "elasticache:DeleteSnapshot", Resource: snap,
		Context: map[string]string{"aws:ResourceTag/snapflow:managed": "false"}})
	if got.Decision != iamcheck.ImplicitDeny || len(got.Missing) != 0 || !strings.Contains(got.Why, "the request has [false]") {
		t.Fatalf("%+v", got)
	}
}

func TestUnsupportedOperator(t *testing.T) {
	p := policy(t, `{"Statement": [
		{"Sid": "Allow", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}},
		{"Sid": "Deny", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
		{"Sid": "All", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}`)
	if len(p.Warnings) != 2 {
		t.Errorf("warnings %v", p.Warnings)
	}
	if got := iamcheck.Evaluate(p, iamcheck.Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}); got.Decision != iamcheck.ImplicitDeny {
		t.Errorf("an allow with an unmodelled operator allowed: %+v", got)
	}
	if got := iamcheck.Evaluate(p, iamcheck.Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}); got.Decision != iamcheck.ExplicitDeny {
		t.Errorf("a deny with an unmodelled operator did not apply: %+v", got)
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, doc := range []string{
		`{}`,
		`{"Statement": {"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}}`,
		`{"Statement": {"Effect": "Allow", "Resource": "*"}}`,
		`{"Statement": {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"}}`,
		`{"Statement": {"Effect": "Allow", "Action": "s3:*"}}`,
		`{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": "x"}}`,
	} {
		if _, err := iamcheck.ParsePolicy("p", []byte(doc)); err == nil {
			t.Errorf("%s: no error", doc)
		}
	}
}
