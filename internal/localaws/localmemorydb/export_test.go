package localmemorydb

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/memorydb/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/rdb"
)

// exportHarness seeds a 3-shard cluster and a data-tiering one, each with an
// available snapshot ("snap" and "tiered-snap", 60 s each).
func exportHarness(t *testing.T) (*harness, *memorydb.Client) {
	h := newHarness(t)
	h.seed(`{"clusters":[
		{"name":"orders","nodeType":"db.r7g.large","numShards":3,"snapshotSeconds":60},
		{"name":"tiered","nodeType":"db.r6gd.xlarge","dataTiering":true,"snapshotSeconds":60}]}`)
	c := h.client("us-east-1")
	for _, p := range [][2]string{{"orders", "snap"}, {"tiered", "tiered-snap"}} {
		must[*memorydb.CreateSnapshotOutput](t)(c.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String(p[0]), SnapshotName: aws.String(p[1])}))
	}
	h.advance(time.Minute)
	return h, c
}

func exportTo(c *memorydb.Client, source, target, bucket string) (*memorydb.CopySnapshotOutput, error) {
	return c.CopySnapshot(ctx, &memorydb.CopySnapshotInput{
		SourceSnapshotName: aws.String(source), TargetSnapshotName: aws.String(target), TargetBucket: aws.String(bucket),
	})
}

func TestExportWritesOneRDBPerShard(t *testing.T) {
	h, c := exportHarness(t)
	b := h.store.add("exports", "us-east-1", "BucketOwnerPreferred", exportActions...)

	out := must[*memorydb.CopySnapshotOutput](t)(exportTo(c, "snap", "My-Export", "exports"))
	if aws.ToString(out.Snapshot.Name) != "snap" || aws.ToString(out.Snapshot.Status) != "copying" {
		t.Fatalf("export answer %+v", out.Snapshot)
	}
	if len(b.keys()) != 0 {
		t.Fatalf("objects before the export completes: %v", b.keys())
	}
	// No MemoryDB snapshot is made by an export.
	_, err := c.DescribeSnapshots(ctx, &memorydb.DescribeSnapshotsInput{SnapshotName: aws.String("my-export")})
	wantErr[*types.SnapshotNotFoundFault](t, err)
	// The same name again, while the first export runs, collides in S3.
	_, err = exportTo(c, "snap", "My-Export", "exports")
	e := wantErr[*types.InvalidParameterValueException](t, err)
	if e.ErrorMessage() != "The S3 bucket exports already contains an object with key My-Export-0001.rdb." {
		t.Fatalf("message %q", e.ErrorMessage())
	}

	h.advance(time.Minute)
	h.svc.Settle() // as the local AWS does before S3 listings
	keys := b.keys()
	if strings.Join(keys, ",") != "My-Export-0001.rdb,My-Export-0002.rdb,My-Export-0003.rdb" {
		t.Fatalf("objects: %v", keys)
	}
	for _, k := range keys {
		body := b.objects[k]
		info, err := rdb.Verify(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if info.Version != rdb.Version || info.Keys != exportKeys || !info.FullyParsed || len(body) > 16<<10 {
			t.Fatalf("%s: %+v, %d bytes", k, info, len(body))
		}
	}
	if st := aws.ToString(h.snapshotOf(c, "snap", false).Status); st != "available" {
		t.Fatalf("source after export: %s", st)
	}
	// Objects already there.
	_, err = exportTo(c, "snap", "My-Export", "exports")
	wantErr[*types.InvalidParameterValueException](t, err)
	// The objects are written once, even with more calls.
	b.objects["My-Export-0001.rdb"] = []byte("changed")
	h.advance(time.Hour)
	h.svc.Settle()
	if string(b.objects["My-Export-0001.rdb"]) != "changed" {
		t.Fatal("export rewrote its objects")
	}
}

func TestExportFailures(t *testing.T) {
	h, c := exportHarness(t)
	h.store.add("other-region", "eu-west-1", "BucketOwnerPreferred", exportActions...)
	h.store.add("no-policy", "us-east-1", "BucketOwnerPreferred")
	h.store.add("read-only", "us-east-1", "BucketOwnerPreferred", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl")
	h.store.add("no-acl-read", "us-east-1", "BucketOwnerPreferred", "s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads")
	h.store.add("enforced", "us-east-1", "BucketOwnerEnforced", exportActions...)
	occupied := h.store.add("occupied", "us-east-1", "BucketOwnerPreferred", exportActions...)
	occupied.objects["x-0002.rdb"] = []byte("old")
	h.store.add("ok", "us-east-1", "BucketOwnerPreferred", exportActions...)

	for _, tc := range []struct{ source, bucket, msg string }{
		{"snap", "missing", "The S3 bucket missing does not exist."},
		{"snap", "other-region", "The S3 bucket other-region is outside of the region."},
		{"snap", "no-policy", "MemoryDB has not been granted READ permissions no-policy on the S3 Bucket."},
		{"snap", "read-only", "MemoryDB has not been granted WRITE permissions read-only on the S3 Bucket."},
		{"snap", "no-acl-read", "MemoryDB has not been granted READ_ACP permissions no-acl-read on the S3 Bucket."},
		{"snap", "enforced", "The S3 bucket enforced has ACLs disabled"},
		{"snap", "occupied", "The S3 bucket occupied already contains an object with key x-0002.rdb."},
		{"tiered-snap", "ok", "not supported for clusters using data tiering"},
		{"snap", "bad/bucket", "Invalid TargetBucket"},
	} {
		_, err := exportTo(c, tc.source, "x", tc.bucket)
		e := wantErr[*types.InvalidParameterValueException](t, err)
		if !strings.HasPrefix(e.ErrorMessage(), tc.msg) && !strings.Contains(e.ErrorMessage(), tc.msg) {
			t.Errorf("%s → %s: message %q, want %q", tc.source, tc.bucket, e.ErrorMessage(), tc.msg)
		}
	}
	_, err := exportTo(c, "nope", "x", "ok")
	wantErr[*types.SnapshotNotFoundFault](t, err)
	// None of those started anything.
	if st := aws.ToString(h.snapshotOf(c, "snap", false).Status); st != "available" {
		t.Fatalf("source: %s", st)
	}

	// An export that AWS accepts but that fails writes nothing.
	h.env.Faults.Add(emu.Fault{Service: "memorydb", Action: "CopySnapshot", Kind: emu.FaultSnapshotFailed, Count: 1})
	must[*memorydb.CopySnapshotOutput](t)(exportTo(c, "snap", "x", "ok"))
	h.advance(time.Hour)
	h.svc.Settle()
	if keys := h.store.buckets["ok"].keys(); len(keys) != 0 {
		t.Fatalf("failed export wrote %v", keys)
	}
	if st := aws.ToString(h.snapshotOf(c, "snap", false).Status); st != "available" {
		t.Fatalf("source after failed export: %s", st)
	}
}

func TestExportNameRulesAndEmptyBucket(t *testing.T) {
	h, c := exportHarness(t)
	h.store.add("ok", "us-east-1", "BucketOwnerPreferred", exportActions...)
	_, err := exportTo(c, "snap", strings.Repeat("x", 1001), "ok")
	wantErr[*types.InvalidParameterValueException](t, err)
	// Export names keep their case and may hold characters a MemoryDB
	// snapshot name may not.
	must[*memorydb.CopySnapshotOutput](t)(exportTo(c, "snap", "Backups/2026_03_01", "ok"))
	h.advance(time.Minute)
	h.svc.Settle()
	if keys := h.store.buckets["ok"].keys(); len(keys) != 3 || keys[0] != "Backups/2026_03_01-0001.rdb" {
		t.Fatalf("keys %v", keys)
	}
	// An empty TargetBucket is a copy inside MemoryDB.
	out := must[*memorydb.CopySnapshotOutput](t)(exportTo(c, "snap", "plain-copy", ""))
	if aws.ToString(out.Snapshot.Name) != "plain-copy" || aws.ToString(out.Snapshot.Status) != "creating" {
		t.Fatalf("copy %+v", out.Snapshot)
	}
	if h.svc.Name() != "memorydb" {
		t.Fatal(h.svc.Name())
	}
}
