package localelasticache

import (
	"sort"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Manual snapshot quota: "During any contiguous 24-hour period, you can
// create no more than 20 manual backups per node. Thus a 4-node Redis
// (cluster mode disabled) cluster can take 80 manual backups in any
// contiguous 24-hour period" (ElastiCache User Guide, "Taking manual
// backups"). The local ElastiCache counts every CreateSnapshot and final
// snapshot of a replication group (or of any of its member clusters)
// against 20 × the group's node count, and of a standalone cluster against
// 20. Copies are not counted (assumed: the rule is per node).
const snapshotsPerNodePerDay = 20

// snapshotDuration is how long a snapshot (or copy, or export) of dataSizeMB
// takes, per the local AWS's duration model; a seed's snapshotSeconds wins.
func (s *Service) snapshotDuration(dataSizeMB int64, override time.Duration) time.Duration {
	return s.env.SnapshotModel.Duration(dataSizeMB, override)
}

// checkNewSnapshot applies what every new node-based snapshot must pass:
// its name (naming rules, stored in lower case, unique in the region) and
// tags. It returns the lowercased name and the tags.
func (s *Service) checkNewSnapshot(region, param, name string, tags []tag) (string, map[string]string, *emu.APIError) {
	if err := validIdentifier(param, name, 40); err != nil {
		return "", nil, err
	}
	name = strings.ToLower(name)
	if _, ok := s.snapshots[key(region, name)]; ok {
		return "", nil, errSnapshotExists(name)
	}
	m, err := mergeTags(nil, tags)
	if err != nil {
		return "", nil, err
	}
	return name, m, nil
}

// checkQuota applies the 24-hour manual snapshot quota of a source.
func checkQuota(d *sourceData, source string, nodes int, now time.Time) *emu.APIError {
	limit := snapshotsPerNodePerDay * nodes
	if d.recent(now) >= limit {
		return errSnapshotQuota(source, limit)
	}
	return nil
}

// snapshotOfGroup takes a snapshot of a whole replication group, one node
// per shard (a replica when the shard has one, as ElastiCache prefers;
// User Guide "Performance impact of backups"). The group and the chosen
// nodes show snapshotting until it ends.
func (s *Service) snapshotOfGroup(c *call, g *replicationGroup, name, kmsKeyID string, tags []tag, fail bool) (*snapshot, *emu.APIError) {
	now := c.now()
	name, tagMap, err := s.checkNewSnapshot(g.region, "SnapshotName", name, tags)
	if err != nil {
		return nil, err
	}
	if st := g.status(now); st != statusAvailable {
		return nil, errInvalidReplicationGroupState(g.id, st)
	}
	if err := checkQuota(&g.sourceData, "replication group "+g.id, g.nodeCount(), now); err != nil {
		return nil, err
	}
	dur := s.snapshotDuration(g.dataSizeMB, g.snapshotSeconds)
	sn := &snapshot{
		snapState:         snapState{createdAt: now, readyAt: now.Add(dur), failed: fail},
		seq:               s.nextSeq(),
		region:            g.region,
		name:              name,
		arn:               s.arn(g.region, "snapshot", name),
		source:            "manual",
		groupID:           g.id,
		groupDesc:         g.description,
		engine:            g.engine,
		version:           g.version,
		nodeType:          g.nodeType,
		maintenanceWindow: g.maintenanceWindow,
		snapshotWindow:    g.snapshotWindow,
		paramGroup:        g.paramGroup,
		port:              g.port,
		retention:         g.retention,
		numNodeGroups:     len(g.shards),
		automaticFailover: enabled(g.automaticFailover),
		dataTiering:       g.dataTiering,
		kmsKeyID:          orDefault(kmsKeyID, g.kmsKeyID),
		dataSizeMB:        g.dataSizeMB,
		snapshotSeconds:   g.snapshotSeconds,
		dataTakenAt:       now,
		tags:              tagMap,
	}
	per := (g.dataSizeMB + int64(len(g.shards)) - 1) / int64(len(g.shards))
	for i, sh := range g.shards {
		node := sh.members[len(sh.members)-1]
		node.busyUntil = sn.readyAt
		if i == 0 {
			g.snapshottingCluster = node.id
		}
		ns := nodeSnapshot{
			clusterID:    node.id,
			nodeGroupID:  sh.id,
			nodeID:       "0001",
			slots:        sh.slots,
			replicaCount: len(sh.members) - 1,
			primaryAZ:    sh.members[0].az,
			nodeCreated:  node.availableAt,
			sizeMB:       per,
		}
		for _, r := range sh.members[1:] {
			ns.replicaAZs = append(ns.replicaAZs, r.az)
		}
		sn.nodes = append(sn.nodes, ns)
	}
	g.busyUntil = sn.readyAt
	g.quota = append(g.quota, now)
	s.snapshots[key(g.region, name)] = sn
	return sn, nil
}

// snapshotOfCluster takes a snapshot of one cache cluster: a standalone
// Valkey / Redis OSS cluster or a member of a cluster-mode-disabled
// replication group ("If the cluster you're backing up has one or more
// replica nodes, CacheClusterId is the name of the node in the cluster you
// want to use for the backup", User Guide). Memcached cannot snapshot
// (SnapshotFeatureNotSupportedFault, model) and cluster-mode-enabled groups
// snapshot at replication-group level only (User Guide, Backup
// constraints).
func (s *Service) snapshotOfCluster(c *call, cl *cacheCluster, name, kmsKeyID string, tags []tag, fail bool) (*snapshot, *emu.APIError) {
	now := c.now()
	if cl.memcached() {
		return nil, errSnapshotNotSupported("Cache cluster %s runs Memcached, which does not support snapshots.", cl.id)
	}
	if strings.HasPrefix(cl.nodeType, "cache.t1.") {
		return nil, errSnapshotNotSupported("Snapshots are not supported for cache cluster %s on node type %s.", cl.id, cl.nodeType)
	}
	g := cl.group
	if g != nil && g.clusterMode {
		return nil, errInvalidValue("Cache cluster %s belongs to replication group %s, which has cluster mode enabled: snapshots are taken at replication-group level only (use ReplicationGroupId).", cl.id, g.id)
	}
	name, tagMap, err := s.checkNewSnapshot(cl.region, "SnapshotName", name, tags)
	if err != nil {
		return nil, err
	}
	if g != nil {
		if st := g.status(now); st != statusAvailable {
			return nil, errInvalidCacheClusterState(cl.id, cl.status(now))
		}
	} else if st := cl.status(now); st != statusAvailable {
		return nil, errInvalidCacheClusterState(cl.id, st)
	}
	quota, nodes, dataMB, override := &cl.sourceData, 1, cl.dataSizeMB, cl.snapshotSeconds
	if g != nil {
		quota, nodes, dataMB, override = &g.sourceData, g.nodeCount(), g.dataSizeMB, g.snapshotSeconds
	}
	if err := checkQuota(quota, "cache cluster "+cl.id, nodes, now); err != nil {
		return nil, err
	}
	dur := s.snapshotDuration(dataMB, override)
	sn := &snapshot{
		snapState:         snapState{createdAt: now, readyAt: now.Add(dur), failed: fail},
		seq:               s.nextSeq(),
		region:            cl.region,
		name:              name,
		arn:               s.arn(cl.region, "snapshot", name),
		source:            "manual",
		clusterID:         cl.id,
		engine:            cl.engine,
		version:           cl.version,
		nodeType:          cl.nodeType,
		numCacheNodes:     1,
		az:                cl.az,
		clusterCreated:    cl.createdAt,
		maintenanceWindow: cl.maintenanceWindow,
		snapshotWindow:    cl.snapshotWindow,
		paramGroup:        cl.paramGroup,
		port:              cl.port,
		retention:         cl.retention,
		kmsKeyID:          kmsKeyID,
		dataSizeMB:        dataMB,
		snapshotSeconds:   override,
		dataTakenAt:       now,
		tags:              tagMap,
		nodes:             []nodeSnapshot{{nodeID: "0001", nodeCreated: cl.availableAt, sizeMB: dataMB}},
	}
	cl.busyUntil = sn.readyAt
	if g != nil {
		g.busyUntil = sn.readyAt
		g.snapshottingCluster = cl.id
	}
	quota.quota = append(quota.quota, now)
	s.snapshots[key(cl.region, name)] = sn
	return sn, nil
}

// createSnapshot: CreateSnapshot (ReplicationGroupId or CacheClusterId,
// SnapshotName, KmsKeyId, Tags). Answers the snapshot "creating" with
// SnapshotSource "manual" (AWS CLI create-snapshot example); the source
// shows snapshotting and refuses another snapshot or a delete meanwhile
// ("During the backup process you cannot perform any additional API or CLI
// operations on the cluster", User Guide, Backup constraints).
func (s *Service) createSnapshot(c *call) {
	rgID := strings.ToLower(c.str("ReplicationGroupId"))
	clID := strings.ToLower(c.str("CacheClusterId"))
	res := s.arn(c.region(), "replicationgroup", rgID)
	if rgID == "" {
		res = s.arn(c.region(), "cluster", clID)
	}
	if name := c.str("SnapshotName"); name != "" {
		c.req.AddResource(s.arn(c.region(), "snapshot", strings.ToLower(name)))
	}
	adm, ok := c.admit(res)
	if !ok {
		return
	}
	name, ok := c.required("SnapshotName")
	if !ok {
		return
	}
	switch {
	case rgID != "" && clID != "":
		c.fail(errInvalidCombination("Specify either ReplicationGroupId or CacheClusterId, not both."))
		return
	case rgID == "" && clID == "":
		c.fail(errInvalidCombination("Either ReplicationGroupId or CacheClusterId must be specified."))
		return
	}
	var sn *snapshot
	var err *emu.APIError
	if rgID != "" {
		g, found := s.groups[key(c.region(), rgID)]
		if !found {
			c.fail(errReplicationGroupNotFound(rgID))
			return
		}
		sn, err = s.snapshotOfGroup(c, g, name, c.str("KmsKeyId"), c.tagsParam(), adm.FailSnapshot)
	} else {
		cl, found := s.clusters[key(c.region(), clID)]
		if !found {
			c.fail(errCacheClusterNotFound(clID))
			return
		}
		sn, err = s.snapshotOfCluster(c, cl, name, c.str("KmsKeyId"), c.tagsParam(), adm.FailSnapshot)
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.ok(struct {
		Snapshot xmlSnapshot `xml:"Snapshot"`
	}{sn.xml(c.now(), false)})
}

// describeSnapshots: DescribeSnapshots (ReplicationGroupId, CacheClusterId,
// SnapshotName, SnapshotSource "system" | "user", ShowNodeGroupConfig,
// Marker, MaxRecords: default 50, minimum 20, maximum 50 per the model).
// A named snapshot that does not exist is SnapshotNotFoundFault; a
// CacheClusterId that names no cluster and no snapshot is
// CacheClusterNotFound (both in the operation's errors).
func (s *Service) describeSnapshots(c *call) {
	name := strings.ToLower(c.str("SnapshotName"))
	rgID := strings.ToLower(c.str("ReplicationGroupId"))
	clID := strings.ToLower(c.str("CacheClusterId"))
	res := ""
	switch {
	case name != "":
		res = s.arn(c.region(), "snapshot", name)
	case rgID != "":
		res = s.arn(c.region(), "replicationgroup", rgID)
	case clID != "":
		res = s.arn(c.region(), "cluster", clID)
	}
	if _, ok := c.admit(res); !ok {
		return
	}
	max, ok := c.pageSize("MaxRecords", 50, 20, 50)
	if !ok {
		return
	}
	showConfig, ok := c.optBool("ShowNodeGroupConfig")
	if !ok {
		return
	}
	// SnapshotSource: "If set to system, the output shows snapshots that
	// were automatically created by ElastiCache. If set to user the output
	// shows snapshots that were manually created" (model).
	wantSource := ""
	switch src := c.str("SnapshotSource"); src {
	case "":
	case "system":
		wantSource = "automated"
	case "user":
		wantSource = "manual"
	default:
		c.fail(errInvalidValue("Invalid value for SnapshotSource: %q. Valid values are system and user.", src))
		return
	}
	var list []*snapshot
	for _, sn := range s.snapshots {
		if sn.region != c.region() ||
			(name != "" && sn.name != name) ||
			(rgID != "" && sn.groupID != rgID) ||
			(clID != "" && sn.clusterID != clID) ||
			(wantSource != "" && sn.source != wantSource) {
			continue
		}
		list = append(list, sn)
	}
	if name != "" && len(list) == 0 {
		if _, ok := s.snapshots[key(c.region(), name)]; !ok {
			c.fail(errSnapshotNotFound(name))
			return
		}
	}
	if clID != "" && len(list) == 0 {
		if _, ok := s.clusters[key(c.region(), clID)]; !ok {
			c.fail(errCacheClusterNotFound(clID))
			return
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	page, marker, err := emu.Page(list, c.str("Marker"), max)
	if err != nil {
		c.fail(err)
		return
	}
	now := c.now()
	out := struct {
		Marker    string        `xml:"Marker,omitempty"`
		Snapshots []xmlSnapshot `xml:"Snapshots>Snapshot"`
	}{Marker: marker}
	for _, sn := range page {
		out.Snapshots = append(out.Snapshots, sn.xml(now, showConfig != nil && *showConfig))
	}
	c.ok(out)
}

// copySnapshot: CopySnapshot (SourceSnapshotName, TargetSnapshotName,
// TargetBucket, KmsKeyId, Tags). Without TargetBucket it makes a new manual
// snapshot, "creating" until the copy ends (AWS CLI copy-snapshot example);
// with it, it exports to S3 (export.go). The source must be available
// (InvalidSnapshotState otherwise) and shows "copying" while it is read (the
// documented SnapshotStatus values are creating | available | restoring |
// copying | deleting; which snapshot shows copying is assumed).
func (s *Service) copySnapshot(c *call) {
	// The copy, or with TargetBucket the bucket it is exported to.
	if bucket := c.str("TargetBucket"); bucket != "" {
		c.req.AddResource(bucketARN(bucket))
	} else if target := c.str("TargetSnapshotName"); target != "" {
		c.req.AddResource(s.arn(c.region(), "snapshot", strings.ToLower(target)))
	}
	srcName, adm, ok := c.named("SourceSnapshotName", "snapshot")
	if !ok {
		return
	}
	target, ok := c.required("TargetSnapshotName")
	if !ok {
		return
	}
	src, found := s.snapshots[key(c.region(), srcName)]
	if !found {
		c.fail(errSnapshotNotFound(srcName))
		return
	}
	now := c.now()
	if bucket := c.str("TargetBucket"); bucket != "" {
		s.exportSnapshot(c, src, target, bucket, adm.FailSnapshot)
		return
	}
	name, tagMap, err := s.checkNewSnapshot(c.region(), "TargetSnapshotName", target, c.tagsParam())
	if err != nil {
		c.fail(err)
		return
	}
	if st := src.status(now); st != statusAvailable {
		c.fail(errInvalidSnapshotState(src.name, st))
		return
	}
	dur := s.snapshotDuration(src.dataSizeMB, src.snapshotSeconds)
	cp := *src
	cp.snapState = snapState{createdAt: now, readyAt: now.Add(dur), failed: adm.FailSnapshot}
	cp.seq = s.nextSeq()
	cp.name = name
	cp.arn = s.arn(c.region(), "snapshot", name)
	cp.source = "manual"
	cp.kmsKeyID = orDefault(c.str("KmsKeyId"), src.kmsKeyID)
	cp.tags = tagMap
	cp.nodes = append([]nodeSnapshot(nil), src.nodes...)
	src.busyUntil, src.busyStatus = cp.readyAt, statusCopying
	s.snapshots[key(c.region(), name)] = &cp
	c.ok(struct {
		Snapshot xmlSnapshot `xml:"Snapshot"`
	}{cp.xml(now, false)})
}

// deleteSnapshot: DeleteSnapshot (SnapshotName). Answers the snapshot with
// status "deleting" (AWS CLI delete-snapshot example); a snapshot being
// created, copied or exported cannot be deleted (InvalidSnapshotState).
func (s *Service) deleteSnapshot(c *call) {
	name, _, ok := c.named("SnapshotName", "snapshot")
	if !ok {
		return
	}
	sn, found := s.snapshots[key(c.region(), name)]
	if !found {
		c.fail(errSnapshotNotFound(name))
		return
	}
	now := c.now()
	if st := sn.status(now); st != statusAvailable && st != statusFailed {
		c.fail(errInvalidSnapshotState(name, st))
		return
	}
	sn.deletingAt, sn.goneAt = now, now.Add(s.SnapshotDeleteDuration)
	c.ok(struct {
		Snapshot xmlSnapshot `xml:"Snapshot"`
	}{sn.xml(now, false)})
}
