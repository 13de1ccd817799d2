package locals3

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketsAndObjects(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "alpha")
	h.createBucket(c, "beta")

	// us-east-1: re-creating your own bucket succeeds (legacy behaviour).
	h.createBucket(c, "alpha")

	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	must(t, err)
	if len(lb.Buckets) != 2 || *lb.Buckets[0].Name != "alpha" || *lb.Buckets[1].Name != "beta" {
		t.Fatalf("ListBuckets: %+v", lb.Buckets)
	}
	if aws.ToString(lb.Buckets[0].BucketRegion) != "us-east-1" || !lb.Buckets[0].CreationDate.Equal(t0) {
		t.Fatalf("bucket entry: %+v", lb.Buckets[0])
	}
	if aws.ToString(lb.Owner.ID) != OwnerCanonicalID(h.env.AccountID) {
		t.Fatalf("owner %v", lb.Owner.ID)
	}

	hb, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
	must(t, err)
	if aws.ToString(hb.BucketRegion) != "us-east-1" {
		t.Fatalf("HeadBucket region %v", hb.BucketRegion)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("nope")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("HeadBucket missing: %v", err)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("alpha")})
	must(t, err)
	if loc.LocationConstraint != "" {
		t.Fatalf("us-east-1 location should be empty, got %q", loc.LocationConstraint)
	}

	for i := 0; i < 5; i++ {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("alpha"), Key: aws.String(fmt.Sprintf("dir/obj-%d", i)),
			Body: strings.NewReader(fmt.Sprintf("body %d", i)), ContentType: aws.String("text/plain")})
		must(t, err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String("dir/obj-3")})
	must(t, err)
	b, _ := io.ReadAll(got.Body)
	if string(b) != "body 3" || aws.ToString(got.ContentType) != "text/plain" || !got.LastModified.Equal(t0) {
		t.Fatalf("GetObject: %q %v %v", b, got.ContentType, got.LastModified)
	}
	// The response checksum is sent (and validated by the SDK) when asked.
	got, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String("dir/obj-3"), ChecksumMode: types.ChecksumModeEnabled})
	must(t, err)
	if got.ChecksumCRC32 == nil {
		t.Fatalf("no checksum with ChecksumMode ENABLED")
	}
	ho, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("alpha"), Key: aws.String("dir/obj-1")})
	must(t, err)
	if aws.ToInt64(ho.ContentLength) != 6 {
		t.Fatalf("HeadObject length %v", ho.ContentLength)
	}
	// A ranged GET validates fine (no whole-object checksum on it).
	rg, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String("dir/obj-2"), Range: aws.String("bytes=0-3"),
		ChecksumMode: types.ChecksumModeEnabled})
	must(t, err)
	b, _ = io.ReadAll(rg.Body)
	if string(b) != "body" {
		t.Fatalf("range: %q", b)
	}

	// ListObjectsV2 through the SDK paginator, two keys a page.
	var keys []string
	pages := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("alpha"), Prefix: aws.String("dir/"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		pages++
		for _, o := range out.Contents {
			keys = append(keys, *o.Key)
		}
	}
	if pages != 3 || len(keys) != 5 || keys[0] != "dir/obj-0" || keys[4] != "dir/obj-4" {
		t.Fatalf("paginated %d pages: %v", pages, keys)
	}
	if call := h.lastCall("ListObjectsV2"); call.Resource != "arn:aws:s3:::alpha" {
		t.Fatalf("ListObjectsV2 resource %q", call.Resource)
	}
	if call := h.lastCall("PutObject"); call.Resource != "arn:aws:s3:::alpha/dir/obj-4" {
		t.Fatalf("PutObject resource %q", call.Resource)
	}

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alpha"), Key: aws.String("missing")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("GetObject missing: %v", err)
	}
	if h.lastCall("GetObject").ErrorCode != "NoSuchKey" {
		t.Fatalf("error code not recorded: %+v", h.lastCall("GetObject"))
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nope")})
	var nsb *types.NoSuchBucket
	if !errors.As(err, &nsb) {
		t.Fatalf("ListObjectsV2 missing bucket: %v", err)
	}

	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	mustCode(t, err, "BucketNotEmpty")
	for i := 0; i < 5; i++ {
		_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("alpha"), Key: aws.String(fmt.Sprintf("dir/obj-%d", i))})
		must(t, err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	must(t, err)
	if _, ok := h.svc.Bucket("alpha"); ok {
		t.Fatal("deleted bucket still in the store")
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	mustCode(t, err, "NoSuchBucket")
}

func TestCreateBucketRules(t *testing.T) {
	h := newHarness(t, false)
	east := h.client("us-east-1")
	west := h.client("eu-west-1")

	_, err := east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	mustCode(t, err, "InvalidBucketName")
	_, err = east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("xn--reserved")})
	mustCode(t, err, "InvalidBucketName")

	// A regional request must name its own region.
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eu-bucket")})
	mustCode(t, err, "IllegalLocationConstraintException")
	_, err = east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eu-bucket"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	mustCode(t, err, "IllegalLocationConstraintException")
	_, err = east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eu-bucket"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}})
	mustCode(t, err, "InvalidLocationConstraint")

	h.createBucket(west, "eu-bucket", func(in *s3.CreateBucketInput) {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}
	})
	loc, err := east.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("eu-bucket")})
	must(t, err)
	if loc.LocationConstraint != types.BucketLocationConstraintEuWest1 {
		t.Fatalf("location %q", loc.LocationConstraint)
	}
	b, ok := h.svc.Bucket("eu-bucket")
	if !ok || b.Region() != "eu-west-1" {
		t.Fatalf("store region: %v", b)
	}
	// Outside us-east-1, creating it again is BucketAlreadyOwnedByYou.
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eu-bucket"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
	var owned *types.BucketAlreadyOwnedByYou
	if !errors.As(err, &owned) {
		t.Fatalf("second create: %v", err)
	}
	// Requests signed for another region are refused, naming the right one.
	_, err = east.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("eu-bucket")})
	mustCode(t, err, "AuthorizationHeaderMalformed")
	_, err = west.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("eu-bucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
	must(t, err)

	// ListBuckets sees every region, and filters by region.
	h.createBucket(east, "us-bucket")
	lb, err := east.ListBuckets(ctx, &s3.ListBucketsInput{BucketRegion: aws.String("eu-west-1")})
	must(t, err)
	if len(lb.Buckets) != 1 || *lb.Buckets[0].Name != "eu-bucket" {
		t.Fatalf("filtered: %+v", lb.Buckets)
	}
}

func TestListBucketsPaginator(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	for i := 0; i < 5; i++ {
		h.createBucket(c, fmt.Sprintf("bucket-%d", i))
	}
	var names []string
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		must(t, err)
		for _, b := range out.Buckets {
			names = append(names, *b.Name)
		}
	}
	if strings.Join(names, ",") != "bucket-0,bucket-1,bucket-2,bucket-3,bucket-4" {
		t.Fatalf("names %v", names)
	}
	_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(0)})
	mustCode(t, err, "InvalidArgument")
}

func TestStorePutObjectVisibleToAPI(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "exports")
	b, ok := h.svc.Bucket("exports")
	if !ok {
		t.Fatal("no bucket")
	}
	if b.Name() != "exports" || b.ObjectExists("snap-0001.rdb") {
		t.Fatal("unexpected object")
	}
	// An SDK upload with a checksum, then an export overwriting it: the
	// checksum must not survive into the new object.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("exports"), Key: aws.String("snap-0001.rdb"), Body: strings.NewReader("old")})
	must(t, err)
	payload := []byte("REDIS0011\xff12345678")
	must(t, b.PutObject("snap-0001.rdb", payload))
	must(t, b.PutObject("snap-0002.rdb", payload))
	if !b.ObjectExists("snap-0002.rdb") {
		t.Fatal("ObjectExists after PutObject")
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("exports")})
	must(t, err)
	if len(out.Contents) != 2 || aws.ToInt64(out.Contents[0].Size) != int64(len(payload)) {
		t.Fatalf("listing %+v", out.Contents)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("exports"), Key: aws.String("snap-0001.rdb"), ChecksumMode: types.ChecksumModeEnabled})
	must(t, err)
	body, err := io.ReadAll(got.Body)
	must(t, err)
	if !bytes.Equal(body, payload) {
		t.Fatalf("body %q", body)
	}
	if _, ok := h.svc.Bucket("missing"); ok {
		t.Fatal("missing bucket found")
	}
}

// Over TLS the SDK streams uploads as aws-chunked with a trailing checksum.
func TestChunkedUploadOverTLS(t *testing.T) {
	h := newHarness(t, true)
	c := h.client("us-east-1")
	h.createBucket(c, "tls")
	data := strings.Repeat("0123456789", 10000)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tls"), Key: aws.String("big"), Body: strings.NewReader(data)})
	must(t, err)
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("tls"), Key: aws.String("big"), ChecksumMode: types.ChecksumModeEnabled})
	must(t, err)
	body, _ := io.ReadAll(got.Body)
	if string(body) != data || got.ChecksumCRC32 == nil {
		t.Fatalf("got %d bytes, checksum %v", len(body), got.ChecksumCRC32)
	}
}

func TestDecodeAWSChunked(t *testing.T) {
	in := "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:zzz\r\n\r\n"
	body, trailers, err := decodeAWSChunked(strings.NewReader(in))
	must(t, err)
	if string(body) != "hello world" || trailers["X-Amz-Checksum-Crc32"] != "AAAAAA==" || len(trailers) != 1 {
		t.Fatalf("%q %v", body, trailers)
	}
	if _, _, err := decodeAWSChunked(strings.NewReader("zz\r\n")); err == nil {
		t.Fatal("bad chunk size accepted")
	}
}

func TestMultipartUpload(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "mpu")
	cu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("obj")})
	must(t, err)
	part1 := bytes.Repeat([]byte("a"), 5<<20)
	part2 := []byte("tail")
	var parts []types.CompletedPart
	for i, p := range [][]byte{part1, part2} {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("obj"), UploadId: cu.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		must(t, err)
		parts = append(parts, types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("obj"), UploadId: cu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	must(t, err)
	ho, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("obj")})
	must(t, err)
	if aws.ToInt64(ho.ContentLength) != int64(len(part1)+len(part2)) {
		t.Fatalf("length %v", ho.ContentLength)
	}
	if h.lastCall("CompleteMultipartUpload").Resource != "arn:aws:s3:::mpu/obj" {
		t.Fatal("resource of CompleteMultipartUpload")
	}
}

func TestCopyDeleteObjectsAndVersioning(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "src")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("a"), Body: strings.NewReader("A")})
	must(t, err)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("b"), CopySource: aws.String("src/a")})
	must(t, err)
	if h.lastCall("CopyObject").ErrorCode != "" {
		t.Fatal("copy failed")
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("src"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b")}}}})
	must(t, err)
	if len(out.Deleted) != 2 {
		t.Fatalf("deleted %+v", out.Deleted)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("src"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, err)
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("src")})
	must(t, err)
	if v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning %q", v.Status)
	}
	// Configurations not modelled answer NotImplemented under their name.
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String("src")})
	mustCode(t, err, "NotImplemented")
	if h.lastCall("GetBucketCors").ErrorCode != "NotImplemented" {
		t.Fatal("GetBucketCors not recorded")
	}
}
