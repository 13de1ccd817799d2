package steps

import (
	"context"
	"io"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/rdb"
)

// headerSize is the RDB header verify reads: "REDIS" or "VALKEY" and the
// version digits.
const headerSize = 9

// verifyObject checks one exported object.
func verifyObject(ctx context.Context, c ObjectAPI, bucket, key string) (events.ExportedObject, error) {
	where := describeKey(bucket, key)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return events.ExportedObject{}, objectError(err, "HeadObject", where)
	}
	size := aws.ToInt64(head.ContentLength)
	if size <= 0 {
		return events.ExportedObject{}, errclass.New(errclass.ExportFailed, "export object %s is empty", where)
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String("bytes=0-8"),
	})
	if err != nil {
		return events.ExportedObject{}, objectError(err, "GetObject", where)
	}
	defer closeQuietly(get.Body)
	header, err := io.ReadAll(io.LimitReader(get.Body, headerSize))
	if err != nil {
		return events.ExportedObject{}, errclass.Wrap(errclass.Transient, err, "reading %s", where)
	}
	version, err := rdb.VerifyHeader(header)
	if err != nil {
		return events.ExportedObject{}, errclass.Wrap(errclass.ExportFailed, err, "export object %s has no valid RDB header", where)
	}
	return events.ExportedObject{Key: key, Size: size, RDBVersion: version}, nil
}

// objectError classifies an S3 error about an exported object: a missing
// object (or bucket) is the export's failure.
func objectError(err error, op, where string) error {
	class, _ := s3Errors.Classify(err)
	if class == errclass.NotFound {
		return errclass.Wrap(errclass.ExportFailed, err, "export object %s is missing", where)
	}
	return s3Errors.Wrap(err, op, where)
}

// exportedKeys lists the objects an export wrote under keyPrefix:
// "<keyPrefix>NNNN.rdb".
func exportedKeys(ctx context.Context, c ObjectAPI, bucket, keyPrefix string) ([]string, error) {
	if keyPrefix == "" {
		return nil, invalid("export.keyPrefix", "is required when export.keys is empty")
	}
	shard := regexp.MustCompile(`^[0-9]{4,}\.rdb$`)
	var keys []string
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(keyPrefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			class, _ := s3Errors.Classify(err)
			if class == errclass.NotFound {
				return nil, errclass.Wrap(errclass.ExportFailed, err, "export bucket %s is missing", bucket)
			}
			return nil, s3Errors.Wrap(err, "ListObjectsV2", describeKey(bucket, keyPrefix))
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); shard.MatchString(strings.TrimPrefix(k, keyPrefix)) {
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}
