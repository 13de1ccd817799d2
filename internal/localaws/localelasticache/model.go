package localelasticache

import (
	"fmt"
	"strings"
	"time"
)

// Statuses (model documentation: ReplicationGroup.Status "creating,
// available, modifying, deleting, create-failed, snapshotting";
// CacheCluster.CacheClusterStatus "available, creating, deleted, deleting,
// … snapshotting"; ServerlessCache.Status "CREATING, AVAILABLE, DELETING,
// CREATE-FAILED and MODIFYING", sent in lower case as the API examples show).
const (
	statusCreating     = "creating"
	statusAvailable    = "available"
	statusDeleting     = "deleting"
	statusSnapshotting = "snapshotting"
	statusFailed       = "failed"
	statusCopying      = "copying"
	statusExporting    = "exporting"
)

// lifecycle is the lazy state of a source: it is creating until
// availableAt, busy (snapshotting) until busyUntil, and once deleted shows
// deleting until goneAt, when Settle removes it.
type lifecycle struct {
	createdAt   time.Time
	availableAt time.Time
	busyUntil   time.Time
	deletingAt  time.Time
	goneAt      time.Time
}

func (l *lifecycle) status(now time.Time) string {
	switch {
	case !l.deletingAt.IsZero():
		return statusDeleting
	case now.Before(l.availableAt):
		return statusCreating
	case now.Before(l.busyUntil):
		return statusSnapshotting
	}
	return statusAvailable
}

func (l *lifecycle) gone(now time.Time) bool {
	return !l.deletingAt.IsZero() && !now.Before(l.goneAt)
}

// source is what a snapshot needs from what it is taken of.
type sourceData struct {
	dataSizeMB      int64
	snapshotSeconds time.Duration
	quota           []time.Time // manual snapshot creations, for the 24-hour quota
}

// recent counts quota entries in the contiguous 24 hours up to now.
func (d *sourceData) recent(now time.Time) int {
	n := 0
	keep := d.quota[:0]
	for _, t := range d.quota {
		if now.Sub(t) < 24*time.Hour {
			keep = append(keep, t)
			n++
		}
	}
	d.quota = keep
	return n
}

// replicationGroup is a Valkey or Redis OSS replication group.
type replicationGroup struct {
	lifecycle
	sourceData
	seq                 int64
	region, id, arn     string
	description         string
	engine, version     string
	nodeType            string
	clusterMode         bool
	automaticFailover   bool
	multiAZ             bool
	dataTiering         bool
	kmsKeyID            string
	retention           int
	snapshotWindow      string
	maintenanceWindow   string
	port                int
	paramGroup          string
	shards              []*shard
	tags                map[string]string
	snapshottingCluster string
}

// shard is a node group: a primary and its replicas.
type shard struct {
	id      string // "0001"
	slots   string // "0-16383"
	members []*cacheCluster
}

func (g *replicationGroup) members() []*cacheCluster {
	var out []*cacheCluster
	for _, sh := range g.shards {
		out = append(out, sh.members...)
	}
	return out
}

func (g *replicationGroup) nodeCount() int { return len(g.members()) }

// cacheCluster is a cache cluster: standalone (Memcached, or single-node
// Valkey / Redis OSS) or a member node of a replication group.
type cacheCluster struct {
	lifecycle
	sourceData
	seq               int64
	region, id, arn   string
	group             *replicationGroup // nil when standalone
	shard             *shard
	primary           bool
	engine, version   string
	nodeType          string
	numNodes          int
	az                string
	retention         int
	snapshotWindow    string
	maintenanceWindow string
	port              int
	paramGroup        string
	tags              map[string]string
}

// status of a member follows its group, except that the node being
// snapshotted shows snapshotting.
func (c *cacheCluster) status(now time.Time) string {
	if c.group == nil {
		return c.lifecycle.status(now)
	}
	st := c.group.lifecycle.status(now)
	if st == statusSnapshotting && !now.Before(c.busyUntil) {
		return statusAvailable
	}
	return st
}

func (c *cacheCluster) memcached() bool { return c.engine == "memcached" }

// serverlessCache is an ElastiCache Serverless cache. Its status stays
// available while a snapshot runs (the documented serverless statuses have
// no snapshotting); busyUntil still rejects other operations (User Guide:
// "During the backup process, you can't run any other API or CLI operations
// on serverless cache").
type serverlessCache struct {
	lifecycle
	sourceData
	seq                 int64
	region, name, arn   string
	description         string
	engine, major, full string
	kmsKeyID            string
	retention           int
	dailySnapshotTime   string
	shards              int // internal shards: one exported object each (assumed)
	tags                map[string]string
}

func (c *serverlessCache) status(now time.Time) string {
	if st := c.lifecycle.status(now); st != statusSnapshotting {
		return st
	}
	return statusAvailable
}

func (c *serverlessCache) busy(now time.Time) bool {
	return c.lifecycle.status(now) != statusAvailable
}

// snapState is the lazy state of a snapshot: creating until readyAt, then
// failed or available; while a copy or export reads it, busyStatus until
// busyUntil; once deleted, deleting until goneAt.
type snapState struct {
	createdAt  time.Time
	readyAt    time.Time
	failed     bool
	busyUntil  time.Time
	busyStatus string
	deletingAt time.Time
	goneAt     time.Time
}

func (s *snapState) status(now time.Time) string {
	switch {
	case !s.deletingAt.IsZero():
		return statusDeleting
	case now.Before(s.readyAt):
		return statusCreating
	case s.failed:
		return statusFailed
	case now.Before(s.busyUntil):
		return s.busyStatus
	}
	return statusAvailable
}

func (s *snapState) gone(now time.Time) bool {
	return !s.deletingAt.IsZero() && !now.Before(s.goneAt)
}

// snapshot is a node-based snapshot, with what it recorded of its source.
type snapshot struct {
	snapState
	seq               int64
	region, name, arn string
	source            string // SnapshotSource: "manual"
	groupID           string
	groupDesc         string
	clusterID         string
	engine, version   string
	nodeType          string
	numCacheNodes     int
	az                string
	clusterCreated    time.Time
	maintenanceWindow string
	snapshotWindow    string
	paramGroup        string
	port              int
	retention         int
	numNodeGroups     int // 0 for a snapshot of a cluster
	automaticFailover string
	dataTiering       bool
	kmsKeyID          string
	nodes             []nodeSnapshot
	dataSizeMB        int64
	snapshotSeconds   time.Duration
	dataTakenAt       time.Time
	tags              map[string]string
}

// nodeSnapshot is one node (one per shard) a snapshot was taken from.
type nodeSnapshot struct {
	clusterID    string
	nodeGroupID  string
	nodeID       string
	slots        string
	replicaCount int
	primaryAZ    string
	replicaAZs   []string
	nodeCreated  time.Time
	sizeMB       int64
}

// serverlessSnapshot is a snapshot of a serverless cache.
type serverlessSnapshot struct {
	snapState
	seq               int64
	region, name, arn string
	cacheName         string
	engine, major     string
	kmsKeyID          string
	snapshotType      string
	shards            int
	dataSizeMB        int64
	snapshotSeconds   time.Duration
	tags              map[string]string
}

// Defaults for what a create call may leave out (assumed: current engine
// versions and a general-purpose node type).
var defaultVersions = map[string]string{"redis": "7.1.0", "valkey": "8.0.1", "memcached": "1.6.22"}

var defaultMajors = map[string]string{"redis": "7", "valkey": "8", "memcached": "1.6"}

const defaultNodeType = "cache.r7g.large"

// paramGroupFamily is the default parameter group of an engine version,
// e.g. default.redis7 or default.valkey8.cluster.on.
func paramGroupFamily(engine, version string, clusterMode bool) string {
	major, _, _ := strings.Cut(version, ".")
	fam := engine + major
	if engine == "memcached" {
		fam = "memcached1.6"
	}
	if clusterMode {
		return "default." + fam + ".cluster.on"
	}
	return "default." + fam
}

// endpointHost is a made-up but well-formed endpoint host name.
func endpointHost(region, name, kind string) string {
	return fmt.Sprintf("%s.%s.local.%s.cache.amazonaws.com", name, kind, region)
}

// cacheSize is NodeSnapshot.CacheSize, e.g. "6 MB" (AWS CLI examples).
func cacheSize(mb int64) string { return fmt.Sprintf("%d MB", mb) }
