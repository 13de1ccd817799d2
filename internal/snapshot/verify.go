package snapshot

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/rdb"
)

// S3API is the part of the S3 client VerifyExport uses, with the SDK's
// signatures.
type S3API interface {
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ S3API = (*s3.Client)(nil)

var s3errs = ErrorMap{
	Service: "s3",
	Codes: Codes{
		"NoSuchKey":    errclass.ExportFailed,
		"NotFound":     errclass.ExportFailed,
		"NoSuchBucket": errclass.NotFound,
	},
}

// shardObject matches the objects of an export after its KeyPrefix.
var shardObject = regexp.MustCompile(`^[0-9]{4}\.rdb$`)

// VerifyExport checks the objects of a finished export through S3 (the
// export handler's last step, once Describe of ex.SnapshotName no longer
// shows it in progress): one non-empty, valid RDB file per shard, each read
// whole by internal/rdb.Verify. It reads ex.Keys or, when the service did
// not name them, the objects <KeyPrefix>NNNN.rdb it lists; objects, when
// positive, is how many there must be. A missing, empty or invalid object
// is errclass.ExportFailed (an export that failed after it was accepted
// writes nothing: its snapshot just turns available again).
func VerifyExport(ctx context.Context, c S3API, ex Export, objects int) error {
	keys := ex.Keys
	if len(keys) == 0 {
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(ex.Bucket), Prefix: aws.String(ex.KeyPrefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return s3errs.Wrap(err, "ListObjectsV2", "s3://"+ex.Bucket+"/"+ex.KeyPrefix)
			}
			for _, o := range page.Contents {
				if k := aws.ToString(o.Key); shardObject.MatchString(strings.TrimPrefix(k, ex.KeyPrefix)) {
					keys = append(keys, k)
				}
			}
		}
		sort.Strings(keys)
	}
	if len(keys) == 0 || (objects > 0 && len(keys) != objects) {
		return errclass.New(errclass.ExportFailed, "export of %s to s3://%s/%s: %d objects, want %d", ex.SnapshotName, ex.Bucket, ex.KeyPrefix, len(keys), objects)
	}
	for _, k := range keys {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ex.Bucket), Key: aws.String(k)})
		if err != nil {
			return s3errs.Wrap(err, "GetObject", "s3://"+ex.Bucket+"/"+k)
		}
		body, err := io.ReadAll(out.Body)
		_ = out.Body.Close()
		if err != nil {
			return s3errs.Wrap(err, "GetObject", "s3://"+ex.Bucket+"/"+k)
		}
		if len(body) == 0 {
			return errclass.New(errclass.ExportFailed, "export of %s: s3://%s/%s is empty", ex.SnapshotName, ex.Bucket, k)
		}
		if _, err := rdb.Verify(bytes.NewReader(body)); err != nil {
			return errclass.Wrap(errclass.ExportFailed, err, "export of %s: s3://%s/%s is not a valid RDB file", ex.SnapshotName, ex.Bucket, k)
		}
	}
	return nil
}
