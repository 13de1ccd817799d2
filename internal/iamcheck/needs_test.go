package iamcheck_test

import (
	"strings"
	"testing"

	"github.com/snapflow/snapflow/internal/iamcheck"
	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// TestNeeds pins the table's rows for the calls snapflow makes: the IAM
// action, and the resource each authorization is made on.
func TestNeeds(t *testing.T) {
	ps := loadFixture(t)
	tags := map[string]string{"snapflow:managed": "true"}
	cases := []struct {
		service, action, resource string
		detail                    iamcheck.Detail
		want                      []string // "action resource" (resource "?pattern" when unknown)
	}{
		{"s3", "ListObjectsV2", bucket, iamcheck.Detail{}, []string{"s3:ListBucket " + bucket}},
		{"s3", "HeadObject", bucket + "/k.rdb", iamcheck.Detail{}, []string{"s3:GetObject " + bucket + "/k.rdb"}},
		{"s3", "GetObject", bucket + "/k.rdb", iamcheck.Detail{}, []string{"s3:GetObject " + bucket + "/k.rdb"}},
		{"s3", "PutObject", bucket + "/k.rdb", iamcheck.Detail{}, []string{"s3:PutObject " + bucket + "/k.rdb"}},
		{"s3", "GetBucketLocation", bucket, iamcheck.Detail{}, []string{"s3:GetBucketLocation " + bucket}},
		{"s3", "GetBucketAcl", bucket, iamcheck.Detail{}, []string{"s3:GetBucketAcl " + bucket}},
		{"s3", "ListBuckets", "", iamcheck.Detail{}, []string{"s3:ListAllMyBuckets *"}},
		{"tagging", "GetResources", "", iamcheck.Detail{}, []string{"tag:GetResources *"}},
		{"redshift-serverless", "ListNamespaces", "", iamcheck.Detail{}, []string{"redshift-serverless:ListNamespaces *"}},
		{"sns", "Publish", "arn:aws:sns:us-east-1:123456789012:alerts", iamcheck.Detail{}, []string{"sns:Publish arn:aws:sns:us-east-1:123456789012:alerts"}},
		{"events", "PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/default", iamcheck.Detail{},
			[]string{"events:PutEvents arn:aws:events:us-east-1:123456789012:event-bus/default"}},

		// ElastiCache CreateSnapshot: the source and the new snapshot, and
		// AddTagsToResource on the new snapshot when the request has Tags.
		{"elasticache", "CreateSnapshot", ec + "replicationgroup:orders",
			iamcheck.Detail{Params: map[string]string{"SnapshotName": "SF-X"}, RequestTags: tags}, []string{
				"elasticache:CreateSnapshot " + ec + "replicationgroup:orders",
				"elasticache:CreateSnapshot " + ec + "snapshot:sf-x",
				"elasticache:AddTagsToResource " + ec + "snapshot:sf-x"}},
		{"elasticache", "CreateSnapshot", ec + "cluster:sessions",
			iamcheck.Detail{Params: map[string]string{"SnapshotName": "sf-x"}, RequestTags: map[string]string{}}, []string{
				"elasticache:CreateSnapshot " + ec + "cluster:sessions",
				"elasticache:CreateSnapshot " + ec + "snapshot:sf-x"}},
		{"elasticache", "CreateSnapshot", ec + "replicationgroup:orders", iamcheck.Detail{}, []string{
			"elasticache:CreateSnapshot " + ec + "replicationgroup:orders",
			"elasticache:CreateSnapshot ?" + ec + "snapshot:*",
			"elasticache:AddTagsToResource ?" + ec + "snapshot:*"}},
		{"elasticache", "CreateServerlessCacheSnapshot", ec + "serverlesscache:carts",
			iamcheck.Detail{Params: map[string]string{"ServerlessCacheSnapshotName": "sf-c"}, RequestTags: tags}, []string{
				"elasticache:CreateServerlessCacheSnapshot " + ec + "serverlesscache:carts",
				"elasticache:CreateServerlessCacheSnapshot " + ec + "serverlesscachesnapshot:sf-c",
				"elasticache:AddTagsToResource " + ec + "serverlesscachesnapshot:sf-c"}},
		// A copy: the source, the new copy, tags on it; an export: the
		// source, the bucket's location and ListAllMyBuckets.
		{"elasticache", "CopySnapshot", ec + "snapshot:sf-x",
			iamcheck.Detail{Params: map[string]string{"TargetSnapshotName": "sfc-x"}, RequestTags: tags}, []string{
				"elasticache:CopySnapshot " + ec + "snapshot:sf-x",
				"elasticache:CopySnapshot " + ec + "snapshot:sfc-x",
				"elasticache:AddTagsToResource " + ec + "snapshot:sfc-x"}},
		{"elasticache", "CopySnapshot", ec + "snapshot:sf-x",
			iamcheck.Detail{Params: map[string]string{"TargetSnapshotName": "exports/sf-x", "TargetBucket": "snapflow-exports-example"}, RequestTags: map[string]string{}}, []string{
				"elasticache:CopySnapshot " + ec + "snapshot:sf-x",
				"s3:GetBucketLocation " + bucket,
				"s3:ListAllMyBuckets *"}},
		// Lists: filtered by another resource, authorized on the whole type.
		{"elasticache", "DescribeSnapshots", ec + "replicationgroup:orders", iamcheck.Detail{}, []string{"elasticache:DescribeSnapshots " + ec + "snapshot:*"}},
		{"elasticache", "DescribeSnapshots", "", iamcheck.Detail{}, []string{"elasticache:DescribeSnapshots " + ec + "snapshot:*"}},
		{"elasticache", "DescribeSnapshots", ec + "snapshot:sf-x", iamcheck.Detail{}, []string{"elasticache:DescribeSnapshots " + ec + "snapshot:sf-x"}},
		{"elasticache", "DescribeServerlessCacheSnapshots", ec + "serverlesscache:carts", iamcheck.Detail{},
			[]string{"elasticache:DescribeServerlessCacheSnapshots " + ec + "serverlesscachesnapshot:*"}},
		{"elasticache", "ListTagsForResource", ec + "snapshot:sf-x", iamcheck.Detail{}, []string{"elasticache:ListTagsForResource " + ec + "snapshot:sf-x"}},
		{"elasticache", "DeleteSnapshot", ec + "snapshot:sf-x", iamcheck.Detail{}, []string{"elasticache:DeleteSnapshot " + ec + "snapshot:sf-x"}},

		// MemoryDB CreateSnapshot is authorized on the cluster only.
		{"memorydb", "CreateSnapshot", mdb + "cluster/ledger",
			iamcheck.Detail{Params: map[string]string{"SnapshotName": "sf-l"}, RequestTags: tags}, []string{
				"memorydb:CreateSnapshot " + mdb + "cluster/ledger",
				"memorydb:TagResource " + mdb + "snapshot/sf-l"}},
		{"memorydb", "DescribeSnapshots", mdb + "cluster/ledger", iamcheck.Detail{}, []string{"memorydb:DescribeSnapshots " + mdb + "snapshot/*"}},
		// A MemoryDB export, like ElastiCache's: the source, the bucket's
		// location and ListAllMyBuckets (MemoryDB's IAM API reference).
		{"memorydb", "CopySnapshot", mdb + "snapshot/sf-l",
			iamcheck.Detail{Params: map[string]string{"TargetSnapshotName": "md/sf-l", "TargetBucket": "b"}, RequestTags: map[string]string{}},
			[]string{"memorydb:CopySnapshot " + mdb + "snapshot/sf-l", "s3:GetBucketLocation arn:aws:s3:::b", "s3:ListAllMyBuckets *"}},

		// Redshift Serverless: a new snapshot's ARN ends in a generated ID,
		// so it is the type; a name the emulator records for a missing
		// resource is the type too.
		{"redshift-serverless", "CreateSnapshot", rss + "namespace/abc",
			iamcheck.Detail{Params: map[string]string{"SnapshotName": "sf-a"}, RequestTags: tags}, []string{
				"redshift-serverless:CreateSnapshot " + rss + "namespace/abc",
				"redshift-serverless:CreateSnapshot " + rss + "snapshot/*",
				"redshift-serverless:TagResource " + rss + "snapshot/*"}},
		{"redshift-serverless", "GetSnapshot", "sf-missing", iamcheck.Detail{}, []string{"redshift-serverless:GetSnapshot " + rss + "snapshot/*"}},
		{"redshift-serverless", "ListSnapshots", rss + "namespace/abc", iamcheck.Detail{}, []string{"redshift-serverless:ListSnapshots " + rss + "snapshot/*"}},

		// A name-keyed resource recorded by name becomes its ARN.
		{"elasticache", "DescribeReplicationGroups", "Orders", iamcheck.Detail{}, []string{"elasticache:DescribeReplicationGroups " + ec + "replicationgroup:orders"}},
		// The call's region, not the stack's.
		{"memorydb", "DescribeSnapshots", "", iamcheck.Detail{}, []string{"memorydb:DescribeSnapshots arn:aws:memorydb:eu-west-1:123456789012:snapshot/*"}},
	}
	for _, c := range cases {
		region := "us-east-1"
		if strings.Contains(strings.Join(c.want, " "), "eu-west-1") {
			region = "eu-west-1"
		}
		got := ps.Needs(emu.Call{Service: c.service, Action: c.action, Region: region, Resource: c.resource}, c.detail)
		var list []string
		for _, n := range got {
			r := n.Resource
			if r == "" {
				r = "?" + n.AnyOf
			}
			list = append(list, n.Action+" "+r)
			if n.Source == "" || n.Unmapped {
				t.Errorf("%s %s: unsourced need %+v", c.service, c.action, n)
			}
		}
		if strings.Join(list, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s %s on %q:\n got %q\nwant %q", c.service, c.action, c.resource, list, c.want)
		}
	}
}

func TestNeedsContext(t *testing.T) {
	ps := loadFixture(t)
	n := ps.Needs(emu.Call{Service: "elasticache", Action: "CreateSnapshot", Region: "us-east-1", Resource: ec + "replicationgroup:orders"},
		iamcheck.Detail{Params: map[string]string{"SnapshotName": "sf-x"}, RequestTags: map[string]string{"b": "2", "a": "1"},
			ResourceTags: map[string]string{"backup": "nightly"}})
	if n[0].Context["aws:ResourceTag/backup"] != "nightly" || n[2].Context["aws:RequestTag/a"] != "1" ||
		strings.Join(n[2].Multi["aws:TagKeys"], ",") != "a,b" {
		t.Errorf("context %+v %+v", n[0], n[2])
	}
}

func TestTableDescribed(t *testing.T) {
	d := iamcheck.Describe()
	for _, want := range []string{
		"elasticache CreateSnapshot → elasticache:CreateSnapshot on replicationgroup|cluster; elasticache:CreateSnapshot on snapshot named by SnapshotName; elasticache:AddTagsToResource on snapshot named by SnapshotName if Tags",
		"s3 ListObjectsV2 → s3:ListBucket on bucket",
		"source: Service Authorization Reference, Amazon MemoryDB",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe() lacks %q:\n%s", want, d)
		}
	}
	types := iamcheck.ActionTypes()
	if strings.Join(types["memorydb:CreateSnapshot"], ",") != "cluster" || strings.Join(types["tag:GetResources"], ",") != "" {
		t.Errorf("action types %v %v", types["memorydb:CreateSnapshot"], types["tag:GetResources"])
	}
}

// TestNeedsFromRecord checks that the record's own Resources, Params,
// RequestTags and ResourceTags (emu.Call) decide what Detail would, and
// that a Detail field given wins over the record's.
func TestNeedsFromRecord(t *testing.T) {
	ps := loadFixture(t)
	list := func(ns []iamcheck.Need) string {
		var out []string
		for _, n := range ns {
			r := n.Resource
			if r == "" {
				r = "?" + n.AnyOf
			}
			out = append(out, n.Action+" "+r)
		}
		return strings.Join(out, "\n")
	}
	managed := map[string]string{"snapflow:managed": "true"}
	cases := []struct {
		name   string
		call   emu.Call
		detail iamcheck.Detail
		want   []string
	}{
		{"create: the new snapshot by SnapshotName, tags on create",
			emu.Call{Service: "elasticache", Action: "CreateSnapshot", Resource: ec + "replicationgroup:orders",
				Resources: []string{ec + "replicationgroup:orders", ec + "snapshot:sf-1"},
				Params:    map[string]string{"ReplicationGroupId": "orders", "SnapshotName": "SF-1"}, RequestTags: managed},
			iamcheck.Detail{},
			[]string{"elasticache:CreateSnapshot " + ec + "replicationgroup:orders", "elasticache:CreateSnapshot " + ec + "snapshot:sf-1",
				"elasticache:AddTagsToResource " + ec + "snapshot:sf-1"}},
		{"create from Resources alone",
			emu.Call{Service: "elasticache", Action: "CreateServerlessCacheSnapshot", Resource: ec + "serverlesscache:carts",
				Resources: []string{ec + "serverlesscache:carts", ec + "serverlesscachesnapshot:sf-1"}, RequestTags: map[string]string{}},
			iamcheck.Detail{},
			[]string{"elasticache:CreateServerlessCacheSnapshot " + ec + "serverlesscache:carts",
				"elasticache:CreateServerlessCacheSnapshot " + ec + "serverlesscachesnapshot:sf-1"}},
		{"export: CopySnapshot with TargetBucket",
			emu.Call{Service: "elasticache", Action: "CopySnapshot", Resource: ec + "snapshot:sf-1",
				Resources: []string{ec + "snapshot:sf-1", "arn:aws:s3:::exports"},
				Params:    map[string]string{"SourceSnapshotName": "sf-1", "TargetSnapshotName": "x/sf-1", "TargetBucket": "exports"}, RequestTags: map[string]string{}},
			iamcheck.Detail{},
			[]string{"elasticache:CopySnapshot " + ec + "snapshot:sf-1", "s3:GetBucketLocation arn:aws:s3:::exports", "s3:ListAllMyBuckets *"}},
		{"Detail wins: a copy, not the recorded export",
			emu.Call{Service: "memorydb", Action: "CopySnapshot", Resource: mdb + "snapshot/sf-1",
				Params: map[string]string{"TargetSnapshotName": "x", "TargetBucket": "exports"}, RequestTags: map[string]string{}},
			iamcheck.Detail{Params: map[string]string{"TargetSnapshotName": "sfc-1"}},
			[]string{"memorydb:CopySnapshot " + mdb + "snapshot/sf-1", "memorydb:CopySnapshot " + mdb + "snapshot/sfc-1"}},
		{"Redshift Serverless: the generated snapshot ARN",
			emu.Call{Service: "redshift-serverless", Action: "CreateSnapshot", Resource: rss + "namespace/ns-id",
				Resources: []string{rss + "namespace/ns-id", rss + "snapshot/sn-id"}, RequestTags: managed},
			iamcheck.Detail{},
			[]string{"redshift-serverless:CreateSnapshot " + rss + "namespace/ns-id", "redshift-serverless:CreateSnapshot " + rss + "snapshot/sn-id",
				"redshift-serverless:TagResource " + rss + "snapshot/sn-id"}},
	}
	for _, c := range cases {
		c.call.Region = "us-east-1"
		if got := list(ps.Needs(c.call, c.detail)); got != strings.Join(c.want, "\n") {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, strings.Join(c.want, "\n"))
		}
	}

	// A delete's recorded resource tags decide the managed-tag condition.
	del := emu.Call{Service: "elasticache", Action: "DeleteSnapshot", Region: "us-east-1", Resource: ec + "snapshot:sf-nightly-orders-202611190200",
		AccessKeyID: "FunctionspruneRoleDefaultPolicy-1", ResourceTags: managed}
	n := ps.Needs(del, iamcheck.Detail{})
	if len(n) != 1 || n[0].Context["aws:ResourceTag/snapflow:managed"] != "true" {
		t.Errorf("delete needs %+v", n)
	}
	if n := ps.Needs(del, iamcheck.Detail{ResourceTags: map[string]string{}}); len(n) != 1 || len(n[0].Context) != 0 {
		t.Errorf("Detail's ResourceTags do not win: %+v", n)
	}
}
