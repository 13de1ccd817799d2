package localmemorydb

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Snapshot statuses: "creating | available | restoring | copying |
// deleting" (model, Snapshot.Status). A snapshot that fails ends "failed"
// (assumed: MemoryDB does not list it; ElastiCache reports "failed"). A
// snapshot shows "copying" while a CopySnapshot or export reads from it
// (assumed); the copy itself is "creating" until it completes.
const (
	snapCreating  = "creating"
	snapAvailable = "available"
	snapCopying   = "copying"
	snapDeleting  = "deleting"
	snapFailed    = "failed"
)

// Snapshot sources as DescribeSnapshots reports them ("automated" or
// "manual", model Snapshot.Source) and filters them (Source "system" or
// "user", model DescribeSnapshotsRequest.Source).
const (
	sourceManual    = "manual"
	sourceAutomated = "automated"
)

// snapshot is one MemoryDB snapshot.
type snapshot struct {
	seq               int64
	name, region, arn string
	source, kmsKeyID  string
	cfg               clusterConfig
	dataSizeMB        int64
	tags              map[string]string
	started, doneAt   time.Time
	failed            bool
	copyingUntil      time.Time
	deleting          bool
	goneAt            time.Time
	durationForCopies time.Duration
}

func (sn *snapshot) status(now time.Time) string {
	switch {
	case sn.deleting:
		return snapDeleting
	case now.Before(sn.doneAt):
		return snapCreating
	case sn.failed:
		return snapFailed
	case now.Before(sn.copyingUntil):
		return snapCopying
	}
	return snapAvailable
}

func (sn *snapshot) gone(now time.Time) bool { return sn.deleting && !now.Before(sn.goneAt) }

func (sn *snapshot) json(now time.Time, detail bool) snapshotJSON {
	st := sn.status(now)
	cfg := sn.cfg
	out := snapshotJSON{
		Name:     sn.name,
		Status:   st,
		Source:   sn.source,
		KmsKeyID: sn.kmsKeyID,
		ARN:      sn.arn,
		ClusterConfiguration: clusterConfigurationJSON{
			Name: cfg.name, Description: cfg.description, NodeType: cfg.nodeType,
			Engine: cfg.engine, EngineVersion: cfg.engineVersion,
			MaintenanceWindow: cfg.maintenanceWindow, Port: cfg.port,
			ParameterGroupName: cfg.parameterGroup, SubnetGroupName: cfg.subnetGroup,
			VpcID: "vpc-0123456789abcdef0", SnapshotRetentionLimit: cfg.retention,
			SnapshotWindow: cfg.snapshotWindow, NumShards: cfg.numShards,
		},
		DataTiering: fmt.Sprint(cfg.dataTiering),
	}
	if detail {
		// ShowDetail: "the shard configuration is included in the snapshot
		// description" (model). Size and SnapshotCreationTime are given once
		// the shard's snapshot exists; the size format is assumed.
		for i := range cfg.numShards {
			d := shardDetailJSON{
				Name:          shardName(i),
				Configuration: shardConfigurationJSON{Slots: shardSlots(i, cfg.numShards), ReplicaCount: cfg.replicas},
			}
			if st != snapCreating && st != snapFailed {
				t := emu.EpochSeconds(sn.started)
				d.SnapshotCreationTime = &t
				d.Size = fmt.Sprintf("%.1f MB", float64(sn.dataSizeMB)/float64(cfg.numShards))
			}
			out.ClusterConfiguration.Shards = append(out.ClusterConfiguration.Shards, d)
		}
	}
	return out
}

// startSnapshotLocked creates a manual snapshot of cl that completes after
// the duration model's time for the cluster's data size (or ends failed when
// fail is set) and marks the cluster snapshotting meanwhile.
func (s *Service) startSnapshotLocked(cl *cluster, name, kmsKeyID string, tags map[string]string, now time.Time, fail bool) *snapshot {
	d := s.env.SnapshotModel.Duration(cl.dataSizeMB, cl.snapshotOverride)
	if kmsKeyID == "" {
		kmsKeyID = cl.kmsKeyID
	}
	if tags == nil {
		tags = map[string]string{}
	}
	sn := &snapshot{
		seq: s.nextSeq(), name: name, region: cl.region, arn: s.arn(cl.region, "snapshot", name),
		source: sourceManual, kmsKeyID: kmsKeyID, cfg: cl.clusterConfig, dataSizeMB: cl.dataSizeMB,
		tags: tags, started: now, doneAt: now.Add(d), failed: fail, durationForCopies: d,
	}
	s.snapshots[key(cl.region, name)] = sn
	cl.busyUntil = sn.doneAt
	return sn
}

// createSnapshot: CreateSnapshot (ClusterName, SnapshotName, KmsKeyId,
// Tags). The cluster must be available (a running snapshot makes it
// "snapshotting"; "During the snapshot process, you can't run any other API
// or CLI operations on the cluster", Developer Guide, "Snapshot
// constraints"), and at most 20 manual snapshots per cluster may be started
// in any 24 hours (same page).
func (s *Service) createSnapshot(c *call) {
	var in createSnapshotInput
	if !c.decode(&in) {
		return
	}
	region := c.req.Region
	clusterName, adm, ok := c.named("ClusterName", "cluster", in.ClusterName)
	if !ok {
		return
	}
	name, err := checkSnapshotName("SnapshotName", str(in.SnapshotName))
	if err != nil {
		c.fail(err)
		return
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		c.fail(err)
		return
	}
	cl, found := s.clusters[key(region, clusterName)]
	if !found {
		c.fail(errClusterNotFound(clusterName))
		return
	}
	if _, exists := s.snapshots[key(region, name)]; exists {
		c.fail(errSnapshotAlreadyExists(name))
		return
	}
	now := c.now()
	if st := cl.status(now); st != clusterAvailable {
		c.fail(errInvalidClusterState(clusterName, st))
		return
	}
	if cl.manualIn24h(now) >= manualSnapshotsPerDay {
		c.fail(errSnapshotQuota(clusterName))
		return
	}
	if len(tags) > maxTagsPerResource {
		c.fail(errTagQuota(s.arn(region, "snapshot", name)))
		return
	}
	cl.manual = append(cl.manual, now)
	sn := s.startSnapshotLocked(cl, name, str(in.KmsKeyID), tags, now, adm.FailSnapshot)
	c.ok(map[string]any{"Snapshot": sn.json(now, false)})
}

// describeSnapshots: DescribeSnapshots with ClusterName, SnapshotName,
// Source ("system" | "user"), ShowDetail and NextToken / MaxResults (default
// 50). A ClusterName that matches nothing gives an empty list: snapshots
// outlive their cluster, and the operation does not model
// ClusterNotFoundFault.
func (s *Service) describeSnapshots(c *call) {
	var in describeSnapshotsInput
	if !c.decode(&in) {
		return
	}
	region := c.req.Region
	clusterName := strings.ToLower(str(in.ClusterName))
	name := strings.ToLower(str(in.SnapshotName))
	resource := ""
	switch {
	case name != "":
		resource = s.arn(region, "snapshot", name)
	case clusterName != "":
		resource = s.arn(region, "cluster", clusterName)
	}
	if _, ok := c.admit(resource); !ok {
		return
	}
	size, err := pageSize(in.MaxResults)
	if err != nil {
		c.fail(err)
		return
	}
	source := ""
	switch str(in.Source) {
	case "":
	case "system":
		source = sourceAutomated
	case "user":
		source = sourceManual
	default:
		c.fail(errInvalidValue("Invalid value for Source: %s. Valid values are system and user.", str(in.Source)))
		return
	}
	var list []*snapshot
	for _, sn := range s.snapshots {
		if sn.region != region || (name != "" && sn.name != name) ||
			(clusterName != "" && sn.cfg.name != clusterName) || (source != "" && sn.source != source) {
			continue
		}
		list = append(list, sn)
	}
	if name != "" && len(list) == 0 {
		c.fail(errSnapshotNotFound(name))
		return
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	items, next, err := page(list, in.NextToken, size)
	if err != nil {
		c.fail(err)
		return
	}
	now := c.now()
	out := make([]snapshotJSON, 0, len(items))
	for _, sn := range items {
		out = append(out, sn.json(now, in.ShowDetail != nil && *in.ShowDetail))
	}
	c.ok(struct {
		NextToken *string        `json:"NextToken,omitempty"`
		Snapshots []snapshotJSON `json:"Snapshots"`
	}{next, out})
}

// deleteSnapshot: DeleteSnapshot. "MemoryDB immediately begins deleting the
// snapshot" (model): the answer shows "deleting", and the snapshot is gone
// SnapshotDeleteDuration later. A snapshot being created, copied or already
// deleted cannot be deleted (InvalidSnapshotStateFault).
func (s *Service) deleteSnapshot(c *call) {
	var in deleteSnapshotInput
	if !c.decode(&in) {
		return
	}
	region := c.req.Region
	name, _, ok := c.named("SnapshotName", "snapshot", in.SnapshotName)
	if !ok {
		return
	}
	sn, found := s.snapshots[key(region, name)]
	if !found {
		c.fail(errSnapshotNotFound(name))
		return
	}
	now := c.now()
	if st := sn.status(now); st != snapAvailable && st != snapFailed {
		c.fail(errInvalidSnapshotState(name, st))
		return
	}
	sn.deleting, sn.goneAt = true, now.Add(s.SnapshotDeleteDuration)
	c.ok(map[string]any{"Snapshot": sn.json(now, false)})
}
