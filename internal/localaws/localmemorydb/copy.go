package localmemorydb

import (
	"bytes"
	"fmt"
	"regexp"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/rdb"
)

// targetBucketPattern: CopySnapshotRequest.TargetBucket "max 255, pattern
// ^[A-Za-z0-9._-]+$" (model).
var targetBucketPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)

// copySnapshot: CopySnapshot (SourceSnapshotName, TargetSnapshotName,
// TargetBucket, KmsKeyId, Tags). Without TargetBucket it makes a new
// snapshot in MemoryDB; with it, it exports the snapshot to S3 (see
// exportLocked). Either way the copy takes as long as the snapshot did, the
// source shows "copying" meanwhile, and the source must be available (or
// already being copied).
func (s *Service) copySnapshot(c *call) {
	var in copySnapshotInput
	if !c.decode(&in) {
		return
	}
	region := c.req.Region
	srcName, adm, ok := c.named("SourceSnapshotName", "snapshot", in.SourceSnapshotName)
	if !ok {
		return
	}
	if str(in.TargetSnapshotName) == "" {
		c.fail(errMissing("TargetSnapshotName"))
		return
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		c.fail(err)
		return
	}
	src, found := s.snapshots[key(region, srcName)]
	if !found {
		c.fail(errSnapshotNotFound(srcName))
		return
	}
	now := c.now()
	if st := src.status(now); st != snapAvailable && st != snapCopying {
		c.fail(errInvalidSnapshotState(srcName, st))
		return
	}
	if bucket := str(in.TargetBucket); bucket != "" {
		if err := s.exportLocked(src, str(in.TargetSnapshotName), bucket, now, adm.FailSnapshot); err != nil {
			c.fail(err)
			return
		}
		c.ok(map[string]any{"Snapshot": src.json(now, false)})
		return
	}
	name, err := checkSnapshotName("TargetSnapshotName", str(in.TargetSnapshotName))
	if err != nil {
		c.fail(err)
		return
	}
	if _, exists := s.snapshots[key(region, name)]; exists {
		c.fail(errSnapshotAlreadyExists(name))
		return
	}
	if len(tags) > maxTagsPerResource {
		c.fail(errTagQuota(s.arn(region, "snapshot", name)))
		return
	}
	// "When copying a snapshot, the same KMS encryption key as the source is
	// used for the target unless specifically overridden." (Developer Guide,
	// "Copying a snapshot")
	kms := src.kmsKeyID
	if in.KmsKeyID != nil && *in.KmsKeyID != "" {
		kms = *in.KmsKeyID
	}
	d := src.durationForCopies
	cp := &snapshot{
		seq: s.nextSeq(), name: name, region: region, arn: s.arn(region, "snapshot", name),
		source: sourceManual, kmsKeyID: kms, cfg: src.cfg, dataSizeMB: src.dataSizeMB,
		tags: tags, started: now, doneAt: now.Add(d), failed: adm.FailSnapshot, durationForCopies: d,
	}
	s.snapshots[key(region, name)] = cp
	src.copyingUntil = later(src.copyingUntil, cp.doneAt)
	c.ok(map[string]any{"Snapshot": cp.json(now, false)})
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// export is a copy to S3 in progress: one .rdb object per shard, written
// when it completes.
type export struct {
	bucket  string
	keys    []string
	seed    string
	ctime   time.Time
	doneAt  time.Time
	failed  bool
	written bool
}

// Export object size: a few KB whatever the data size (brief: keep exported
// objects small).
const (
	exportKeys      = 50
	exportValueSize = 64
)

// finish writes the export's objects (unless it failed) to the bucket.
func (e *export) finish(store emu.ObjectStore) {
	if e.failed || e.written || store == nil {
		return
	}
	e.written = true
	b, ok := store.Bucket(e.bucket)
	if !ok {
		return // the bucket went away meanwhile: nothing lands
	}
	for i, k := range e.keys {
		var buf bytes.Buffer
		if _, err := rdb.Generate(&buf, rdb.Options{
			Seed: fmt.Sprintf("%s/%04d", e.seed, i+1), Keys: exportKeys, ValueSize: exportValueSize, CTime: e.ctime,
		}); err != nil {
			return
		}
		if err := b.PutObject(k, buf.Bytes()); err != nil {
			return
		}
	}
}

// exportLocked starts exporting src to bucket as <target>-0001.rdb … one
// object per shard ("MemoryDB adds a shard identifier and .rdb to the value
// that you enter here. For example, if you enter my-exported-snapshot,
// MemoryDB creates my-exported-snapshot-0001.rdb." Developer Guide,
// "Exporting a snapshot").
//
// The checks are synchronous: the guide says "you receive one of the
// following error messages" when the bucket lacks permissions, which is an
// answer to the copy-snapshot call. In order:
//
//   - data tiering: "You cannot export a snapshot to Amazon S3 for
//     data-tiering clusters." (Developer Guide, "Data tiering limitations");
//   - the bucket must exist and be in the snapshot's Region ("The MemoryDB
//     snapshot and the Amazon S3 bucket that you want to copy it to must be
//     in the same AWS Region");
//   - its policy must allow the service principal
//     <region>.memorydb-snapshot.amazonaws.com s3:PutObject, s3:GetObject,
//     s3:ListBucket, s3:GetBucketAcl, s3:ListMultipartUploadParts and
//     s3:ListBucketMultipartUploads on the bucket and its objects (Step 2),
//     reported as READ (ListBucket, GetObject), WRITE (PutObject and the
//     multipart actions) or READ_ACP (GetBucketAcl) with the guide's
//     messages;
//   - its Object Ownership must allow ACLs ("Change the S3 Object Ownership
//     to ACLs enabled - Bucket owner preferred.", Step 3);
//   - no object of the same name may exist ("MemoryDB does not permit
//     overwriting a snapshot, therefore this name must be unique within its
//     context - MemoryDB or an Amazon S3 bucket if exporting.", model).
//
// MemoryDB does not document the codes nor the texts for the missing,
// foreign-region and occupied cases; they are sent as
// InvalidParameterValueException with the texts ElastiCache documents for
// the same cases (ElastiCache API Reference, CopySnapshot), with "MemoryDB"
// for "ElastiCache".
func (s *Service) exportLocked(src *snapshot, target, bucketName string, now time.Time, fail bool) *emu.APIError {
	if err := checkExportName(target); err != nil {
		return err
	}
	if !targetBucketPattern.MatchString(bucketName) {
		return errInvalidValue("Invalid TargetBucket: %s", bucketName)
	}
	if src.cfg.dataTiering {
		return errInvalidValue("Exporting a snapshot to Amazon S3 is not supported for clusters using data tiering: %s", src.name)
	}
	var b emu.Bucket
	found := false
	if s.env.Store != nil {
		b, found = s.env.Store.Bucket(bucketName)
	}
	if !found {
		return errInvalidValue("The S3 bucket %s does not exist.", bucketName)
	}
	if b.Region() != src.region {
		return errInvalidValue("The S3 bucket %s is outside of the region.", bucketName)
	}
	keys := make([]string, src.cfg.numShards)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s-%04d.rdb", target, i+1)
	}
	principal := src.region + ".memorydb-snapshot.amazonaws.com"
	bucketARN := "arn:aws:s3:::" + bucketName
	allows := func(action, resource string) bool { return b.PolicyAllows(principal, action, resource) }
	allObjects := func(action string) bool {
		for _, k := range keys {
			if !allows(action, bucketARN+"/"+k) {
				return false
			}
		}
		return true
	}
	notGranted := func(perm string) *emu.APIError {
		return errInvalidValue("MemoryDB has not been granted %s permissions %s on the S3 Bucket.", perm, bucketName)
	}
	switch {
	case !allows("s3:ListBucket", bucketARN) || !allObjects("s3:GetObject"):
		return notGranted("READ")
	case !allObjects("s3:PutObject") || !allObjects("s3:ListMultipartUploadParts") ||
		!allows("s3:ListBucketMultipartUploads", bucketARN):
		return notGranted("WRITE")
	case !allows("s3:GetBucketAcl", bucketARN):
		return notGranted("READ_ACP")
	}
	if b.ObjectOwnership() == "BucketOwnerEnforced" {
		return errInvalidValue("The S3 bucket %s has ACLs disabled (Object Ownership BucketOwnerEnforced); MemoryDB needs ACLs enabled - Bucket owner preferred.", bucketName)
	}
	for _, k := range keys {
		if b.ObjectExists(k) || s.pendingExport(bucketName, k) {
			return errInvalidValue("The S3 bucket %s already contains an object with key %s.", bucketName, k)
		}
	}
	e := &export{
		bucket: bucketName, keys: keys, seed: src.arn, ctime: src.started,
		doneAt: now.Add(src.durationForCopies), failed: fail,
	}
	s.exports = append(s.exports, e)
	src.copyingUntil = later(src.copyingUntil, e.doneAt)
	return nil
}

// pendingExport reports whether an export in progress will write bucket/key.
func (s *Service) pendingExport(bucket, key string) bool {
	for _, e := range s.exports {
		if e.bucket != bucket {
			continue
		}
		for _, k := range e.keys {
			if k == key {
				return true
			}
		}
	}
	return false
}
