package localelasticache

import (
	"sort"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// clusterSpec is what CreateCacheCluster and the seed ask for.
type clusterSpec struct {
	id                string
	engine, version   string
	nodeType          string
	numNodes          *int
	az                string
	retention         int
	snapshotWindow    string
	maintenanceWindow string
	port              int
	paramGroup        string
	tags              []tag
	dataSizeMB        int64
	snapshotSeconds   time.Duration
}

// newCacheCluster validates spec and adds a standalone cluster. Rules
// (model documentation of CreateCacheCluster): NumCacheNodes must be 1 for
// Valkey or Redis OSS and 1 to 40 for Memcached; SnapshotRetentionLimit "is
// only valid if the Engine parameter is redis". Data tiering (r6gd) exists
// for replication groups only (model: DataTieringEnabled is a parameter of
// CreateReplicationGroup alone), so r6gd nodes are refused here.
func (s *Service) newCacheCluster(region string, spec clusterSpec, now, availableAt time.Time) (*cacheCluster, *emu.APIError) {
	if err := validIdentifier("CacheClusterId", spec.id, 50); err != nil {
		return nil, err
	}
	id := strings.ToLower(spec.id)
	engine := strings.ToLower(spec.engine)
	if engine == "" {
		engine = "redis"
	}
	if engine != "redis" && engine != "valkey" && engine != "memcached" {
		return nil, errInvalidValue("Invalid engine %q: valid values are memcached, redis and valkey.", spec.engine)
	}
	nodes := 1
	if spec.numNodes != nil {
		nodes = *spec.numNodes
	}
	if engine == "memcached" && (nodes < 1 || nodes > 40) {
		return nil, errInvalidValue("Invalid value for NumCacheNodes: %d. For Memcached it must be between 1 and 40.", nodes)
	}
	if engine != "memcached" && nodes != 1 {
		return nil, errInvalidValue("Invalid value for NumCacheNodes: %d. For clusters running Valkey or Redis OSS it must be 1.", nodes)
	}
	if engine == "memcached" && spec.retention != 0 {
		return nil, errInvalidCombination("SnapshotRetentionLimit is only valid for Valkey or Redis OSS clusters.")
	}
	if spec.retention < 0 || spec.retention > 35 {
		return nil, errInvalidValue("Invalid value for SnapshotRetentionLimit: %d. The maximum is 35 days.", spec.retention)
	}
	nodeType := orDefault(spec.nodeType, defaultNodeType)
	if strings.Contains(nodeType, ".r6gd.") {
		return nil, errInvalidCombination("Node type %s uses data tiering, which is only supported for replication groups.", nodeType)
	}
	tags, err := mergeTags(nil, spec.tags)
	if err != nil {
		return nil, err
	}
	if _, ok := s.clusters[key(region, id)]; ok {
		return nil, errCacheClusterExists(id)
	}
	version := orDefault(spec.version, defaultVersions[engine])
	cl := &cacheCluster{
		lifecycle:         lifecycle{createdAt: now, availableAt: availableAt},
		sourceData:        sourceData{dataSizeMB: spec.dataSizeMB, snapshotSeconds: spec.snapshotSeconds},
		seq:               s.nextSeq(),
		region:            region,
		id:                id,
		arn:               s.arn(region, "cluster", id),
		engine:            engine,
		version:           version,
		nodeType:          nodeType,
		numNodes:          nodes,
		az:                orDefault(spec.az, region+"a"),
		retention:         spec.retention,
		snapshotWindow:    orDefault(spec.snapshotWindow, "05:00-06:00"),
		maintenanceWindow: orDefault(spec.maintenanceWindow, "sun:06:00-sun:07:00"),
		port:              spec.port,
		paramGroup:        orDefault(spec.paramGroup, paramGroupFamily(engine, version, false)),
		tags:              tags,
		primary:           true,
	}
	if cl.port == 0 {
		cl.port = 6379
		if engine == "memcached" {
			cl.port = 11211
		}
	}
	s.clusters[key(region, id)] = cl
	return cl, nil
}

// createCacheCluster: CreateCacheCluster. Minimal parameter: CacheClusterId
// (model "required"); the engine defaults to redis.
func (s *Service) createCacheCluster(c *call) {
	id, ok := c.required("CacheClusterId")
	if !ok {
		return
	}
	if _, ok := c.admit(s.arn(c.region(), "cluster", strings.ToLower(id))); !ok {
		return
	}
	for _, p := range []string{"ReplicationGroupId", "SnapshotName", "SnapshotArns.SnapshotArn.1"} {
		if c.str(p) != "" {
			c.fail(errInvalidValue("The parameter %s is not supported by the local ElastiCache.", strings.SplitN(p, ".", 2)[0]))
			return
		}
	}
	nodes, ok1 := c.optInt("NumCacheNodes")
	retention, ok2 := c.optInt("SnapshotRetentionLimit")
	port, ok3 := c.optInt("Port")
	if !(ok1 && ok2 && ok3) {
		return
	}
	spec := clusterSpec{
		id:                id,
		engine:            c.str("Engine"),
		version:           c.str("EngineVersion"),
		nodeType:          c.str("CacheNodeType"),
		numNodes:          nodes,
		az:                c.str("PreferredAvailabilityZone"),
		snapshotWindow:    c.str("SnapshotWindow"),
		maintenanceWindow: c.str("PreferredMaintenanceWindow"),
		paramGroup:        c.str("CacheParameterGroupName"),
		tags:              c.tagsParam(),
		dataSizeMB:        DefaultDataSizeMB,
	}
	if retention != nil {
		spec.retention = *retention
	}
	if port != nil {
		spec.port = *port
	}
	now := c.now()
	cl, err := s.newCacheCluster(c.region(), spec, now, now.Add(s.CreateDuration))
	if err != nil {
		c.fail(err)
		return
	}
	c.ok(struct {
		CacheCluster xmlCacheCluster `xml:"CacheCluster"`
	}{cl.xml(now, false)})
}

// describeCacheClusters: DescribeCacheClusters (CacheClusterId,
// ShowCacheNodeInfo, ShowCacheClustersNotInReplicationGroups, Marker,
// MaxRecords: default 100, minimum 20, maximum 100 per the model). Member
// clusters of replication groups are listed too, with ReplicationGroupId.
func (s *Service) describeCacheClusters(c *call) {
	id := strings.ToLower(c.str("CacheClusterId"))
	res := ""
	if id != "" {
		res = s.arn(c.region(), "cluster", id)
	}
	if _, ok := c.admit(res); !ok {
		return
	}
	max, ok := c.pageSize("MaxRecords", 100, 20, 100)
	if !ok {
		return
	}
	nodeInfo, ok1 := c.optBool("ShowCacheNodeInfo")
	standalone, ok2 := c.optBool("ShowCacheClustersNotInReplicationGroups")
	if !ok1 || !ok2 {
		return
	}
	var list []*cacheCluster
	if id != "" {
		cl, ok := s.clusters[key(c.region(), id)]
		if !ok {
			c.fail(errCacheClusterNotFound(id))
			return
		}
		list = append(list, cl)
	} else {
		for _, cl := range s.clusters {
			if cl.region == c.region() && (standalone == nil || !*standalone || cl.group == nil) {
				list = append(list, cl)
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
		Marker        string            `xml:"Marker,omitempty"`
		CacheClusters []xmlCacheCluster `xml:"CacheClusters>CacheCluster"`
	}{Marker: marker}
	for _, cl := range page {
		out.CacheClusters = append(out.CacheClusters, cl.xml(now, nodeInfo != nil && *nodeInfo))
	}
	c.ok(out)
}

// deleteCacheCluster: DeleteCacheCluster (CacheClusterId,
// FinalSnapshotIdentifier). The cluster must be available. Members of
// replication groups are refused (the model lists clusters of cluster-mode
// groups, primaries and last replicas as invalid; the local ElastiCache
// refuses every member and points to DeleteReplicationGroup). A final
// snapshot of Memcached is SnapshotFeatureNotSupportedFault.
func (s *Service) deleteCacheCluster(c *call) {
	id, adm, ok := c.named("CacheClusterId", "cluster")
	if !ok {
		return
	}
	cl, found := s.clusters[key(c.region(), id)]
	if !found {
		c.fail(errCacheClusterNotFound(id))
		return
	}
	now := c.now()
	if cl.group != nil {
		c.fail(emu.Errorf("InvalidCacheClusterState", "Cache cluster %s is a member of replication group %s; delete the replication group instead.", id, cl.group.id))
		return
	}
	if st := cl.status(now); st != statusAvailable {
		c.fail(errInvalidCacheClusterState(id, st))
		return
	}
	goneAt := now.Add(s.DeleteDuration)
	if final := c.str("FinalSnapshotIdentifier"); final != "" {
		sn, err := s.snapshotOfCluster(c, cl, final, "", nil, adm.FailSnapshot)
		if err != nil {
			c.fail(err)
			return
		}
		if sn.readyAt.After(goneAt) {
			goneAt = sn.readyAt
		}
	}
	cl.deletingAt, cl.goneAt = now, goneAt
	c.ok(struct {
		CacheCluster xmlCacheCluster `xml:"CacheCluster"`
	}{cl.xml(now, false)})
}
