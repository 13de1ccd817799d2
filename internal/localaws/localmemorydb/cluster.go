package localmemorydb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Cluster statuses. "creating", "available", "deleting" and "snapshotting"
// are what DescribeClusters reports (model: "For example, Available,
// Updating, Creating"; "snapshotting" is observed on real clusters, see
// hashicorp/terraform-provider-aws#31077 and its memorydb/enum.go).
const (
	clusterCreating     = "creating"
	clusterAvailable    = "available"
	clusterSnapshotting = "snapshotting"
	clusterDeleting     = "deleting"
)

// totalSlots is the Redis Cluster key space (slots 0-16383).
const totalSlots = 16384

// clusterConfig is what a snapshot keeps of its cluster (the model's
// ClusterConfiguration).
type clusterConfig struct {
	name, description, nodeType, engine, engineVersion string
	maintenanceWindow, snapshotWindow                  string
	parameterGroup, subnetGroup                        string
	port, retention, numShards, replicas               int
	dataTiering                                        bool
}

// cluster is one MemoryDB cluster.
type cluster struct {
	clusterConfig
	seq                int64
	region, arn        string
	aclName, kmsKeyID  string
	enginePatchVersion string
	tls                bool
	dataSizeMB         int64
	snapshotOverride   time.Duration
	tags               map[string]string

	created, availableAt time.Time
	busyUntil            time.Time   // a snapshot is running until then
	manual               []time.Time // when each manual snapshot was started
	deleting             bool
	goneAt               time.Time
}

func (c *cluster) status(now time.Time) string {
	switch {
	case c.deleting:
		return clusterDeleting
	case now.Before(c.availableAt):
		return clusterCreating
	case now.Before(c.busyUntil):
		return clusterSnapshotting
	}
	return clusterAvailable
}

func (c *cluster) gone(now time.Time) bool { return c.deleting && !now.Before(c.goneAt) }

// manualIn24h counts the manual snapshots started in the 24 hours up to now.
func (c *cluster) manualIn24h(now time.Time) int {
	n := 0
	for _, t := range c.manual {
		if now.Sub(t) < 24*time.Hour {
			n++
		}
	}
	return n
}

// slots returns the slot range of shard i (0-based): the key space split
// evenly, as MemoryDB does for a new cluster.
func (c *cluster) slots(i int) string { return shardSlots(i, c.numShards) }

func shardSlots(i, n int) string {
	return fmt.Sprintf("%d-%d", i*totalSlots/n, (i+1)*totalSlots/n-1)
}

func shardName(i int) string { return fmt.Sprintf("%04d", i+1) }

// endpointHost is a stable, made-up DNS name in MemoryDB's form.
func (c *cluster) endpointHost(prefix string) string {
	sum := sha256.Sum256([]byte(c.arn))
	return prefix + "." + c.name + "." + hex.EncodeToString(sum[:3]) + ".memorydb." + c.region + ".amazonaws.com"
}

func (c *cluster) json(now time.Time, shards bool) clusterJSON {
	mode := "singleaz"
	if c.replicas > 0 {
		mode = "multiaz"
	}
	out := clusterJSON{
		Name:                    c.name,
		Description:             c.description,
		Status:                  c.status(now),
		NumberOfShards:          c.numShards,
		AvailabilityMode:        mode,
		ClusterEndpoint:         &endpointJSON{Address: c.endpointHost("clustercfg"), Port: c.port},
		NodeType:                c.nodeType,
		Engine:                  c.engine,
		EngineVersion:           c.engineVersion,
		EnginePatchVersion:      c.enginePatchVersion,
		ParameterGroupName:      c.parameterGroup,
		ParameterGroupStatus:    "in-sync",
		SecurityGroups:          []securityGroupJSON{{SecurityGroupID: "sg-0123456789abcdef0", Status: "active"}},
		SubnetGroupName:         c.subnetGroup,
		TLSEnabled:              c.tls,
		KmsKeyID:                c.kmsKeyID,
		ARN:                     c.arn,
		SnapshotRetentionLimit:  c.retention,
		MaintenanceWindow:       c.maintenanceWindow,
		SnapshotWindow:          c.snapshotWindow,
		ACLName:                 c.aclName,
		AutoMinorVersionUpgrade: true,
		DataTiering:             fmt.Sprint(c.dataTiering),
	}
	if out.Status == clusterCreating {
		out.ClusterEndpoint = &endpointJSON{Port: c.port}
	}
	if shards {
		st := "available"
		if out.Status == clusterCreating || out.Status == clusterDeleting {
			st = out.Status
		}
		for i := range c.numShards {
			sh := shardJSON{Name: shardName(i), Status: st, Slots: c.slots(i), NumberOfNodes: 1 + c.replicas}
			for n := range 1 + c.replicas {
				node := fmt.Sprintf("%s-%03d", shardName(i), n+1)
				sh.Nodes = append(sh.Nodes, nodeJSON{
					Name:             node,
					Status:           st,
					AvailabilityZone: c.region + string(rune('a'+n%3)),
					CreateTime:       emu.EpochSeconds(c.created),
					Endpoint:         &endpointJSON{Address: c.endpointHost(c.name + "-" + node), Port: c.port},
				})
			}
			out.Shards = append(out.Shards, sh)
		}
	}
	return out
}

// clusterSpec is what CreateCluster and the seed ask for.
type clusterSpec struct {
	name, nodeType, aclName, description string
	engine, engineVersion, kmsKeyID      string
	numShards, replicas                  *int
	dataTiering, tls                     *bool
	port                                 *int
	parameterGroup, subnetGroup          string
	maintenanceWindow, snapshotWindow    string
	retention                            *int
	tags                                 map[string]string
	dataSizeMB                           int64
	snapshotOverride                     time.Duration
}

// engines: MemoryDB runs Valkey and Redis OSS (Engine "valkey" / "redis";
// the Terraform provider's memorydb/enum.go). Default versions, patch
// versions and parameter groups are assumed.
var engines = map[string]struct{ version, patch, paramGroup string }{
	"redis":  {"7.1", "7.1.2", "default.memorydb-redis7"},
	"valkey": {"7.2", "7.2.6", "default.memorydb-valkey7"},
}

// addClusterLocked validates spec and creates the cluster in region, as
// CreateCluster does (seeded clusters start available).
func (s *Service) addClusterLocked(region string, spec clusterSpec, now time.Time, seeded bool) (*cluster, *emu.APIError) {
	name, err := checkClusterName("ClusterName", spec.name)
	if err != nil {
		return nil, err
	}
	if spec.nodeType == "" {
		return nil, errMissing("NodeType")
	}
	parts := strings.Split(spec.nodeType, ".")
	if len(parts) != 3 || parts[0] != "db" || parts[1] == "" || parts[2] == "" {
		return nil, errInvalidValue("Invalid node type: %s", spec.nodeType)
	}
	if spec.aclName == "" {
		return nil, errMissing("ACLName")
	}
	// Only the built-in "open-access" ACL exists: the local MemoryDB does not
	// emulate CreateACL.
	if spec.aclName != "open-access" {
		return nil, errACLNotFound(spec.aclName)
	}
	// Data tiering: "only supported for clusters using the r6gd node type.
	// This parameter must be set when using r6gd nodes" (API model) and "You
	// cannot opt out of data tiering when selecting a node type from the r6gd
	// family. If you set the --no-data-tiering parameter, the operation will
	// fail." (Developer Guide, "Using data tiering").
	r6gd := strings.HasPrefix(parts[1], "r6gd")
	tiering := spec.dataTiering != nil && *spec.dataTiering
	if r6gd && !tiering {
		return nil, errInvalidCombination("DataTiering must be enabled for node type %s; data tiering cannot be disabled on r6gd nodes.", spec.nodeType)
	}
	if tiering && !r6gd {
		return nil, errInvalidCombination("Data tiering is only supported for the r6gd node types, not %s.", spec.nodeType)
	}
	shards, replicas := 1, 1 // model: "The default value is 1." for both
	if spec.numShards != nil {
		shards = *spec.numShards
	}
	if spec.replicas != nil {
		replicas = *spec.replicas
	}
	if shards < 1 {
		return nil, errInvalidValue("NumShards must be at least 1.")
	}
	if replicas < 0 || replicas > maxReplicas {
		return nil, errInvalidValue("NumReplicasPerShard must be between 0 and %d.", maxReplicas)
	}
	if nodes := shards * (1 + replicas); nodes > maxNodesPerCluster {
		return nil, errNodeQuotaForCluster(nodes)
	}
	engine := strings.ToLower(spec.engine)
	if engine == "" {
		engine = "redis"
	}
	def, ok := engines[engine]
	if !ok {
		return nil, errInvalidValue("Invalid engine: %s. Valid values are valkey and redis.", spec.engine)
	}
	version, patch := def.version, def.patch
	if spec.engineVersion != "" && spec.engineVersion != version {
		version, patch = spec.engineVersion, spec.engineVersion+".0"
	}
	if spec.retention != nil && (*spec.retention < 0 || *spec.retention > 35) {
		return nil, errInvalidValue("SnapshotRetentionLimit must be between 0 and 35.")
	}
	k := key(region, name)
	if _, exists := s.clusters[k]; exists {
		return nil, errClusterAlreadyExists(name)
	}
	if len(spec.tags) > maxTagsPerResource {
		return nil, errTagQuota(s.arn(region, "cluster", name))
	}
	c := &cluster{
		clusterConfig: clusterConfig{
			name: name, description: spec.description, nodeType: spec.nodeType,
			engine: engine, engineVersion: version,
			maintenanceWindow: or(spec.maintenanceWindow, "wed:08:00-wed:09:00"),
			snapshotWindow:    or(spec.snapshotWindow, "05:00-06:00"),
			parameterGroup:    or(spec.parameterGroup, def.paramGroup),
			subnetGroup:       or(spec.subnetGroup, "default"),
			port:              6379,
			numShards:         shards, replicas: replicas, dataTiering: tiering,
		},
		seq: s.nextSeq(), region: region, arn: s.arn(region, "cluster", name),
		aclName: spec.aclName, kmsKeyID: spec.kmsKeyID, enginePatchVersion: patch,
		tls: spec.tls == nil || *spec.tls, dataSizeMB: spec.dataSizeMB,
		snapshotOverride: spec.snapshotOverride, tags: spec.tags,
		created: now, availableAt: now,
	}
	if spec.port != nil {
		c.port = *spec.port
	}
	if spec.retention != nil {
		c.retention = *spec.retention
	}
	if c.tags == nil {
		c.tags = map[string]string{}
	}
	if !seeded {
		c.availableAt = now.Add(s.ClusterCreateDuration)
	}
	s.clusters[k] = c
	return c, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// createCluster: CreateCluster with ClusterName, NodeType, ACLName and the
// optional members the local MemoryDB keeps.
func (s *Service) createCluster(c *call) {
	var in createClusterInput
	if !c.decode(&in) {
		return
	}
	region := c.req.Region
	if _, ok := c.admit(s.arn(region, "cluster", strings.ToLower(str(in.ClusterName)))); !ok {
		return
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		c.fail(err)
		return
	}
	spec := clusterSpec{
		name: str(in.ClusterName), nodeType: str(in.NodeType), aclName: str(in.ACLName),
		description: str(in.Description), engine: str(in.Engine), engineVersion: str(in.EngineVersion),
		kmsKeyID: str(in.KmsKeyID), numShards: in.NumShards, replicas: in.NumReplicasPerShard,
		dataTiering: in.DataTiering, tls: in.TLSEnabled, port: in.Port,
		parameterGroup: str(in.ParameterGroupName), subnetGroup: str(in.SubnetGroupName),
		maintenanceWindow: str(in.MaintenanceWindow), snapshotWindow: str(in.SnapshotWindow),
		retention: in.SnapshotRetention, tags: tags,
	}
	now := c.now()
	cl, err := s.addClusterLocked(region, spec, now, false)
	if err != nil {
		c.fail(err)
		return
	}
	c.ok(map[string]any{"Cluster": cl.json(now, false)})
}

// clustersIn lists the clusters of a region in creation order.
func (s *Service) clustersIn(region string) []*cluster {
	var out []*cluster
	for _, c := range s.clusters {
		if c.region == region {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// describeClusters: DescribeClusters with ClusterName, ShowShardDetails and
// NextToken / MaxResults.
func (s *Service) describeClusters(c *call) {
	var in describeClustersInput
	if !c.decode(&in) {
		return
	}
	region := c.req.Region
	name := strings.ToLower(str(in.ClusterName))
	resource := ""
	if name != "" {
		resource = s.arn(region, "cluster", name)
	}
	if _, ok := c.admit(resource); !ok {
		return
	}
	size, err := pageSize(in.MaxResults)
	if err != nil {
		c.fail(err)
		return
	}
	var list []*cluster
	if name != "" {
		cl, ok := s.clusters[key(region, name)]
		if !ok {
			c.fail(errClusterNotFound(name))
			return
		}
		list = []*cluster{cl}
	} else {
		list = s.clustersIn(region)
	}
	items, next, err := page(list, in.NextToken, size)
	if err != nil {
		c.fail(err)
		return
	}
	now := c.now()
	out := make([]clusterJSON, 0, len(items))
	for _, cl := range items {
		out = append(out, cl.json(now, in.ShowShardDetails != nil && *in.ShowShardDetails))
	}
	c.ok(struct {
		Clusters  []clusterJSON `json:"Clusters"`
		NextToken *string       `json:"NextToken,omitempty"`
	}{out, next})
}

// deleteCluster: DeleteCluster, optionally with a FinalSnapshotName. Only an
// available cluster can be deleted ("During the snapshot process, you can't
// run any other API or CLI operations on the cluster", Developer Guide,
// "Snapshot constraints"). With a final snapshot the cluster is deleted
// once the snapshot completes ("MemoryDB creates the snapshot, and then
// deletes the cluster immediately afterward", API model).
func (s *Service) deleteCluster(c *call) {
	var in deleteClusterInput
	if !c.decode(&in) {
		return
	}
	region := c.req.Region
	name, adm, ok := c.named("ClusterName", "cluster", in.ClusterName)
	if !ok {
		return
	}
	cl, found := s.clusters[key(region, name)]
	if !found {
		c.fail(errClusterNotFound(name))
		return
	}
	now := c.now()
	if st := cl.status(now); st != clusterAvailable {
		c.fail(errInvalidClusterState(name, st))
		return
	}
	goneAt := now.Add(s.ClusterDeleteDuration)
	if in.FinalSnapshotName != nil {
		snapName, err := checkSnapshotName("FinalSnapshotName", *in.FinalSnapshotName)
		if err != nil {
			c.fail(err)
			return
		}
		if _, exists := s.snapshots[key(region, snapName)]; exists {
			c.fail(errSnapshotAlreadyExists(snapName))
			return
		}
		sn := s.startSnapshotLocked(cl, snapName, "", nil, now, adm.FailSnapshot)
		goneAt = sn.doneAt.Add(s.ClusterDeleteDuration)
	}
	cl.deleting, cl.goneAt = true, goneAt
	c.ok(map[string]any{"Cluster": cl.json(now, false)})
}
