package localelasticache

import (
	"bytes"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/rdb"
)

// exportFixture seeds a cluster-mode-disabled group, a 3-shard group and a
// data-tiering group, each with an available snapshot.
func exportFixture(t *testing.T) *harness {
	h := newHarness(t)
	h.seed(`{"replicationGroups": [
		{"id": "plain", "snapshotSeconds": 10},
		{"id": "sharded", "shards": 3, "snapshotSeconds": 10},
		{"id": "tiered", "cacheNodeType": "cache.r6gd.xlarge", "snapshotSeconds": 10}]}`)
	for _, g := range []string{"plain", "sharded", "tiered"} {
		_, err := h.ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String(g), SnapshotName: aws.String(g + "-snap")})
		must(t, err)
	}
	h.advance(10 * time.Second)
	return h
}

func exportTo(h *harness, snapshot, target, bucket string) (*elasticache.CopySnapshotOutput, error) {
	return h.ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{
		SourceSnapshotName: aws.String(snapshot), TargetSnapshotName: aws.String(target), TargetBucket: aws.String(bucket)})
}

func sortedKeys(b *fakeBucket) []string {
	k := b.keys()
	sort.Strings(k)
	return k
}

func TestExportWritesOneRDBPerShardAfterTheCopyDuration(t *testing.T) {
	h := exportFixture(t)
	b := h.store.add("exports", "us-east-1", "BucketOwnerPreferred", granted())

	out, err := exportTo(h, "sharded-snap", "nightly", "exports")
	must(t, err)
	if aws.ToString(out.Snapshot.SnapshotName) != "sharded-snap" || aws.ToString(out.Snapshot.SnapshotStatus) != "exporting" {
		t.Fatalf("answer: %q %q", aws.ToString(out.Snapshot.SnapshotName), aws.ToString(out.Snapshot.SnapshotStatus))
	}
	// No new ElastiCache snapshot is made by an export.
	_, err = h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("nightly")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	// The source cannot be deleted or exported again meanwhile.
	_, err = h.ec.DeleteSnapshot(ctx, &elasticache.DeleteSnapshotInput{SnapshotName: aws.String("sharded-snap")})
	wantErr[*types.InvalidSnapshotStateFault](t, err)
	_, err = exportTo(h, "sharded-snap", "again", "exports")
	wantErr[*types.InvalidSnapshotStateFault](t, err)

	h.advance(9 * time.Second)
	h.svc.Settle()
	if len(b.keys()) != 0 {
		t.Fatalf("objects before the export ends: %v", b.keys())
	}
	h.advance(time.Second)
	h.svc.Settle() // as the local AWS does before S3 answers
	want := []string{"nightly-0001.rdb", "nightly-0002.rdb", "nightly-0003.rdb"}
	if got := sortedKeys(b); len(got) != 3 || got[0] != want[0] || got[2] != want[2] {
		t.Fatalf("objects: %v", got)
	}
	for _, k := range want {
		body := b.object(k)
		info, err := rdb.Verify(bytes.NewReader(body))
		if err != nil || info.Keys != 50 || len(body) > 8<<10 {
			t.Fatalf("%s: %d bytes, info %+v, err %v", k, len(body), info, err)
		}
	}
	if bytes.Equal(b.object(want[0]), b.object(want[1])) {
		t.Fatalf("shards should differ")
	}
	if st := aws.ToString(describeSnapshot(t, h, "sharded-snap").SnapshotStatus); st != "available" {
		t.Fatalf("source after export: %q", st)
	}
	rec := h.svc.Exports()
	if len(rec) != 1 || rec[0].State != "completed" || len(rec[0].Keys) != 3 {
		t.Fatalf("export records: %+v", rec)
	}

	// Exporting the same name again: the objects exist.
	_, err = exportTo(h, "sharded-snap", "nightly", "exports")
	e := wantErr[*types.InvalidParameterValueException](t, err)
	if aws.ToString(e.Message) != "The S3 bucket exports already contains an object with key nightly-0001.rdb." {
		t.Fatalf("message %q", aws.ToString(e.Message))
	}

	// Cluster mode disabled: one object.
	_, err = exportTo(h, "plain-snap", "plain", "exports")
	must(t, err)
	h.advance(10 * time.Second)
	if _, err := h.ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{}); err != nil { // any call settles
		t.Fatal(err)
	}
	if b.object("plain-0001.rdb") == nil || b.object("plain-0002.rdb") != nil {
		t.Fatalf("objects: %v", b.keys())
	}
}

func TestExportErrors(t *testing.T) {
	h := exportFixture(t)
	h.store.add("elsewhere", "eu-west-1", "BucketOwnerPreferred", granted())
	h.store.add("enforced", "us-east-1", "BucketOwnerEnforced", granted())
	h.store.add("no-read", "us-east-1", "ObjectWriter", map[string][]string{CanonicalUserID("us-east-1"): {"WRITE", "READ_ACP"}})
	h.store.add("no-write", "us-east-1", "ObjectWriter", map[string][]string{CanonicalUserID("us-east-1"): {"READ", "READ_ACP"}})
	h.store.add("no-acp", "us-east-1", "ObjectWriter", map[string][]string{CanonicalUserID("us-east-1"): {"READ", "WRITE"}})
	h.store.add("full", "us-east-1", "ObjectWriter", map[string][]string{CanonicalUserID("us-east-1"): {"FULL_CONTROL"}})
	h.store.add("other-id", "us-east-1", "ObjectWriter", map[string][]string{"0123abcd": {"FULL_CONTROL"}})
	cases := []struct{ bucket, msg string }{
		{"missing", "The S3 bucket missing does not exist."},
		{"elsewhere", "The S3 bucket elsewhere is outside of the region."},
		{"enforced", "ElastiCache has not been granted READ permissions enforced on the S3 Bucket."},
		{"no-read", "ElastiCache has not been granted READ permissions no-read on the S3 Bucket."},
		{"no-write", "ElastiCache has not been granted WRITE permissions no-write on the S3 Bucket."},
		{"no-acp", "ElastiCache has not been granted READ_ACP permissions no-acp on the S3 Bucket."},
		{"other-id", "ElastiCache has not been granted READ permissions other-id on the S3 Bucket."},
	}
	for _, tc := range cases {
		_, err := exportTo(h, "plain-snap", "x", tc.bucket)
		e := wantErr[*types.InvalidParameterValueException](t, err)
		if aws.ToString(e.Message) != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.bucket, aws.ToString(e.Message), tc.msg)
		}
		wantCode(t, err, "InvalidParameterValue", 400, "")
	}
	// Nothing started, the snapshot is still available.
	if st := aws.ToString(describeSnapshot(t, h, "plain-snap").SnapshotStatus); st != "available" || len(h.svc.Exports()) != 0 {
		t.Fatalf("after refused exports: %q, %d exports", st, len(h.svc.Exports()))
	}
	// FULL_CONTROL grants all three.
	_, err := exportTo(h, "plain-snap", "x", "full")
	must(t, err)

	// Data tiering snapshots cannot be exported.
	_, err = exportTo(h, "tiered-snap", "x", "full")
	e := wantErr[*types.InvalidParameterValueException](t, err)
	if aws.ToString(e.Message) == "" {
		t.Fatal("no message")
	}
	_, err = exportTo(h, "ghost", "x", "full")
	wantErr[*types.SnapshotNotFoundFault](t, err)
}

func TestExportOptInRegionNeedsBucketPolicy(t *testing.T) {
	h := newHarness(t)
	hk := h.client("ap-east-1")
	must(t, h.svc.Seed("ap-east-1", []byte(`{"cacheClusters": [{"id": "hk", "snapshotSeconds": 5}]}`)))
	_, err := hk.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("hk"), SnapshotName: aws.String("hk-snap")})
	must(t, err)
	h.advance(5 * time.Second)

	// An ACL grant does not do in an opt-in region.
	acl := h.store.add("hk-acl", "ap-east-1", "ObjectWriter", map[string][]string{CanonicalUserID("ap-east-1"): {"FULL_CONTROL"}})
	_, err = hk.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("hk-snap"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("hk-acl")})
	wantCode(t, err, "InvalidParameterValue", 400, "has not been granted READ permissions")
	_ = acl

	b := h.store.add("hk-policy", "ap-east-1", "BucketOwnerEnforced", nil)
	p := ServicePrincipal("ap-east-1")
	if p != "ap-east-1.elasticache-snapshot.amazonaws.com" {
		t.Fatalf("principal %s", p)
	}
	b.policy = []policyStatement{{p, "s3:ListBucket", "arn:aws:s3:::hk-policy"}, {p, "s3:GetBucketAcl", "arn:aws:s3:::hk-policy"}}
	_, err = hk.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("hk-snap"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("hk-policy")})
	wantCode(t, err, "InvalidParameterValue", 400, "has not been granted WRITE permissions hk-policy")
	b.policy = append(b.policy, policyStatement{p, "s3:PutObject", "arn:aws:s3:::hk-policy/*"})
	_, err = hk.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("hk-snap"), TargetSnapshotName: aws.String("x"), TargetBucket: aws.String("hk-policy")})
	must(t, err)
	h.advance(5 * time.Second)
	h.svc.Settle()
	if b.object("x-0001.rdb") == nil {
		t.Fatalf("objects: %v", b.keys())
	}
}

func TestExportThatFails(t *testing.T) {
	h := exportFixture(t)
	b := h.store.add("exports", "us-east-1", "ObjectWriter", granted())
	h.env.Faults.Add(emu.Fault{Service: "elasticache", Action: "CopySnapshot", Kind: emu.FaultSnapshotFailed, Count: 1})
	out, err := exportTo(h, "plain-snap", "doomed", "exports")
	must(t, err)
	if aws.ToString(out.Snapshot.SnapshotStatus) != "exporting" {
		t.Fatalf("status %q", aws.ToString(out.Snapshot.SnapshotStatus))
	}
	h.advance(10 * time.Second)
	h.svc.Settle()
	if len(b.keys()) != 0 {
		t.Fatalf("a failed export wrote %v", b.keys())
	}
	if rec := h.svc.Exports(); len(rec) != 1 || rec[0].State != "failed" || rec[0].Error == "" {
		t.Fatalf("records: %+v", rec)
	}
	if st := aws.ToString(describeSnapshot(t, h, "plain-snap").SnapshotStatus); st != "available" {
		t.Fatalf("source after failed export: %q", st)
	}
	// The next one succeeds.
	_, err = exportTo(h, "plain-snap", "doomed", "exports")
	must(t, err)
	h.advance(10 * time.Second)
	h.svc.Settle()
	if b.object("doomed-0001.rdb") == nil {
		t.Fatalf("objects: %v", b.keys())
	}
}

func TestCanonicalUserIDs(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":     "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353",
		"eu-central-1":  "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353",
		"us-gov-west-1": "40fa568277ad703bd160f66ae4f83fc9dfdfd06c2f1b5060ca22442ac3ef8be6",
		"cn-north-1":    "b14d6a125bdf69854ed8ef2e71d8a20b7c490f252229b806e514966e490b8d83",
	} {
		if got := CanonicalUserID(region); got != want {
			t.Errorf("%s: %s", region, got)
		}
	}
	if !OptInRegion("me-south-1") || OptInRegion("us-east-1") {
		t.Error("OptInRegion")
	}
}
