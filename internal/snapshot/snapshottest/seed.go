package snapshottest

import (
	"encoding/json"
	"fmt"
)

// ElastiCacheCanonicalUser is the S3 canonical user ElastiCache exports
// with in the regions enabled by default (ElastiCache User Guide, "Step 2:
// Grant ElastiCache access to your Amazon S3 bucket").
const ElastiCacheCanonicalUser = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"

// ElastiCacheBucket returns the seed of an export bucket ElastiCache may
// write to: ACLs enabled (BucketOwnerPreferred) and READ, WRITE and
// READ_ACP granted to its canonical user.
func ElastiCacheBucket(name string) string {
	return fmt.Sprintf(`{"name": %q, "objectOwnership": "BucketOwnerPreferred", "grants": [
		{"id": %q, "permission": "READ"},
		{"id": %q, "permission": "WRITE"},
		{"id": %q, "permission": "READ_ACP"}]}`,
		name, ElastiCacheCanonicalUser, ElastiCacheCanonicalUser, ElastiCacheCanonicalUser)
}

// MemoryDBBucket returns the seed of an export bucket MemoryDB may write to
// in region: ACLs enabled (BucketOwnerPreferred) and the bucket policy the
// MemoryDB Developer Guide asks for ("Exporting a snapshot", Step 2) for
// the principal <region>.memorydb-snapshot.amazonaws.com.
func MemoryDBBucket(name, region string) string {
	policy := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "MemoryDBExport",
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": region + ".memorydb-snapshot.amazonaws.com"},
			"Action": []string{"s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl",
				"s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"},
			"Resource": []string{"arn:aws:s3:::" + name, "arn:aws:s3:::" + name + "/*"},
		}},
	}
	p, _ := json.Marshal(policy)
	return fmt.Sprintf(`{"name": %q, "objectOwnership": "BucketOwnerPreferred", "policy": %s}`, name, p)
}

// PlainBucket returns the seed of a bucket as CreateBucket makes one today
// (BucketOwnerEnforced, no grant, no policy): no service can export to it.
func PlainBucket(name string) string { return fmt.Sprintf(`{"name": %q}`, name) }
