package locals3

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

func httpStatus(err error) int {
	if re, ok := err.(interface{ HTTPStatusCode() int }); ok {
		return re.HTTPStatusCode()
	}
	var he *smithyhttp.ResponseError
	if errors.As(err, &he) {
		return he.HTTPStatusCode()
	}
	return 0
}

func TestFaults(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "faulty")

	h.env.Faults.Add(emu.Fault{Service: "s3", Action: "PutObject", Kind: emu.FaultThrottle, Count: 1})
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("faulty"), Key: aws.String("a"), Body: strings.NewReader("x")})
	mustCode(t, err, "SlowDown")
	if httpStatus(err) != 503 {
		t.Fatalf("throttle status %d", httpStatus(err))
	}
	call := h.lastCall("PutObject")
	if call.Fault != "throttle" || call.ErrorCode != "SlowDown" || call.Resource != "arn:aws:s3:::faulty/a" {
		t.Fatalf("recorded %+v", call)
	}
	// Count 1: the next call goes through.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("faulty"), Key: aws.String("a"), Body: strings.NewReader("x")})
	must(t, err)

	h.env.Faults.Add(emu.Fault{Service: "s3", Resource: "arn:aws:s3:::faulty/secret", Kind: emu.FaultAccessDenied})
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("faulty"), Key: aws.String("secret")})
	mustCode(t, err, "AccessDenied")
	if httpStatus(err) != 403 {
		t.Fatalf("access denied status %d", httpStatus(err))
	}
	h.env.Faults.Add(emu.Fault{Service: "s3", Action: "PutBucketPolicy", Kind: emu.FaultInternal})
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("faulty"), Policy: aws.String(tlsOnly)})
	mustCode(t, err, "InternalError")
	h.env.Faults.Add(emu.Fault{Service: "s3", Action: "PutBucketAcl", Kind: emu.FaultBusy})
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("faulty"), ACL: types.BucketCannedACLPrivate})
	mustCode(t, err, "OperationAborted")
	h.env.Faults.Add(emu.Fault{Service: "s3", Action: "CreateBucket", Kind: emu.FaultQuota})
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("one-too-many")})
	mustCode(t, err, "TooManyBuckets")
	h.env.Faults.Reset()

	// A token bucket on ListObjectsV2: one call, then SlowDown.
	h.env.Faults.SetRateLimit(emu.RateLimit{Service: "s3", Action: "ListObjectsV2", Rate: 0.001, Burst: 1})
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("faulty")})
	must(t, err)
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("faulty")})
	mustCode(t, err, "SlowDown")
	if h.lastCall("ListObjectsV2").Fault != "rate-limit" {
		t.Fatal("rate limit not recorded")
	}
}

func TestActionNames(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "names")
	_, _ = c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("names"),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}})
	_, _ = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("names")})
	_, _ = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("names")})
	_, _ = c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("names")})
	_, _ = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("names")})
	_, _ = c.ListBuckets(ctx, &s3.ListBucketsInput{})
	for _, a := range []string{"CreateBucket", "PutBucketOwnershipControls", "GetBucketAcl", "GetBucketLocation", "ListObjects", "HeadBucket", "ListBuckets"} {
		call := h.lastCall(a)
		if a != "ListBuckets" && call.Resource != "arn:aws:s3:::names" {
			t.Fatalf("%s resource %q", a, call.Resource)
		}
	}
}

const seedJSON = `{
  "buckets": [
    {"name": "seeded-exports", "region": "us-west-2", "objectOwnership": "BucketOwnerPreferred",
     "grants": [{"id": "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353", "permission": "WRITE"},
                {"id": "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353", "permission": "READ_ACP"}],
     "tags": {"team": "data"},
     "objects": {"existing-0001.rdb": "old export"}},
    {"name": "seeded-policy",
     "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "us-east-1.memorydb-snapshot.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": "arn:aws:s3:::seeded-policy/*"}]}},
    {"name": "seeded-string-policy", "publicAccessBlock": {},
     "policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::seeded-string-policy/*\"}]}"}
  ]
}`

func TestSeed(t *testing.T) {
	h := newHarness(t, false)
	must(t, h.svc.Seed("us-east-1", json.RawMessage(seedJSON)))

	b, ok := h.svc.Bucket("seeded-exports")
	if !ok || b.Region() != "us-west-2" || b.ObjectOwnership() != OwnershipBucketOwnerPreferred {
		t.Fatalf("seeded bucket %v", b)
	}
	if p := b.ACLPermissions(elastiCacheCanonicalID); len(p) != 2 {
		t.Fatalf("grants %v", p)
	}
	if !b.ObjectExists("existing-0001.rdb") {
		t.Fatal("seeded object")
	}
	west := h.client("us-west-2")
	got, err := west.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("seeded-exports"), Key: aws.String("existing-0001.rdb")})
	must(t, err)
	body, _ := io.ReadAll(got.Body)
	if string(body) != "old export" {
		t.Fatalf("body %q", body)
	}
	acl, err := west.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("seeded-exports")})
	must(t, err)
	if len(acl.Grants) != 3 {
		t.Fatalf("seeded ACL %+v", acl.Grants)
	}
	if tr := h.svc.TaggedResources("us-west-2"); len(tr) != 1 {
		t.Fatalf("tags %+v", tr)
	}

	pb, _ := h.svc.Bucket("seeded-policy")
	if pb.Region() != "us-east-1" || !pb.PolicyAllows("us-east-1.memorydb-snapshot.amazonaws.com", "s3:PutObject", "arn:aws:s3:::seeded-policy/x-0001.rdb") {
		t.Fatal("seeded policy")
	}
	c := h.client("us-east-1")
	pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("seeded-string-policy")})
	must(t, err)
	if !strings.HasPrefix(aws.ToString(pol.Policy), `{"Statement"`) {
		t.Fatalf("string policy kept %q", aws.ToString(pol.Policy))
	}

	// Bad seeds fail naming the bucket and leave nothing behind.
	for _, bad := range []string{
		`{"buckets": [{"name": "enforced-with-grant", "grants": [{"id": "abc", "permission": "WRITE"}]}]}`,
		`{"buckets": [{"name": "public-policy", "policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public-policy/*"}]}}]}`,
		`{"buckets": [{"name": "Bad_Name"}]}`,
		`{"buckets": [{"name": "bad-ownership", "objectOwnership": "Mine"}]}`,
		`{"buckets": [{"name": "typo", "regoin": "us-east-1"}]}`,
	} {
		err := h.svc.Seed("us-east-1", json.RawMessage(bad))
		if err == nil {
			t.Fatalf("seed accepted: %s", bad)
		}
		var doc Seed
		_ = json.Unmarshal([]byte(bad), &doc)
		if name := doc.Buckets[0].Name; name != "" && !strings.Contains(err.Error(), name) && !strings.Contains(bad, "regoin") {
			t.Fatalf("error does not name the bucket: %v", err)
		}
		if _, ok := h.svc.Bucket(doc.Buckets[0].Name); ok {
			t.Fatalf("half-made bucket %s left", doc.Buckets[0].Name)
		}
	}
	// The same name twice is refused.
	if err := h.svc.Seed("us-east-1", json.RawMessage(`{"buckets": [{"name": "seeded-policy"}]}`)); err == nil {
		t.Fatal("duplicate bucket seeded")
	}
}
