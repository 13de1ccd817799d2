package localelasticache

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// groupSpec is what CreateReplicationGroup and the seed ask for.
type groupSpec struct {
	id, description   string
	engine, version   string
	nodeType          string
	clusterMode       string // "enabled", "disabled" or "" (decided by the shard count)
	numNodeGroups     *int
	replicasPerShard  *int
	numCacheClusters  *int
	automaticFailover *bool
	multiAZ           *bool
	dataTiering       *bool
	kmsKeyID          string
	retention         int
	snapshotWindow    string
	maintenanceWindow string
	port              int
	paramGroup        string
	tags              []tag
	dataSizeMB        int64
	snapshotSeconds   time.Duration
}

// newReplicationGroup validates spec and adds the group (and its member
// clusters) to region, available from availableAt. It is the one code path
// of CreateReplicationGroup and the seed.
//
// Rules (model documentation of CreateReplicationGroup): Engine valkey or
// redis; NumNodeGroups > 1 makes cluster mode enabled ("For … cluster mode
// disabled either omit this parameter or set it to 1"); ReplicasPerNodeGroup
// 0 to 5; NumCacheClusters 1 to 6 and at least 2 with automatic failover;
// automatic failover must be enabled with cluster mode enabled; data
// tiering "is only supported for replication groups using the r6gd node
// type" and "must be set to true when using r6gd nodes".
func (s *Service) newReplicationGroup(region string, spec groupSpec, now, availableAt time.Time) (*replicationGroup, *emu.APIError) {
	if err := validIdentifier("ReplicationGroupId", spec.id, 40); err != nil {
		return nil, err
	}
	id := strings.ToLower(spec.id)
	engine := strings.ToLower(spec.engine)
	if engine == "" {
		engine = "redis"
	}
	if engine != "redis" && engine != "valkey" {
		return nil, errInvalidValue("Invalid engine %q for a replication group: the value must be valkey or redis.", spec.engine)
	}
	version := orDefault(spec.version, defaultVersions[engine])
	nodeType := orDefault(spec.nodeType, defaultNodeType)
	r6gd := strings.Contains(nodeType, ".r6gd.")
	tiering := spec.dataTiering != nil && *spec.dataTiering
	switch {
	case tiering && !r6gd:
		return nil, errInvalidCombination("Data tiering is only supported for replication groups using the r6gd node type, not %s.", nodeType)
	case r6gd && !tiering:
		return nil, errInvalidCombination("DataTieringEnabled must be set to true when using %s nodes.", nodeType)
	}

	shards := 1
	if spec.numNodeGroups != nil {
		shards = *spec.numNodeGroups
	}
	if shards < 1 || shards > 500 {
		return nil, errInvalidValue("Invalid value for NumNodeGroups: %d. It must be between 1 and 500.", shards)
	}
	var clusterMode bool
	switch strings.ToLower(spec.clusterMode) {
	case "enabled":
		clusterMode = true
	case "disabled", "":
		clusterMode = shards > 1
		if spec.clusterMode != "" && shards > 1 {
			return nil, errInvalidCombination("NumNodeGroups must be 1 when ClusterMode is disabled.")
		}
	case "compatible":
		return nil, errInvalidValue("ClusterMode compatible is not supported by the local ElastiCache at creation.")
	default:
		return nil, errInvalidValue("Invalid value for ClusterMode: %q.", spec.clusterMode)
	}
	if spec.replicasPerShard != nil && (*spec.replicasPerShard < 0 || *spec.replicasPerShard > 5) {
		return nil, errInvalidValue("Invalid value for ReplicasPerNodeGroup: %d. Valid values are 0 to 5.", *spec.replicasPerShard)
	}
	failover := spec.automaticFailover != nil && *spec.automaticFailover
	replicas := 0
	if clusterMode {
		if spec.automaticFailover != nil && !*spec.automaticFailover {
			return nil, errInvalidCombination("AutomaticFailoverEnabled must be enabled for Valkey or Redis OSS (cluster mode enabled) replication groups.")
		}
		failover = true
		if spec.replicasPerShard != nil {
			replicas = *spec.replicasPerShard
		}
	} else {
		nodes := 1
		switch {
		case spec.numCacheClusters != nil:
			nodes = *spec.numCacheClusters
		case spec.replicasPerShard != nil:
			nodes = 1 + *spec.replicasPerShard
		case failover:
			nodes = 2
		}
		if nodes < 1 || nodes > 6 {
			return nil, errInvalidValue("Invalid value for NumCacheClusters: %d. The maximum permitted value is 6 (1 primary plus 5 replicas).", nodes)
		}
		if failover && nodes < 2 {
			return nil, errInvalidValue("NumCacheClusters must be at least 2 when AutomaticFailoverEnabled is true.")
		}
		replicas = nodes - 1
	}
	multiAZ := spec.multiAZ != nil && *spec.multiAZ
	if multiAZ && !failover {
		return nil, errInvalidCombination("MultiAZEnabled requires AutomaticFailoverEnabled.")
	}
	if spec.retention < 0 || spec.retention > 35 {
		return nil, errInvalidValue("Invalid value for SnapshotRetentionLimit: %d. The maximum is 35 days.", spec.retention)
	}
	tags, err := mergeTags(nil, spec.tags)
	if err != nil {
		return nil, err
	}
	if _, ok := s.groups[key(region, id)]; ok {
		return nil, errReplicationGroupExists(id)
	}

	g := &replicationGroup{
		lifecycle:         lifecycle{createdAt: now, availableAt: availableAt},
		sourceData:        sourceData{dataSizeMB: spec.dataSizeMB, snapshotSeconds: spec.snapshotSeconds},
		seq:               s.nextSeq(),
		region:            region,
		id:                id,
		arn:               s.arn(region, "replicationgroup", id),
		description:       spec.description,
		engine:            engine,
		version:           version,
		nodeType:          nodeType,
		clusterMode:       clusterMode,
		automaticFailover: failover,
		multiAZ:           multiAZ,
		dataTiering:       tiering,
		kmsKeyID:          spec.kmsKeyID,
		retention:         spec.retention,
		snapshotWindow:    orDefault(spec.snapshotWindow, "05:00-06:00"),
		maintenanceWindow: orDefault(spec.maintenanceWindow, "sun:06:00-sun:07:00"),
		port:              spec.port,
		paramGroup:        orDefault(spec.paramGroup, paramGroupFamily(engine, version, clusterMode)),
		tags:              tags,
	}
	if g.port == 0 {
		g.port = 6379
	}
	// Member clusters are named <group>-<NNN> with cluster mode disabled
	// and <group>-<shard NNNN>-<NNN> with it enabled (AWS CLI examples:
	// my-cluster-003, mycluster-0002-003).
	azs := []string{region + "a", region + "b", region + "c"}
	for i := 1; i <= shards; i++ {
		sh := &shard{id: nodeID(i), slots: slotRange(i, shards)}
		for j := 1; j <= 1+replicas; j++ {
			cid := fmt.Sprintf("%s-%03d", id, j)
			if clusterMode {
				cid = fmt.Sprintf("%s-%s-%03d", id, sh.id, j)
			}
			if _, ok := s.clusters[key(region, cid)]; ok {
				return nil, errCacheClusterExists(cid)
			}
			sh.members = append(sh.members, &cacheCluster{
				lifecycle:         g.lifecycle,
				seq:               s.nextSeq(),
				region:            region,
				id:                cid,
				arn:               s.arn(region, "cluster", cid),
				group:             g,
				shard:             sh,
				primary:           j == 1,
				engine:            engine,
				version:           version,
				nodeType:          nodeType,
				numNodes:          1,
				az:                azs[(i+j-2)%len(azs)],
				retention:         g.retention,
				snapshotWindow:    g.snapshotWindow,
				maintenanceWindow: g.maintenanceWindow,
				port:              g.port,
				paramGroup:        g.paramGroup,
				tags:              copyTags(tags),
			})
		}
		g.shards = append(g.shards, sh)
	}
	s.groups[key(region, id)] = g
	for _, m := range g.members() {
		s.clusters[key(region, m.id)] = m
	}
	return g, nil
}

// slotRange splits the 16384 hash slots evenly: shard i of n.
func slotRange(i, n int) string {
	lo := (i - 1) * 16384 / n
	hi := i*16384/n - 1
	return fmt.Sprintf("%d-%d", lo, hi)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// createReplicationGroup: CreateReplicationGroup. Minimal parameters are
// ReplicationGroupId and ReplicationGroupDescription (model "required").
func (s *Service) createReplicationGroup(c *call) {
	id, ok := c.required("ReplicationGroupId")
	if !ok {
		return
	}
	if _, ok := c.admit(s.arn(c.region(), "replicationgroup", strings.ToLower(id))); !ok {
		return
	}
	if !c.has("ReplicationGroupDescription") {
		c.fail(errMissing("ReplicationGroupDescription"))
		return
	}
	for _, p := range []string{"SnapshotName", "SnapshotArns.SnapshotArn.1", "ServerlessCacheSnapshotName", "PrimaryClusterId", "GlobalReplicationGroupId"} {
		if c.str(p) != "" {
			c.fail(errInvalidValue("The parameter %s is not supported by the local ElastiCache.", strings.SplitN(p, ".", 2)[0]))
			return
		}
	}
	spec := groupSpec{
		id:                id,
		description:       c.str("ReplicationGroupDescription"),
		engine:            c.str("Engine"),
		version:           c.str("EngineVersion"),
		nodeType:          c.str("CacheNodeType"),
		clusterMode:       c.str("ClusterMode"),
		kmsKeyID:          c.str("KmsKeyId"),
		snapshotWindow:    c.str("SnapshotWindow"),
		maintenanceWindow: c.str("PreferredMaintenanceWindow"),
		paramGroup:        c.str("CacheParameterGroupName"),
		tags:              c.tagsParam(),
		dataSizeMB:        DefaultDataSizeMB,
	}
	var ok1, ok2, ok3, ok4, ok5, ok6, ok7, ok8 bool
	spec.numNodeGroups, ok1 = c.optInt("NumNodeGroups")
	spec.replicasPerShard, ok2 = c.optInt("ReplicasPerNodeGroup")
	spec.numCacheClusters, ok3 = c.optInt("NumCacheClusters")
	spec.automaticFailover, ok4 = c.optBool("AutomaticFailoverEnabled")
	spec.multiAZ, ok5 = c.optBool("MultiAZEnabled")
	spec.dataTiering, ok6 = c.optBool("DataTieringEnabled")
	retention, ok7 := c.optInt("SnapshotRetentionLimit")
	port, ok8 := c.optInt("Port")
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) {
		return
	}
	if retention != nil {
		spec.retention = *retention
	}
	if port != nil {
		spec.port = *port
	}
	// NodeGroupConfiguration: its length is the shard count when
	// NumNodeGroups is absent; ReplicaCount sets the replicas per shard.
	if ngc := emu.QueryStructs(c.r.PostForm, "NodeGroupConfiguration.NodeGroupConfiguration"); len(ngc) > 0 {
		if spec.numNodeGroups == nil {
			n := len(ngc)
			spec.numNodeGroups = &n
		}
		if rc := ngc[0]["ReplicaCount"]; rc != "" && spec.replicasPerShard == nil {
			var n int
			if _, err := fmt.Sscan(rc, &n); err == nil {
				spec.replicasPerShard = &n
			}
		}
	}
	now := c.now()
	g, err := s.newReplicationGroup(c.region(), spec, now, now.Add(s.CreateDuration))
	if err != nil {
		c.fail(err)
		return
	}
	c.ok(struct {
		ReplicationGroup xmlReplicationGroup `xml:"ReplicationGroup"`
	}{g.xml(now)})
}

// describeReplicationGroups: DescribeReplicationGroups (ReplicationGroupId,
// Marker, MaxRecords: default 100, minimum 20, maximum 100 per the model).
func (s *Service) describeReplicationGroups(c *call) {
	id := strings.ToLower(c.str("ReplicationGroupId"))
	res := ""
	if id != "" {
		res = s.arn(c.region(), "replicationgroup", id)
	}
	if _, ok := c.admit(res); !ok {
		return
	}
	max, ok := c.pageSize("MaxRecords", 100, 20, 100)
	if !ok {
		return
	}
	var list []*replicationGroup
	if id != "" {
		g, ok := s.groups[key(c.region(), id)]
		if !ok {
			c.fail(errReplicationGroupNotFound(id))
			return
		}
		list = append(list, g)
	} else {
		for _, g := range s.groups {
			if g.region == c.region() {
				list = append(list, g)
			}
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
		Marker            string                `xml:"Marker,omitempty"`
		ReplicationGroups []xmlReplicationGroup `xml:"ReplicationGroups>ReplicationGroup"`
	}{Marker: marker}
	for _, g := range page {
		out.ReplicationGroups = append(out.ReplicationGroups, g.xml(now))
	}
	c.ok(out)
}

// deleteReplicationGroup: DeleteReplicationGroup (ReplicationGroupId,
// FinalSnapshotIdentifier). The group must be available; with a final
// snapshot name, a snapshot is taken first (it counts against the manual
// snapshot quota and fails like CreateSnapshot would).
func (s *Service) deleteReplicationGroup(c *call) {
	id, adm, ok := c.named("ReplicationGroupId", "replicationgroup")
	if !ok {
		return
	}
	retain, ok := c.optBool("RetainPrimaryCluster")
	if !ok {
		return
	}
	if retain != nil && *retain {
		c.fail(errInvalidValue("RetainPrimaryCluster is not supported by the local ElastiCache."))
		return
	}
	g, found := s.groups[key(c.region(), id)]
	if !found {
		c.fail(errReplicationGroupNotFound(id))
		return
	}
	now := c.now()
	if st := g.status(now); st != statusAvailable {
		c.fail(errInvalidReplicationGroupState(id, st))
		return
	}
	goneAt := now.Add(s.DeleteDuration)
	if final := c.str("FinalSnapshotIdentifier"); final != "" {
		sn, err := s.snapshotOfGroup(c, g, final, "", nil, adm.FailSnapshot)
		if err != nil {
			c.fail(err)
			return
		}
		if sn.readyAt.After(goneAt) {
			goneAt = sn.readyAt
		}
	}
	g.deletingAt, g.goneAt = now, goneAt
	for _, m := range g.members() {
		m.deletingAt, m.goneAt = now, goneAt
	}
	c.ok(struct {
		ReplicationGroup xmlReplicationGroup `xml:"ReplicationGroup"`
	}{g.xml(now)})
}
