package iamcheck_test

import (
	"strings"
	"testing"

	"github.com/snapflow/snapflow/internal/iamcheck"
	"github.com/snapflow/snapflow/internal/localaws/emu"
)

const (
	acct   = "123456789012"
	ec     = "arn:aws:elasticache:us-east-1:" + acct + ":"
	mdb    = "arn:aws:memorydb:us-east-1:" + acct + ":"
	rss    = "arn:aws:redshift-serverless:us-east-1:" + acct + ":"
	bucket = "arn:aws:s3:::snapflow-exports-example"
	sfName = "sf-nightly-orders-202611200200"
)

// keyOf is the access key the local runner gives a handler's first
// sandbox.
func keyOf(t *testing.T, ps *iamcheck.Policies, handler string) string {
	t.Helper()
	p := ps.For(handler)
	if p == nil {
		t.Fatalf("no function %s in the template", handler)
	}
	return p.LogicalID + "-1"
}

// managedTags are a snapflow snapshot's tags.
var managedTags = map[string]string{"snapflow:managed": "true", "snapflow:policy": "nightly",
	"snapflow:target": "elasticache/orders", "snapflow:slot": "2026-11-20T02:00:00Z"}

// handCall is a call as the local AWS records it, and what its record
// lacks.
type handCall struct {
	handler, service, action, resource string
	detail                             iamcheck.Detail
}

func create(params map[string]string) iamcheck.Detail {
	return iamcheck.Detail{Params: params, RequestTags: managedTags}
}

// realistic are the calls the handlers make in internal/steps' tests (the
// lifecycle of each kind of source), one of each shape, hand-listed.
var realistic = []handCall{
	{"plan", "tagging", "GetResources", "", iamcheck.Detail{}},
	{"plan", "redshift-serverless", "ListNamespaces", "", iamcheck.Detail{}},

	{"create", "elasticache", "DescribeReplicationGroups", ec + "replicationgroup:orders", iamcheck.Detail{}},
	{"create", "elasticache", "DescribeCacheClusters", ec + "cluster:sessions", iamcheck.Detail{}},
	{"create", "elasticache", "DescribeServerlessCaches", ec + "serverlesscache:carts", iamcheck.Detail{}},
	{"create", "elasticache", "DescribeSnapshots", ec + "replicationgroup:orders", iamcheck.Detail{}}, // List: filtered by the group
	{"create", "elasticache", "ListTagsForResource", ec + "snapshot:sf-nightly-orders-202611190200", iamcheck.Detail{}},
	{"create", "elasticache", "CreateSnapshot", ec + "replicationgroup:orders", create(map[string]string{"SnapshotName": sfName})},
	{"create", "elasticache", "CreateSnapshot", ec + "cluster:sessions", create(map[string]string{"SnapshotName": "sf-nightly-sessions-202611200200"})},
	{"create", "elasticache", "DescribeServerlessCacheSnapshots", ec + "serverlesscache:carts", iamcheck.Detail{}},
	{"create", "elasticache", "CreateServerlessCacheSnapshot", ec + "serverlesscache:carts", create(map[string]string{"ServerlessCacheSnapshotName": "sf-nightly-carts-202611200200"})},
	{"create", "memorydb", "DescribeClusters", mdb + "cluster/ledger", iamcheck.Detail{}},
	{"create", "memorydb", "DescribeSnapshots", mdb + "cluster/ledger", iamcheck.Detail{}},
	{"create", "memorydb", "CreateSnapshot", mdb + "cluster/ledger", create(map[string]string{"SnapshotName": "sf-nightly-ledger-202611200200"})},
	{"create", "redshift-serverless", "GetNamespace", rss + "namespace/0b7c3a52-6f1e-4c55-9d2a-8e4f1c2b3a4d", iamcheck.Detail{}},
	{"create", "redshift-serverless", "CreateSnapshot", rss + "namespace/0b7c3a52-6f1e-4c55-9d2a-8e4f1c2b3a4d", create(map[string]string{"SnapshotName": "sf-nightly-analytics-202611200200"})},

	{"poll", "elasticache", "DescribeSnapshots", ec + "snapshot:" + sfName, iamcheck.Detail{}},
	{"poll", "elasticache", "ListTagsForResource", ec + "snapshot:" + sfName, iamcheck.Detail{}},
	{"poll", "elasticache", "AddTagsToResource", ec + "snapshot:" + sfName, iamcheck.Detail{}},
	{"poll", "elasticache", "DescribeServerlessCacheSnapshots", ec + "serverlesscachesnapshot:sf-nightly-carts-202611200200", iamcheck.Detail{}},
	{"poll", "elasticache", "AddTagsToResource", ec + "serverlesscachesnapshot:sf-nightly-carts-202611200200", iamcheck.Detail{}},
	{"poll", "memorydb", "DescribeSnapshots", mdb + "snapshot/sf-nightly-ledger-202611200200", iamcheck.Detail{}},
	{"poll", "memorydb", "ListTags", mdb + "snapshot/sf-nightly-ledger-202611200200", iamcheck.Detail{}},
	{"poll", "memorydb", "TagResource", mdb + "snapshot/sf-nightly-ledger-202611200200", iamcheck.Detail{}},
	{"poll", "redshift-serverless", "GetSnapshot", rss + "snapshot/5f0e7f5c-93b1-4a8e-b0a4-7d2c6e9f1a3b", iamcheck.Detail{}},
	{"poll", "redshift-serverless", "ListTagsForResource", rss + "snapshot/5f0e7f5c-93b1-4a8e-b0a4-7d2c6e9f1a3b", iamcheck.Detail{}},
	{"poll", "redshift-serverless", "TagResource", rss + "snapshot/5f0e7f5c-93b1-4a8e-b0a4-7d2c6e9f1a3b", iamcheck.Detail{}},

	{"copy", "elasticache", "CopySnapshot", ec + "snapshot:" + sfName, create(map[string]string{"TargetSnapshotName": "sfc-nightly-orders-202611200200"})},
	{"copy", "elasticache", "DescribeSnapshots", ec + "snapshot:sfc-nightly-orders-202611200200", iamcheck.Detail{}},
	{"copy", "elasticache", "CopyServerlessCacheSnapshot", ec + "serverlesscachesnapshot:sf-nightly-carts-202611200200",
		create(map[string]string{"TargetServerlessCacheSnapshotName": "sfc-nightly-carts-202611200200"})},
	{"copy", "memorydb", "CopySnapshot", mdb + "snapshot/sf-nightly-ledger-202611200200", create(map[string]string{"TargetSnapshotName": "sfc-nightly-ledger-202611200200"})},

	{"export", "elasticache", "CopySnapshot", ec + "snapshot:" + sfName, iamcheck.Detail{RequestTags: map[string]string{},
		Params: map[string]string{"TargetSnapshotName": "exports/" + sfName, "TargetBucket": "snapflow-exports-example"}}},
	{"export", "elasticache", "ExportServerlessCacheSnapshot", ec + "serverlesscachesnapshot:sf-nightly-carts-202611200200", iamcheck.Detail{}},
	{"export", "memorydb", "CopySnapshot", mdb + "snapshot/sf-nightly-ledger-202611200200", iamcheck.Detail{RequestTags: map[string]string{},
		Params: map[string]string{"TargetSnapshotName": "memorydb/sf-nightly-ledger-202611200200", "TargetBucket": "snapflow-exports-example"}}},

	{"verify", "s3", "ListObjectsV2", bucket, iamcheck.Detail{}},
	{"verify", "s3", "HeadObject", bucket + "/exports/" + sfName + "-0001.rdb", iamcheck.Detail{}},
	{"verify", "s3", "GetObject", bucket + "/exports/" + sfName + "-0001.rdb", iamcheck.Detail{}},

	{"prune", "elasticache", "DescribeSnapshots", ec + "replicationgroup:orders", iamcheck.Detail{}},
	{"prune", "elasticache", "ListTagsForResource", ec + "snapshot:sf-nightly-orders-202611190200", iamcheck.Detail{}},
	{"prune", "elasticache", "DeleteSnapshot", ec + "snapshot:sf-nightly-orders-202611190200", iamcheck.Detail{ResourceTags: managedTags}},
	{"prune", "elasticache", "DeleteSnapshot", ec + "snapshot:sfc-nightly-orders-202611190200", iamcheck.Detail{ResourceTags: managedTags}},
	{"prune", "elasticache", "DeleteServerlessCacheSnapshot", ec + "serverlesscachesnapshot:sf-nightly-carts-202611190200", iamcheck.Detail{ResourceTags: managedTags}},
	{"prune", "memorydb", "DescribeSnapshots", mdb + "cluster/ledger", iamcheck.Detail{}},
	{"prune", "memorydb", "DeleteSnapshot", mdb + "snapshot/sf-nightly-ledger-202611190200", iamcheck.Detail{ResourceTags: managedTags}},
	{"prune", "redshift-serverless", "ListSnapshots", rss + "namespace/0b7c3a52-6f1e-4c55-9d2a-8e4f1c2b3a4d", iamcheck.Detail{}},
	{"prune", "redshift-serverless", "DeleteSnapshot", rss + "snapshot/5f0e7f5c-93b1-4a8e-b0a4-7d2c6e9f1a3b", iamcheck.Detail{ResourceTags: managedTags}},
}

// record turns hand-listed calls into a call record and its details.
func record(t *testing.T, ps *iamcheck.Policies, list []handCall) ([]emu.Call, iamcheck.CheckOptions) {
	t.Helper()
	var calls []emu.Call
	details := map[int]iamcheck.Detail{}
	for i, h := range list {
		c := emu.Call{Seq: i + 1, Service: h.service, Action: h.action, Region: "us-east-1", Resource: h.resource, Status: 200,
			AccessKeyID: keyOf(t, ps, h.handler)}
		calls = append(calls, c)
		details[c.Seq] = h.detail
	}
	return calls, iamcheck.CheckOptions{Detail: func(c emu.Call) iamcheck.Detail { return details[c.Seq] }}
}

func TestRealisticCallsAreAllowed(t *testing.T) {
	ps := loadFixture(t)
	calls, opts := record(t, ps, realistic)
	r := iamcheck.CheckWith(calls, iamcheck.LogicalIDOfKey, ps, opts)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(r.Unverified) > 0 {
		t.Fatalf("unverified:\n%s", r)
	}
	if r.Calls != len(realistic) || r.Requests <= r.Calls {
		t.Errorf("%d calls, %d authorizations checked", r.Calls, r.Requests)
	}
}

// TestWrongCallsAreDenied: calls a handler must never make, each denied
// with a finding that says who, what, on what and why.
func TestWrongCallsAreDenied(t *testing.T) {
	ps := loadFixture(t)
	cases := []struct {
		name string
		call handCall
		want []string // parts of the finding
	}{
		{"export deleting a snapshot",
			handCall{"export", "elasticache", "DeleteSnapshot", ec + "snapshot:" + sfName, iamcheck.Detail{ResourceTags: managedTags}},
			[]string{"elasticache DeleteSnapshot by export", "elasticache:DeleteSnapshot on " + ec + "snapshot:" + sfName, "no statement allows elasticache:DeleteSnapshot"}},
		{"create deleting a copy (only its own failed snapshot)",
			handCall{"create", "elasticache", "DeleteSnapshot", ec + "snapshot:sfc-nightly-orders-202611200200", iamcheck.Detail{ResourceTags: managedTags}},
			[]string{"elasticache DeleteSnapshot by create", "ElastiCacheDeleteManaged allows elasticache:DeleteSnapshot only on " + ec + "snapshot:sf-*"}},
		{"create deleting an unmanaged snapshot",
			handCall{"create", "memorydb", "DeleteSnapshot", mdb + "snapshot/sf-nightly-ledger-202611200200", iamcheck.Detail{ResourceTags: map[string]string{}}},
			[]string{"by create", "MemoryDBDeleteManaged", "aws:ResourceTag/snapflow:managed"}},
		{"copy deleting a snapshot (only its own failed copy)",
			handCall{"copy", "elasticache", "DeleteServerlessCacheSnapshot", ec + "serverlesscachesnapshot:sf-nightly-carts-202611200200", iamcheck.Detail{ResourceTags: managedTags}},
			[]string{"by copy", "ElastiCacheServerlessDeleteManaged allows elasticache:DeleteServerlessCacheSnapshot only on " + ec + "serverlesscachesnapshot:sfc-*"}},
		{"copy deleting a Redshift Serverless snapshot",
			handCall{"copy", "redshift-serverless", "DeleteSnapshot", rss + "snapshot/5f0e7f5c-93b1-4a8e-b0a4-7d2c6e9f1a3b", iamcheck.Detail{ResourceTags: managedTags}},
			[]string{"by copy", "no statement allows redshift-serverless:DeleteSnapshot"}},
		{"export writing to another bucket",
			handCall{"export", "s3", "PutObject", "arn:aws:s3:::someone-elses/x.rdb", iamcheck.Detail{}},
			[]string{"s3 PutObject by export", "ExportObjects allows s3:PutObject only on " + bucket + "/*"}},
		{"export of a copy (only the slot's snapshot is exported)",
			handCall{"export", "memorydb", "CopySnapshot", mdb + "snapshot/sfc-nightly-ledger-202611200200", iamcheck.Detail{RequestTags: map[string]string{},
				Params: map[string]string{"TargetSnapshotName": "sfc-nightly-ledger-202611200200", "TargetBucket": "snapflow-exports-example"}}},
			[]string{"by export", "MemoryDBExport allows memorydb:CopySnapshot only on " + mdb + "snapshot/sf-*"}},
		{"poll reading a source",
			handCall{"poll", "elasticache", "DescribeReplicationGroups", ec + "replicationgroup:orders", iamcheck.Detail{}},
			[]string{"by poll", "no statement allows elasticache:DescribeReplicationGroups"}},
		{"prune deleting an unmanaged snapshot (no snapflow:managed tag)",
			handCall{"prune", "elasticache", "DeleteSnapshot", ec + "snapshot:" + sfName, iamcheck.Detail{ResourceTags: map[string]string{"owner": "someone"}}},
			[]string{"by prune", "ElastiCacheDeleteManaged allows elasticache:DeleteSnapshot", "its condition is false",
				"StringEquals aws:ResourceTag/snapflow:managed [true]: the key is not in the request context"}},
		{"prune deleting a snapshot tagged managed=false",
			handCall{"prune", "memorydb", "DeleteSnapshot", mdb + "snapshot/sf-nightly-ledger-202611190200", iamcheck.Detail{ResourceTags: map[string]string{"snapflow:managed": "false"}}},
			[]string{"MemoryDBDeleteManaged", "the request has [false]"}},
		{"prune deleting a snapshot not named by snapflow",
			handCall{"prune", "elasticache", "DeleteSnapshot", ec + "snapshot:manual-keep", iamcheck.Detail{ResourceTags: managedTags}},
			[]string{"ElastiCacheDeleteManaged allows elasticache:DeleteSnapshot only on " + ec + "snapshot:sf-*"}},
		{"prune deleting an unmanaged Redshift Serverless snapshot",
			handCall{"prune", "redshift-serverless", "DeleteSnapshot", rss + "snapshot/5f0e7f5c-93b1-4a8e-b0a4-7d2c6e9f1a3b", iamcheck.Detail{ResourceTags: map[string]string{}}},
			[]string{"RedshiftServerlessDeleteManaged", "aws:ResourceTag/snapflow:managed"}},
		{"verify putting an object",
			handCall{"verify", "s3", "PutObject", bucket + "/exports/x.rdb", iamcheck.Detail{}},
			[]string{"s3 PutObject by verify", "s3:PutObject on " + bucket + "/exports/x.rdb", "no statement allows s3:PutObject"}},
		{"verify reading another bucket",
			handCall{"verify", "s3", "GetObject", "arn:aws:s3:::someone-elses/x.rdb", iamcheck.Detail{}},
			[]string{"ReadExports allows s3:GetObject only on " + bucket + "/*"}},
		{"create snapshotting into a name outside snapflow's prefix",
			handCall{"create", "elasticache", "CreateSnapshot", ec + "replicationgroup:orders", create(map[string]string{"SnapshotName": "nightly-orders"})},
			[]string{"elasticache:CreateSnapshot on " + ec + "snapshot:nightly-orders (the new snapshot)"}},
		{"poll tagging a copy (only snapshots are timed)",
			handCall{"poll", "elasticache", "AddTagsToResource", ec + "snapshot:sfc-nightly-orders-202611200200", iamcheck.Detail{}},
			[]string{"ElastiCacheTagDuration allows elasticache:AddTagsToResource only on"}},
		{"the stack's region only",
			handCall{"poll", "memorydb", "DescribeSnapshots", "arn:aws:memorydb:eu-west-1:" + acct + ":snapshot/sf-x", iamcheck.Detail{}},
			[]string{"MemoryDBSnapshotsRead allows memorydb:DescribeSnapshots only on"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls, opts := record(t, ps, []handCall{c.call})
			r := iamcheck.CheckWith(calls, iamcheck.LogicalIDOfKey, ps, opts)
			if len(r.Denied) == 0 {
				t.Fatalf("not denied:\n%s", r)
			}
			s := r.Denied[0].String()
			for _, w := range c.want {
				if !strings.Contains(s, w) {
					t.Errorf("finding %q does not say %q", s, w)
				}
			}
			if r.Err() == nil || !strings.Contains(r.Err().Error(), s) || !strings.Contains(r.String(), "Denied:\n  "+s) {
				t.Errorf("the error and report do not list the finding:\n%v\n%s", r.Err(), r)
			}
		})
		// The same, with what Detail gave recorded by the local AWS in
		// the call itself.
		t.Run(c.name+" (from the record)", func(t *testing.T) {
			calls, _ := record(t, ps, []handCall{c.call})
			calls[0].Params, calls[0].RequestTags, calls[0].ResourceTags = c.call.detail.Params, c.call.detail.RequestTags, c.call.detail.ResourceTags
			r := iamcheck.Check(calls, iamcheck.LogicalIDOfKey, ps)
			if len(r.Denied) == 0 {
				t.Fatalf("not denied:\n%s", r)
			}
			for _, w := range c.want {
				if !strings.Contains(r.Denied[0].String(), w) {
					t.Errorf("finding %q does not say %q", r.Denied[0], w)
				}
			}
		})
	}
}

// TestRecordGaps: what the record does not say is unverified, not allowed
// and not denied, and the finding says what is missing.
func TestRecordGaps(t *testing.T) {
	ps := loadFixture(t)
	cases := []struct {
		name string
		call handCall
		want string
	}{
		{"delete without the snapshot's tags", handCall{"prune", "elasticache", "DeleteSnapshot", ec + "snapshot:" + sfName, iamcheck.Detail{}},
			"depends on aws:ResourceTag/snapflow:managed, which the record lacks"},
		{"create without SnapshotName", handCall{"create", "elasticache", "CreateSnapshot", ec + "replicationgroup:orders", iamcheck.Detail{}},
			"the record does not hold SnapshotName, which names the new snapshot; ElastiCacheCreate could allow it"},
		{"copy or export?", handCall{"copy", "memorydb", "CopySnapshot", mdb + "snapshot/sf-x", iamcheck.Detail{}},
			"the record does not say whether CopySnapshot had a TargetBucket"},
		{"an operation not in the table", handCall{"create", "elasticache", "DescribeEvents", "", iamcheck.Detail{}},
			"not in the table"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls, opts := record(t, ps, []handCall{c.call})
			r := iamcheck.CheckWith(calls, iamcheck.LogicalIDOfKey, ps, opts)
			if c.call.action == "DescribeEvents" {
				// Unmapped and not allowed: denied, saying so.
				if len(r.Denied) != 1 || !strings.Contains(r.Denied[0].Why, "no statement allows elasticache:DescribeEvents") {
					t.Fatalf("%s", r)
				}
				return
			}
			if len(r.Denied) != 0 || len(r.Unverified) == 0 {
				t.Fatalf("want unverified only:\n%s", r)
			}
			found := false
			for _, f := range r.Unverified {
				found = found || strings.Contains(f.Why, c.want)
			}
			if !found {
				t.Errorf("no unverified finding says %q:\n%s", c.want, r)
			}
		})
	}
}

func TestUnattributedAndUnknownPrincipals(t *testing.T) {
	ps := loadFixture(t)
	calls := []emu.Call{
		{Seq: 1, Service: "s3", Action: "ListBuckets", AccessKeyID: "cloudformation"},
		{Seq: 2, Service: "s3", Action: "ListBuckets", AccessKeyID: "cloudformation"},
		{Seq: 3, Service: "s3", Action: "ListBuckets", AccessKeyID: "Gone-1"},
	}
	r := iamcheck.Check(calls, iamcheck.LogicalIDOfKey, ps)
	if r.Unattributed["cloudformation"] != 2 || r.Calls != 1 {
		t.Errorf("unattributed %v, calls %d", r.Unattributed, r.Calls)
	}
	if len(r.Denied) != 1 || !strings.Contains(r.Denied[0].Why, "no principal Gone in the template") {
		t.Errorf("%s", r)
	}
	if !strings.Contains(r.String(), "Not attributed to a principal (not checked): cloudformation 2") {
		t.Errorf("%s", r)
	}
}

// TestUnusedReasons: grants no call used are listed, with the reason when
// one is known.
func TestUnusedReasons(t *testing.T) {
	ps := loadFixture(t)
	calls, opts := record(t, ps, realistic)
	r := iamcheck.CheckWith(calls, iamcheck.LogicalIDOfKey, ps, opts)
	reasons := map[string]string{}
	for _, p := range r.Unused {
		reasons[p.Function+" "+p.Sid+" "+p.Action+" "+p.Resource] = p.Reason
	}
	for key, want := range map[string]string{
		"verify #1(logs:CreateLogStream) logs:PutLogEvents arn:aws:logs:us-east-1:123456789012:log-group:Snapflow-FunctionsverifyLogsFB73CEBC:*":      "unobservable",
		"copy CopyKeyGrantByAlias kms:CreateGrant arn:aws:kms:us-east-1:123456789012:key/*":                                                           "unobservable",
		"export ExportObjects s3:PutObject arn:aws:s3:::snapflow-exports-example/*":                                                                   "unobservable: granted as the export guides list it",
		"create RedshiftServerlessDeleteManaged redshift-serverless:DeleteSnapshot arn:aws:redshift-serverless:us-east-1:123456789012:snapshot/*":     "",
		"prune RedshiftServerlessSnapshotsRead redshift-serverless:ListTagsForResource arn:aws:redshift-serverless:us-east-1:123456789012:snapshot/*": "",
	} {
		got, ok := reasons[key]
		if !ok {
			t.Errorf("%s: not listed as unused", key)
			continue
		}
		if want == "" && got != "" || !strings.HasPrefix(got, want) {
			t.Errorf("%s: reason %q, want %q", key, got, want)
		}
	}
	for _, used := range []string{
		"create ElastiCacheCreate elasticache:CreateSnapshot arn:aws:elasticache:us-east-1:123456789012:snapshot:sf-*",
		"prune ElastiCacheDeleteManaged elasticache:DeleteSnapshot arn:aws:elasticache:us-east-1:123456789012:snapshot:sfc-*",
		"verify ReadExports s3:GetObject arn:aws:s3:::snapflow-exports-example/*",
		"plan FindTaggedTargets tag:GetResources *",
	} {
		if _, ok := reasons[used]; ok {
			t.Errorf("%s: listed as unused", used)
		}
	}

	// Without details, a create's new-snapshot grant is only possibly used.
	calls, _ = record(t, ps, realistic)
	r = iamcheck.Check(calls, iamcheck.LogicalIDOfKey, ps)
	for _, p := range r.Unused {
		if p.Sid == "ElastiCacheTagOnCreate" && strings.HasSuffix(p.Resource, "snapshot:sf-*") && !strings.HasPrefix(p.Reason, "possibly used") {
			t.Errorf("%s", p)
		}
	}
}

// mixed is a template whose statements grant actions on resource types
// they are never authorized on, and state machine integrations.
const mixed = `{"Resources": {
  "DemoRole": {"Type": "AWS::IAM::Role", "Properties": {}},
  "DemoPolicy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "DemoRole"}], "PolicyDocument": {"Statement": [
     {"Sid": "Mixed", "Effect": "Allow", "Action": ["elasticache:DescribeSnapshots", "elasticache:DescribeServerlessCacheSnapshots"],
      "Resource": ["arn:aws:elasticache:us-east-1:123456789012:snapshot:*", "arn:aws:elasticache:us-east-1:123456789012:serverlesscachesnapshot:*"]},
     {"Sid": "NoResourceLevel", "Effect": "Allow", "Action": "tag:GetResources", "Resource": "arn:aws:elasticache:us-east-1:123456789012:snapshot:*"},
     {"Sid": "Integrations", "Effect": "Allow", "Action": ["lambda:InvokeFunction", "states:StartExecution", "events:PutRule", "events:PutEvents", "sns:Publish"],
      "Resource": "*"}]}}},
  "Demo": {"Type": "AWS::Lambda::Function", "Properties": {"Description": "snapflow demo", "Role": {"Fn::GetAtt": ["DemoRole", "Arn"]}}}
}}`

// TestUnusedReasonsKinds: an action granted on a type it is never
// authorized on is inapplicable; the state machines' Lambda and Step
// Functions integrations are unobservable, their SNS and EventBridge
// PutEvents integrations are not (the local AWS records those).
func TestUnusedReasonsKinds(t *testing.T) {
	ps, err := iamcheck.Load([]byte(mixed), iamcheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := iamcheck.Check(nil, iamcheck.LogicalIDOfKey, ps)
	reasons := map[string]string{}
	for _, p := range r.Unused {
		reasons[p.Sid+" "+p.Action+" "+p.Resource] = p.Reason
	}
	for key, want := range map[string]string{
		"Mixed elasticache:DescribeSnapshots " + ec + "snapshot:*":                "",
		"Mixed elasticache:DescribeSnapshots " + ec + "serverlesscachesnapshot:*": "inapplicable: elasticache:DescribeSnapshots is authorized on snapshot only, never on a serverlesscachesnapshot",
		"Mixed elasticache:DescribeServerlessCacheSnapshots " + ec + "snapshot:*": "inapplicable: elasticache:DescribeServerlessCacheSnapshots is authorized on serverlesscachesnapshot only",
		"NoResourceLevel tag:GetResources " + ec + "snapshot:*":                   "inapplicable: tag:GetResources has no resource-level permissions",
		"Integrations lambda:InvokeFunction *":                                    "unobservable: Step Functions calls it",
		"Integrations states:StartExecution *":                                    "unobservable: Step Functions calls it",
		"Integrations events:PutRule *":                                           "unobservable: Step Functions calls it",
		"Integrations events:PutEvents *":                                         "",
		"Integrations sns:Publish *":                                              "",
	} {
		got, ok := reasons[key]
		if !ok {
			t.Errorf("%s: not listed as unused:\n%s", key, r)
			continue
		}
		if want == "" && got != "" || !strings.HasPrefix(got, want) {
			t.Errorf("%s: reason %q, want %q", key, got, want)
		}
	}
}

// TestNoInapplicableGrants: the stack grants no action on a resource type
// it is never authorized on (infra/stack/policies.go: a statement per
// resource type).
func TestNoInapplicableGrants(t *testing.T) {
	ps := loadFixture(t)
	r := iamcheck.Check(nil, iamcheck.LogicalIDOfKey, ps)
	if len(r.Unused) == 0 {
		t.Fatal("no grant listed")
	}
	for _, p := range r.Unused {
		if strings.HasPrefix(p.Reason, "inapplicable") {
			t.Errorf("%s", p)
		}
	}
}
