package localelasticache

import (
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Serverless snapshot quota: "During any contiguous 24-hour period, you can
// create no more than 24 manual backups per serverless cache" (User Guide,
// "Snapshot and restore", Backup constraints).
const serverlessSnapshotsPerDay = 24

// serverlessSpec is what CreateServerlessCache and the seed ask for.
type serverlessSpec struct {
	name, description string
	engine, major     string
	kmsKeyID          string
	retention         int
	dailySnapshotTime string
	tags              []tag
	shards            int
	dataSizeMB        int64
	snapshotSeconds   time.Duration
}

// Major engine versions accepted, and the full version each reports
// (assumed current versions).
var serverlessFull = map[string]map[string]string{
	"valkey":    {"7": "7.2", "8": "8.0", "9": "9.0"},
	"redis":     {"7": "7.1"},
	"memcached": {"1.6": "1.6.22"},
}

// newServerlessCache validates spec and adds a serverless cache: Engine is
// required (model); the name follows the identifier rules of the other
// caches (assumed: 1 to 40 characters); the description is at most 255
// characters and SnapshotRetentionLimit at most 35 days (model).
func (s *Service) newServerlessCache(region string, spec serverlessSpec, now, availableAt time.Time) (*serverlessCache, *emu.APIError) {
	if err := validIdentifier("ServerlessCacheName", spec.name, 40); err != nil {
		return nil, err
	}
	name := strings.ToLower(spec.name)
	engine := strings.ToLower(spec.engine)
	majors, ok := serverlessFull[engine]
	if !ok {
		return nil, errInvalidValue("Invalid engine %q: valid values are valkey, redis and memcached.", spec.engine)
	}
	major := orDefault(spec.major, defaultMajors[engine])
	full, ok := majors[major]
	if !ok {
		return nil, errInvalidValue("Invalid MajorEngineVersion %q for engine %s.", major, engine)
	}
	if utf8.RuneCountInString(spec.description) > 255 {
		return nil, errInvalidValue("The description must be at most 255 characters.")
	}
	if spec.retention < 0 || spec.retention > 35 {
		return nil, errInvalidValue("Invalid value for SnapshotRetentionLimit: %d. The maximum value allowed is 35 days.", spec.retention)
	}
	tags, err := mergeTags(nil, spec.tags)
	if err != nil {
		return nil, err
	}
	if _, ok := s.caches[key(region, name)]; ok {
		return nil, errServerlessCacheExists(name)
	}
	shards := spec.shards
	if shards < 1 {
		shards = 1
	}
	c := &serverlessCache{
		lifecycle:         lifecycle{createdAt: now, availableAt: availableAt},
		sourceData:        sourceData{dataSizeMB: spec.dataSizeMB, snapshotSeconds: spec.snapshotSeconds},
		seq:               s.nextSeq(),
		region:            region,
		name:              name,
		arn:               s.arn(region, "serverlesscache", name),
		description:       spec.description,
		engine:            engine,
		major:             major,
		full:              full,
		kmsKeyID:          spec.kmsKeyID,
		retention:         spec.retention,
		dailySnapshotTime: spec.dailySnapshotTime,
		shards:            shards,
		tags:              tags,
	}
	s.caches[key(region, name)] = c
	return c, nil
}

// createServerlessCache: CreateServerlessCache (ServerlessCacheName and
// Engine required, model). Answers the cache "creating".
func (s *Service) createServerlessCache(c *call) {
	name, ok := c.required("ServerlessCacheName")
	if !ok {
		return
	}
	if _, ok := c.admit(s.arn(c.region(), "serverlesscache", strings.ToLower(name))); !ok {
		return
	}
	engine, ok := c.required("Engine")
	if !ok {
		return
	}
	if c.str("SnapshotArnsToRestore.SnapshotArn.1") != "" {
		c.fail(errInvalidValue("The parameter SnapshotArnsToRestore is not supported by the local ElastiCache."))
		return
	}
	retention, ok := c.optInt("SnapshotRetentionLimit")
	if !ok {
		return
	}
	spec := serverlessSpec{
		name:              name,
		description:       c.str("Description"),
		engine:            engine,
		major:             c.str("MajorEngineVersion"),
		kmsKeyID:          c.str("KmsKeyId"),
		dailySnapshotTime: c.str("DailySnapshotTime"),
		tags:              c.tagsParam(),
		dataSizeMB:        DefaultDataSizeMB,
	}
	if retention != nil {
		spec.retention = *retention
	}
	now := c.now()
	sc, err := s.newServerlessCache(c.region(), spec, now, now.Add(s.CreateDuration))
	if err != nil {
		c.fail(err)
		return
	}
	c.ok(struct {
		ServerlessCache xmlServerlessCache `xml:"ServerlessCache"`
	}{sc.xml(now)})
}

// describeServerlessCaches: DescribeServerlessCaches (ServerlessCacheName,
// NextToken, MaxResults: "The default is 50", model; no maximum is
// documented, 100 is assumed).
func (s *Service) describeServerlessCaches(c *call) {
	name := strings.ToLower(c.str("ServerlessCacheName"))
	res := ""
	if name != "" {
		res = s.arn(c.region(), "serverlesscache", name)
	}
	if _, ok := c.admit(res); !ok {
		return
	}
	max, ok := c.pageSize("MaxResults", 50, 1, 100)
	if !ok {
		return
	}
	var list []*serverlessCache
	if name != "" {
		sc, ok := s.caches[key(c.region(), name)]
		if !ok {
			c.fail(errServerlessCacheNotFound(name))
			return
		}
		list = append(list, sc)
	} else {
		for _, sc := range s.caches {
			if sc.region == c.region() {
				list = append(list, sc)
			}
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	page, next, err := emu.Page(list, c.str("NextToken"), max)
	if err != nil {
		c.fail(err)
		return
	}
	now := c.now()
	out := struct {
		NextToken        string               `xml:"NextToken,omitempty"`
		ServerlessCaches []xmlServerlessCache `xml:"ServerlessCaches>member"`
	}{NextToken: next}
	for _, sc := range page {
		out.ServerlessCaches = append(out.ServerlessCaches, sc.xml(now))
	}
	c.ok(out)
}

// deleteServerlessCache: DeleteServerlessCache (ServerlessCacheName,
// FinalSnapshotName). The cache must be available with no snapshot running
// (InvalidServerlessCacheStateFault); the final snapshot's name must be new
// (ServerlessCacheSnapshotAlreadyExistsFault, model).
func (s *Service) deleteServerlessCache(c *call) {
	name, adm, ok := c.named("ServerlessCacheName", "serverlesscache")
	if !ok {
		return
	}
	sc, found := s.caches[key(c.region(), name)]
	if !found {
		c.fail(errServerlessCacheNotFound(name))
		return
	}
	now := c.now()
	if sc.busy(now) {
		c.fail(errInvalidServerlessCacheState(name))
		return
	}
	goneAt := now.Add(s.DeleteDuration)
	if final := c.str("FinalSnapshotName"); final != "" {
		sn, err := s.snapshotOfServerless(c, sc, final, "", nil, adm.FailSnapshot, false)
		if err != nil {
			c.fail(err)
			return
		}
		if sn.readyAt.After(goneAt) {
			goneAt = sn.readyAt
		}
	}
	sc.deletingAt, sc.goneAt = now, goneAt
	c.ok(struct {
		ServerlessCache xmlServerlessCache `xml:"ServerlessCache"`
	}{sc.xml(now)})
}

// checkServerlessSnapshotName: "Must be between 1 and 255 characters. This
// value is stored as a lowercase string" and unique (model,
// CreateServerlessCacheSnapshot).
func (s *Service) checkServerlessSnapshotName(region, param, name string) (string, *emu.APIError) {
	if n := utf8.RuneCountInString(name); n < 1 || n > 255 {
		return "", errInvalidValue("The parameter %s must be between 1 and 255 characters.", param)
	}
	name = strings.ToLower(name)
	if _, ok := s.slSnapshots[key(region, name)]; ok {
		return "", errServerlessSnapshotExists(name)
	}
	return name, nil
}

// snapshotOfServerless takes a snapshot of a serverless cache, which
// refuses other operations until it ends. quota applies the 24-a-day limit
// (CreateServerlessCacheSnapshot; the final snapshot of
// DeleteServerlessCache does not model the quota fault).
func (s *Service) snapshotOfServerless(c *call, sc *serverlessCache, name, kmsKeyID string, tags []tag, fail, quota bool) (*serverlessSnapshot, *emu.APIError) {
	now := c.now()
	name, err := s.checkServerlessSnapshotName(sc.region, "ServerlessCacheSnapshotName", name)
	if err != nil {
		return nil, err
	}
	if sc.busy(now) {
		return nil, errInvalidServerlessCacheState(sc.name)
	}
	if quota && sc.recent(now) >= serverlessSnapshotsPerDay {
		return nil, errServerlessSnapshotQuota(sc.name)
	}
	tagMap, err := mergeTags(nil, tags)
	if err != nil {
		return nil, err
	}
	dur := s.snapshotDuration(sc.dataSizeMB, sc.snapshotSeconds)
	sn := &serverlessSnapshot{
		snapState:       snapState{createdAt: now, readyAt: now.Add(dur), failed: fail},
		seq:             s.nextSeq(),
		region:          sc.region,
		name:            name,
		arn:             s.arn(sc.region, "serverlesscachesnapshot", name),
		cacheName:       sc.name,
		engine:          sc.engine,
		major:           sc.major,
		kmsKeyID:        orDefault(kmsKeyID, sc.kmsKeyID),
		snapshotType:    "manual",
		shards:          sc.shards,
		dataSizeMB:      sc.dataSizeMB,
		snapshotSeconds: sc.snapshotSeconds,
		tags:            tagMap,
	}
	sc.busyUntil = sn.readyAt
	sc.quota = append(sc.quota, now)
	s.slSnapshots[key(sc.region, name)] = sn
	return sn, nil
}

// createServerlessCacheSnapshot: CreateServerlessCacheSnapshot
// (ServerlessCacheSnapshotName, ServerlessCacheName, KmsKeyId, Tags).
// Answers the snapshot with SnapshotType "manual" and Status "creating"
// (API Reference example).
func (s *Service) createServerlessCacheSnapshot(c *call) {
	if name := c.str("ServerlessCacheSnapshotName"); name != "" {
		c.req.AddResource(s.arn(c.region(), "serverlesscachesnapshot", strings.ToLower(name)))
	}
	cacheName, adm, ok := c.named("ServerlessCacheName", "serverlesscache")
	if !ok {
		return
	}
	name, ok := c.required("ServerlessCacheSnapshotName")
	if !ok {
		return
	}
	sc, found := s.caches[key(c.region(), cacheName)]
	if !found {
		c.fail(errServerlessCacheNotFound(cacheName))
		return
	}
	sn, err := s.snapshotOfServerless(c, sc, name, c.str("KmsKeyId"), c.tagsParam(), adm.FailSnapshot, true)
	if err != nil {
		c.fail(err)
		return
	}
	c.ok(struct {
		ServerlessCacheSnapshot xmlServerlessSnapshot `xml:"ServerlessCacheSnapshot"`
	}{sn.xml(c.now())})
}

// describeServerlessCacheSnapshots: DescribeServerlessCacheSnapshots
// (ServerlessCacheName, ServerlessCacheSnapshotName, SnapshotType,
// NextToken, MaxResults: "The default is 50 … a maximum of 50", model).
// A named snapshot that does not exist is
// ServerlessCacheSnapshotNotFoundFault; a cache name that names neither a
// cache nor any snapshot's cache is ServerlessCacheNotFoundFault.
func (s *Service) describeServerlessCacheSnapshots(c *call) {
	cacheName := strings.ToLower(c.str("ServerlessCacheName"))
	name := strings.ToLower(c.str("ServerlessCacheSnapshotName"))
	res := ""
	switch {
	case name != "":
		res = s.arn(c.region(), "serverlesscachesnapshot", name)
	case cacheName != "":
		res = s.arn(c.region(), "serverlesscache", cacheName)
	}
	if _, ok := c.admit(res); !ok {
		return
	}
	max, ok := c.pageSize("MaxResults", 50, 1, 50)
	if !ok {
		return
	}
	typ := c.str("SnapshotType")
	var list []*serverlessSnapshot
	for _, sn := range s.slSnapshots {
		if sn.region != c.region() ||
			(name != "" && sn.name != name) ||
			(cacheName != "" && sn.cacheName != cacheName) ||
			(typ != "" && sn.snapshotType != typ) {
			continue
		}
		list = append(list, sn)
	}
	if name != "" && len(list) == 0 {
		if _, ok := s.slSnapshots[key(c.region(), name)]; !ok {
			c.fail(errServerlessSnapshotNotFound(name))
			return
		}
	}
	if cacheName != "" && len(list) == 0 {
		if _, ok := s.caches[key(c.region(), cacheName)]; !ok {
			c.fail(errServerlessCacheNotFound(cacheName))
			return
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	page, next, err := emu.Page(list, c.str("NextToken"), max)
	if err != nil {
		c.fail(err)
		return
	}
	now := c.now()
	out := struct {
		NextToken                string                  `xml:"NextToken,omitempty"`
		ServerlessCacheSnapshots []xmlServerlessSnapshot `xml:"ServerlessCacheSnapshots>ServerlessCacheSnapshot"`
	}{NextToken: next}
	for _, sn := range page {
		out.ServerlessCacheSnapshots = append(out.ServerlessCacheSnapshots, sn.xml(now))
	}
	c.ok(out)
}

// serverlessSource finds the snapshot a copy or export reads, which must be
// available (InvalidServerlessCacheSnapshotStateFault otherwise).
func (s *Service) serverlessSource(c *call, name string) (*serverlessSnapshot, *emu.APIError) {
	sn, ok := s.slSnapshots[key(c.region(), name)]
	if !ok {
		return nil, errServerlessSnapshotNotFound(name)
	}
	if sn.status(c.now()) != statusAvailable {
		return nil, errInvalidServerlessCacheSnapshotState(name)
	}
	return sn, nil
}

// copyServerlessCacheSnapshot: CopyServerlessCacheSnapshot
// (SourceServerlessCacheSnapshotName, TargetServerlessCacheSnapshotName,
// KmsKeyId, Tags). The copy is "creating" until it ends; the source shows
// "copying" meanwhile (assumed, as for node-based snapshots).
func (s *Service) copyServerlessCacheSnapshot(c *call) {
	if target := c.str("TargetServerlessCacheSnapshotName"); target != "" {
		c.req.AddResource(s.arn(c.region(), "serverlesscachesnapshot", strings.ToLower(target)))
	}
	srcName, adm, ok := c.named("SourceServerlessCacheSnapshotName", "serverlesscachesnapshot")
	if !ok {
		return
	}
	target, ok := c.required("TargetServerlessCacheSnapshotName")
	if !ok {
		return
	}
	src, err := s.serverlessSource(c, srcName)
	if err != nil {
		c.fail(err)
		return
	}
	name, err := s.checkServerlessSnapshotName(c.region(), "TargetServerlessCacheSnapshotName", target)
	if err != nil {
		c.fail(err)
		return
	}
	tagMap, err := mergeTags(nil, c.tagsParam())
	if err != nil {
		c.fail(err)
		return
	}
	now := c.now()
	dur := s.snapshotDuration(src.dataSizeMB, src.snapshotSeconds)
	cp := *src
	cp.snapState = snapState{createdAt: now, readyAt: now.Add(dur), failed: adm.FailSnapshot}
	cp.seq = s.nextSeq()
	cp.name = name
	cp.arn = s.arn(c.region(), "serverlesscachesnapshot", name)
	cp.snapshotType = "manual"
	cp.kmsKeyID = orDefault(c.str("KmsKeyId"), src.kmsKeyID)
	cp.tags = tagMap
	src.busyUntil, src.busyStatus = cp.readyAt, statusCopying
	s.slSnapshots[key(c.region(), name)] = &cp
	c.ok(struct {
		ServerlessCacheSnapshot xmlServerlessSnapshot `xml:"ServerlessCacheSnapshot"`
	}{cp.xml(now)})
}

// exportServerlessCacheSnapshot: ExportServerlessCacheSnapshot
// (ServerlessCacheSnapshotName, S3BucketName; "Available for Valkey and
// Redis OSS only", "The Amazon S3 bucket must also be in same region as the
// snapshot", model). The bucket is checked as for CopySnapshot (export.go).
// The objects are <snapshot name>-0001.rdb …, one per internal shard of the
// cache (assumed; the seed's shards, 1 by default). The snapshot shows
// "exporting" until the export ends (assumed).
func (s *Service) exportServerlessCacheSnapshot(c *call) {
	if bucket := c.str("S3BucketName"); bucket != "" {
		c.req.AddResource(bucketARN(bucket))
	}
	name, adm, ok := c.named("ServerlessCacheSnapshotName", "serverlesscachesnapshot")
	if !ok {
		return
	}
	bucket, ok := c.required("S3BucketName")
	if !ok {
		return
	}
	sn, err := s.serverlessSource(c, name)
	if err != nil {
		c.fail(err)
		return
	}
	if sn.engine == "memcached" {
		c.fail(errInvalidValue("Serverless cache snapshot %s is of a Memcached cache; exporting to Amazon S3 is available for Valkey and Redis OSS only.", name))
		return
	}
	keys := exportKeys(name, sn.shards)
	if err := s.checkBucket(c.region(), bucket, keys); err != nil {
		c.fail(err)
		return
	}
	now := c.now()
	d := s.snapshotDuration(sn.dataSizeMB, sn.snapshotSeconds)
	s.startExport(c.region(), sn.name, bucket, keys, sn.createdAt, now, d, adm.FailSnapshot)
	sn.busyUntil, sn.busyStatus = now.Add(d), statusExporting
	c.ok(struct {
		ServerlessCacheSnapshot xmlServerlessSnapshot `xml:"ServerlessCacheSnapshot"`
	}{sn.xml(now)})
}

// deleteServerlessCacheSnapshot: DeleteServerlessCacheSnapshot
// (ServerlessCacheSnapshotName). Answers the snapshot "deleting"; one being
// created, copied or exported cannot be deleted
// (InvalidServerlessCacheSnapshotStateFault).
func (s *Service) deleteServerlessCacheSnapshot(c *call) {
	name, _, ok := c.named("ServerlessCacheSnapshotName", "serverlesscachesnapshot")
	if !ok {
		return
	}
	sn, found := s.slSnapshots[key(c.region(), name)]
	if !found {
		c.fail(errServerlessSnapshotNotFound(name))
		return
	}
	now := c.now()
	if st := sn.status(now); st != statusAvailable && st != statusFailed {
		c.fail(errInvalidServerlessCacheSnapshotState(name))
		return
	}
	sn.deletingAt, sn.goneAt = now, now.Add(s.SnapshotDeleteDuration)
	c.ok(struct {
		ServerlessCacheSnapshot xmlServerlessSnapshot `xml:"ServerlessCacheSnapshot"`
	}{sn.xml(now)})
}
