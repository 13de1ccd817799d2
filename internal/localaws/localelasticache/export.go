package localelasticache

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/rdb"
)

// Exporting to S3 (ElastiCache User Guide, "Exporting a backup"; API
// Reference, CopySnapshot):
//
//   - The bucket must exist and be in the snapshot's region.
//   - In the regions enabled by default, ElastiCache must be granted READ
//     (List objects), WRITE (Write objects) and READ_ACP (Read bucket
//     permissions) in the bucket ACL, to its canonical user
//     540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353
//     (40fa568277ad703bd160f66ae4f83fc9dfdfd06c2f1b5060ca22442ac3ef8be6 in
//     AWS GovCloud (US), b14d6a125bdf69854ed8ef2e71d8a20b7c490f252229b806e514966e490b8d83
//     in the China regions). ACL grants only count while the bucket's Object
//     Ownership allows ACLs (BucketOwnerEnforced disables them; S3 User
//     Guide, "Controlling ownership of objects").
//   - In opt-in regions (introduced after March 20, 2019) the bucket policy
//     must instead allow the service principal
//     <region>.elasticache-snapshot.amazonaws.com, among others s3:ListBucket,
//     s3:PutObject and s3:GetBucketAcl.
//   - ElastiCache writes <TargetSnapshotName>-0001.rdb, -0002.rdb, … one per
//     node group ("ElastiCache adds an instance identifier and .rdb …
//     my-exported-backup-0001.rdb"); an existing object of that name is an
//     error.
//   - Snapshots of data-tiering clusters cannot be exported.
//
// The failures are answered synchronously by the call, with the messages
// the API Reference lists for CopySnapshot ("You could receive the
// following error messages"); their error code is not documented and is
// assumed to be InvalidParameterValue, the only parameter error both
// CopySnapshot and ExportServerlessCacheSnapshot model. A snapshot-failed
// fault instead makes the accepted export fail later: no object is written.

// Canonical user IDs of ElastiCache's export (User Guide, "Step 2: Grant
// ElastiCache access to your Amazon S3 bucket").
const (
	canonicalIDDefault  = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"
	canonicalIDGovCloud = "40fa568277ad703bd160f66ae4f83fc9dfdfd06c2f1b5060ca22442ac3ef8be6"
	canonicalIDChina    = "b14d6a125bdf69854ed8ef2e71d8a20b7c490f252229b806e514966e490b8d83"
)

// optInRegions are the AWS regions introduced after March 20, 2019, which
// are disabled by default (AWS General Reference, "Managing AWS Regions").
var optInRegions = map[string]bool{
	"af-south-1": true, "ap-east-1": true, "ap-east-2": true, "ap-south-2": true,
	"ap-southeast-3": true, "ap-southeast-4": true, "ap-southeast-5": true,
	"ap-southeast-6": true, "ap-southeast-7": true, "ca-west-1": true,
	"eu-central-2": true, "eu-south-1": true, "eu-south-2": true,
	"il-central-1": true, "me-central-1": true, "me-south-1": true,
	"mx-central-1": true,
}

// CanonicalUserID returns the S3 canonical user ID that ElastiCache exports
// with in region (to grant in the bucket ACL).
func CanonicalUserID(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return canonicalIDGovCloud
	case strings.HasPrefix(region, "cn-"):
		return canonicalIDChina
	}
	return canonicalIDDefault
}

// ServicePrincipal returns the principal a bucket policy must allow for
// ElastiCache exports in an opt-in region.
func ServicePrincipal(region string) string { return region + ".elasticache-snapshot.amazonaws.com" }

// OptInRegion reports whether region is an opt-in region, where exports are
// authorized by bucket policy instead of ACL.
func OptInRegion(region string) bool { return optInRegions[region] }

// exportKeys names the objects of an export: <name>-0001.rdb … one per shard.
func exportKeys(name string, shards int) []string {
	keys := make([]string, shards)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%s.rdb", name, nodeID(i+1))
	}
	return keys
}

// checkBucket answers whether ElastiCache in region may write keys into
// bucket, in the order a caller would meet the documented errors.
func (s *Service) checkBucket(region, bucket string, keys []string) *emu.APIError {
	var b emu.Bucket
	var ok bool
	if s.env.Store != nil {
		b, ok = s.env.Store.Bucket(bucket)
	}
	if !ok {
		return errInvalidValue("The S3 bucket %s does not exist.", bucket)
	}
	if b.Region() != region {
		return errInvalidValue("The S3 bucket %s is outside of the region.", bucket)
	}
	bucketARN := "arn:aws:s3:::" + bucket
	granted := map[string]bool{}
	if OptInRegion(region) {
		p := ServicePrincipal(region)
		granted["READ"] = b.PolicyAllows(p, "s3:ListBucket", bucketARN)
		granted["READ_ACP"] = b.PolicyAllows(p, "s3:GetBucketAcl", bucketARN)
		granted["WRITE"] = true
		for _, k := range keys {
			granted["WRITE"] = granted["WRITE"] && b.PolicyAllows(p, "s3:PutObject", bucketARN+"/"+k)
		}
	} else if b.ObjectOwnership() != "BucketOwnerEnforced" {
		for _, p := range b.ACLPermissions(CanonicalUserID(region)) {
			if p == "FULL_CONTROL" {
				granted["READ"], granted["WRITE"], granted["READ_ACP"] = true, true, true
			}
			granted[p] = true
		}
	}
	for _, p := range []string{"READ", "WRITE", "READ_ACP"} {
		if !granted[p] {
			return errInvalidValue("ElastiCache has not been granted %s permissions %s on the S3 Bucket.", p, bucket)
		}
	}
	for _, k := range keys {
		if b.ObjectExists(k) || s.pendingExport(bucket, k) {
			return errInvalidValue("The S3 bucket %s already contains an object with key %s.", bucket, k)
		}
	}
	return nil
}

// pendingExport reports whether a running export will write key into
// bucket: a second export to the same key is refused as if the object were
// already there (assumed: AWS writes the objects only when the export ends).
func (s *Service) pendingExport(bucket, key string) bool {
	for _, e := range s.exports {
		if e.state == exportRunning && e.bucket == bucket && slices.Contains(e.keys, key) {
			return true
		}
	}
	return false
}

// Export states.
const (
	exportRunning   = "running"
	exportCompleted = "completed"
	exportFailed    = "failed"
)

// export is one export to S3, written when it completes.
type export struct {
	region   string
	snapshot string // the exported snapshot
	bucket   string
	keys     []string
	seeds    []string
	takenAt  time.Time
	doneAt   time.Time
	fail     bool
	state    string
	err      string
}

// finish writes the export's objects: small but valid RDB files, one per
// shard, whose content depends only on the snapshot (rdb.Generate).
func (e *export) finish(store emu.ObjectStore) {
	if e.fail {
		e.state, e.err = exportFailed, "the export was made to fail by an injected fault"
		return
	}
	var b emu.Bucket
	var ok bool
	if store != nil {
		b, ok = store.Bucket(e.bucket)
	}
	if !ok {
		e.state, e.err = exportFailed, "the S3 bucket "+e.bucket+" no longer exists"
		return
	}
	for i, k := range e.keys {
		var buf bytes.Buffer
		if _, err := rdb.Generate(&buf, rdb.Options{Seed: e.seeds[i], Keys: 50, ValueSize: 64, CTime: e.takenAt}); err != nil {
			e.state, e.err = exportFailed, err.Error()
			return
		}
		if err := b.PutObject(k, buf.Bytes()); err != nil {
			e.state, e.err = exportFailed, err.Error()
			return
		}
	}
	e.state = exportCompleted
}

// startExport records an export that completes after d.
func (s *Service) startExport(region, snapshot, bucket string, keys []string, takenAt, now time.Time, d time.Duration, fail bool) *export {
	e := &export{region: region, snapshot: snapshot, bucket: bucket, keys: keys, takenAt: takenAt,
		doneAt: now.Add(d), fail: fail, state: exportRunning}
	for i := range keys {
		e.seeds = append(e.seeds, fmt.Sprintf("%s/%s/%d", region, snapshot, i+1))
	}
	s.exports = append(s.exports, e)
	return e
}

// exportSnapshot is CopySnapshot with TargetBucket. TargetSnapshotName is
// then the prefix of the objects: 1 to 1,000 characters that can be UTF-8
// encoded (User Guide, "Exporting a backup"). The call answers the source
// snapshot, which shows "exporting" until the export ends (assumed: the
// status is not among the documented values, but it is what the console
// shows), and the objects appear in the bucket when it ends.
func (s *Service) exportSnapshot(c *call, src *snapshot, target, bucket string, fail bool) {
	now := c.now()
	if !utf8.ValidString(target) || utf8.RuneCountInString(target) > 1000 {
		c.fail(errInvalidValue("The TargetSnapshotName must be between 1 and 1,000 characters and able to be UTF-8 encoded."))
		return
	}
	if st := src.status(now); st != statusAvailable {
		c.fail(errInvalidSnapshotState(src.name, st))
		return
	}
	if src.dataTiering {
		c.fail(errInvalidValue("Snapshot %s is of a cluster using data tiering; exporting it to Amazon S3 is not supported.", src.name))
		return
	}
	shards := len(src.nodes)
	if shards == 0 {
		shards = 1
	}
	keys := exportKeys(target, shards)
	if err := s.checkBucket(c.region(), bucket, keys); err != nil {
		c.fail(err)
		return
	}
	d := s.snapshotDuration(src.dataSizeMB, src.snapshotSeconds)
	s.startExport(c.region(), src.name, bucket, keys, src.dataTakenAt, now, d, fail)
	src.busyUntil, src.busyStatus = now.Add(d), statusExporting
	c.ok(struct {
		Snapshot xmlSnapshot `xml:"Snapshot"`
	}{src.xml(now, false)})
}

// bucketARN is the ARN of an S3 bucket (the resource an export writes to).
func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// ExportRecord describes one export to S3, for tests and the local runner.
type ExportRecord struct {
	Region   string    `json:"region"`
	Snapshot string    `json:"snapshot"`
	Bucket   string    `json:"bucket"`
	Keys     []string  `json:"keys"`
	DoneAt   time.Time `json:"doneAt"`
	State    string    `json:"state"` // running, completed or failed
	Error    string    `json:"error,omitempty"`
}

// Exports lists every export started so far (node-based and serverless), in
// start order, with its state as of now.
func (s *Service) Exports() []ExportRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(s.env.Clock.Now())
	out := make([]ExportRecord, 0, len(s.exports))
	for _, e := range s.exports {
		out = append(out, ExportRecord{Region: e.region, Snapshot: e.snapshot, Bucket: e.bucket,
			Keys: append([]string(nil), e.keys...), DoneAt: e.doneAt, State: e.state, Error: e.err})
	}
	return out
}
