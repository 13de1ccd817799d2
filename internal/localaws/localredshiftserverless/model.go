package localredshiftserverless

import (
	"crypto/rand"
	"fmt"
	"math"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Enum values (source: service-2.json NamespaceStatus, WorkgroupStatus,
// SnapshotStatus).
const (
	nsAvailable = "AVAILABLE"
	nsModifying = "MODIFYING"
	nsDeleting  = "DELETING"

	wgAvailable = "AVAILABLE"
	wgDeleting  = "DELETING"

	snapAvailable = "AVAILABLE"
	snapCreating  = "CREATING"
	snapDeleted   = "DELETED"
	snapCancelled = "CANCELLED"
	snapFailed    = "FAILED"
	snapCopying   = "COPYING"
)

// defaultKmsKeyID is what a namespace or copy configuration without a
// customer key reports (source: hashicorp/terraform-provider-aws
// snapshot_copy_configuration_test.go expects destination_kms_key_id
// "AWS_OWNED_KMS_KEY"; public GetNamespace fixtures show the same value).
const defaultKmsKeyID = "AWS_OWNED_KMS_KEY"

// retainIndefinitely is the retention period of a snapshot kept until it is
// deleted (source: console guide "The default is retain indefinitely";
// Terraform's snapshot_retention_period default -1; Redshift's
// ManualSnapshotRetentionPeriod "-1 ... retained indefinitely").
const retainIndefinitely = -1

// maxRetentionDays is the longest retention period (source: management guide
// "must be between 1-3653 days, inclusive").
const maxRetentionDays = 3653

type namespace struct {
	region, name, id, arn string
	dbName, adminUsername string
	kmsKeyID              string
	created               time.Time
	dataSizeMB            int64
	snapshotOverride      time.Duration
	tags                  map[string]string
	deletingUntil         time.Time // zero unless DeleteNamespace was called
}

func (n *namespace) gone(now time.Time) bool {
	return !n.deletingUntil.IsZero() && !now.Before(n.deletingUntil)
}

type workgroup struct {
	region, name, id, arn string
	namespace             string
	created               time.Time
	baseCapacity          int32
	tags                  map[string]string
	deletingUntil         time.Time
}

func (g *workgroup) gone(now time.Time) bool {
	return !g.deletingUntil.IsZero() && !now.Before(g.deletingUntil)
}

func (g *workgroup) status() string {
	if !g.deletingUntil.IsZero() {
		return wgDeleting
	}
	// A new workgroup is reported AVAILABLE at once (assumed; AWS shows
	// CREATING for a few minutes, which a snapshot test does not need).
	return wgAvailable
}

type snapshot struct {
	region, name, id, arn string
	nsName, nsArn         string
	adminUsername         string
	kmsKeyID              string
	owner                 string
	created               time.Time // snapshotCreateTime: when the backup started
	done                  time.Time // when the backup (or copy) completes
	sizeMB                float64
	failed                bool // ends FAILED at done instead of AVAILABLE
	retention             int32
	retentionStart        time.Time
	tags                  map[string]string

	// For a cross-Region copy: the copy configuration it comes from, when it
	// starts (the source snapshot's completion) and, if the configuration
	// was deleted while it ran, when it was cancelled.
	copyConfigID string
	copyStart    time.Time
	cancelledAt  time.Time
	// orphan marks a copy whose source failed or whose configuration was
	// deleted before it started: it never appears.
	orphan bool
	// tagsFrom is the source of a copy not yet started: the copy takes the
	// source's tags when it starts.
	tagsFrom *snapshot
}

func (sn *snapshot) isCopy() bool { return sn.copyConfigID != "" }

// visible reports whether the snapshot exists for the API at now.
func (sn *snapshot) visible(now time.Time) bool {
	if sn.orphan {
		return false
	}
	if sn.isCopy() && now.Before(sn.copyStart) {
		return false
	}
	return !sn.expired(now)
}

// expired: a snapshot is deleted at the end of its retention period (source:
// management guide "manual snapshots are deleted at the end of the snapshot
// retention period").
func (sn *snapshot) expired(now time.Time) bool {
	if sn.retention <= 0 || sn.status(now) != snapAvailable {
		return false
	}
	return !now.Before(sn.retentionStart.Add(time.Duration(sn.retention) * 24 * time.Hour))
}

func (sn *snapshot) gone(now time.Time) bool {
	if sn.orphan {
		return true
	}
	return sn.expired(now)
}

// status is CREATING until the backup completes, then AVAILABLE or FAILED
// (source: service-2.json SnapshotStatus; Terraform waits CREATING ->
// AVAILABLE). A copy in the destination Region is COPYING while it runs and
// CANCELLED if its configuration was deleted meanwhile (assumed: AWS does
// not say which snapshot shows COPYING).
func (sn *snapshot) status(now time.Time) string {
	if sn.isCopy() {
		switch {
		case !sn.cancelledAt.IsZero():
			return snapCancelled
		case now.Before(sn.done):
			return snapCopying
		}
	} else if now.Before(sn.done) {
		return snapCreating
	}
	if sn.failed {
		return snapFailed
	}
	return snapAvailable
}

func (sn *snapshot) start() time.Time {
	if sn.isCopy() {
		return sn.copyStart
	}
	return sn.created
}

type copyConfig struct {
	id, arn           string
	region            string // the source Region
	namespace         string
	destinationRegion string
	destinationKmsKey string
	retention         int32
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func copyTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// --- output shapes (source: service-2.json Namespace, Workgroup, Snapshot,
// SnapshotCopyConfiguration, Tag; timestamps are SyntheticTimestamp_date_time
// with timestampFormat iso8601) ---

type namespaceOut struct {
	AdminUsername string      `json:"adminUsername,omitempty"`
	CreationDate  emu.ISO8601 `json:"creationDate"`
	DbName        string      `json:"dbName,omitempty"`
	IamRoles      []string    `json:"iamRoles"`
	KmsKeyID      string      `json:"kmsKeyId,omitempty"`
	LogExports    []string    `json:"logExports"`
	NamespaceArn  string      `json:"namespaceArn"`
	NamespaceID   string      `json:"namespaceId"`
	NamespaceName string      `json:"namespaceName"`
	Status        string      `json:"status"`
}

func (s *Service) namespaceOutLocked(n *namespace, now time.Time) namespaceOut {
	return namespaceOut{
		AdminUsername: n.adminUsername,
		CreationDate:  emu.ISO8601(n.created),
		DbName:        n.dbName,
		IamRoles:      []string{},
		KmsKeyID:      n.kmsKeyID,
		LogExports:    []string{},
		NamespaceArn:  n.arn,
		NamespaceID:   n.id,
		NamespaceName: n.name,
		Status:        s.namespaceStatusLocked(n, now),
	}
}

// namespaceStatusLocked: DELETING after DeleteNamespace; MODIFYING while one
// of its snapshots is being created (assumed: AWS does not document the
// namespace status during a snapshot; the brief models the source as busy);
// AVAILABLE otherwise.
func (s *Service) namespaceStatusLocked(n *namespace, now time.Time) string {
	if !n.deletingUntil.IsZero() {
		return nsDeleting
	}
	for _, sn := range s.snapshots {
		if !sn.isCopy() && sn.region == n.region && sn.nsArn == n.arn && sn.status(now) == snapCreating {
			return nsModifying
		}
	}
	return nsAvailable
}

type workgroupOut struct {
	BaseCapacity       int32       `json:"baseCapacity"`
	CreationDate       emu.ISO8601 `json:"creationDate"`
	EnhancedVpcRouting bool        `json:"enhancedVpcRouting"`
	NamespaceName      string      `json:"namespaceName"`
	Port               int32       `json:"port"`
	PubliclyAccessible bool        `json:"publiclyAccessible"`
	Status             string      `json:"status"`
	WorkgroupArn       string      `json:"workgroupArn"`
	WorkgroupID        string      `json:"workgroupId"`
	WorkgroupName      string      `json:"workgroupName"`
}

func workgroupOutOf(g *workgroup) workgroupOut {
	return workgroupOut{
		BaseCapacity:  g.baseCapacity,
		CreationDate:  emu.ISO8601(g.created),
		NamespaceName: g.namespace,
		// Default port of a workgroup (source: management guide, port 5439
		// default for Amazon Redshift).
		Port:          5439,
		Status:        g.status(),
		WorkgroupArn:  g.arn,
		WorkgroupID:   g.id,
		WorkgroupName: g.name,
	}
}

type snapshotOut struct {
	AccountsWithProvisionedRestoreAccess   []string     `json:"accountsWithProvisionedRestoreAccess"`
	AccountsWithRestoreAccess              []string     `json:"accountsWithRestoreAccess"`
	ActualIncrementalBackupSizeInMegaBytes float64      `json:"actualIncrementalBackupSizeInMegaBytes"`
	AdminUsername                          string       `json:"adminUsername,omitempty"`
	BackupProgressInMegaBytes              float64      `json:"backupProgressInMegaBytes"`
	CurrentBackupRateInMegaBytesPerSecond  float64      `json:"currentBackupRateInMegaBytesPerSecond"`
	ElapsedTimeInSeconds                   int64        `json:"elapsedTimeInSeconds"`
	EstimatedSecondsToCompletion           int64        `json:"estimatedSecondsToCompletion"`
	KmsKeyID                               string       `json:"kmsKeyId,omitempty"`
	NamespaceArn                           string       `json:"namespaceArn"`
	NamespaceName                          string       `json:"namespaceName"`
	OwnerAccount                           string       `json:"ownerAccount"`
	SnapshotArn                            string       `json:"snapshotArn"`
	SnapshotCreateTime                     emu.ISO8601  `json:"snapshotCreateTime"`
	SnapshotName                           string       `json:"snapshotName"`
	SnapshotRemainingDays                  int32        `json:"snapshotRemainingDays"`
	SnapshotRetentionPeriod                int32        `json:"snapshotRetentionPeriod"`
	SnapshotRetentionStartTime             *emu.ISO8601 `json:"snapshotRetentionStartTime,omitempty"`
	Status                                 string       `json:"status"`
	TotalBackupSizeInMegaBytes             float64      `json:"totalBackupSizeInMegaBytes"`
}

// snapshotOut renders a snapshot at now. While it is CREATING (or COPYING)
// the progress members move with the clock: elapsedTimeInSeconds counts up,
// estimatedSecondsToCompletion counts down, backupProgressInMegaBytes grows
// linearly to totalBackupSizeInMegaBytes at the rate
// currentBackupRateInMegaBytesPerSecond (source: member docs in
// service-2.json; the linear progress is assumed). The incremental size is
// reported as the whole backup (assumed: the emulator keeps no block
// history).
func snapshotOutOf(sn *snapshot, now time.Time) snapshotOut {
	status := sn.status(now)
	total := sn.done.Sub(sn.start())
	elapsed := now.Sub(sn.start())
	if elapsed < 0 {
		elapsed = 0
	}
	if elapsed > total || status == snapAvailable || status == snapFailed {
		elapsed = total
	}
	if status == snapCancelled {
		elapsed = sn.cancelledAt.Sub(sn.start())
	}
	frac := 1.0
	if total > 0 {
		frac = float64(elapsed) / float64(total)
	}
	progress := round3(sn.sizeMB * frac)
	rate := 0.0
	if total > 0 {
		rate = round3(sn.sizeMB / total.Seconds())
	}
	remaining := int64(0)
	if status == snapCreating || status == snapCopying {
		remaining = int64(math.Ceil((total - elapsed).Seconds()))
	}
	out := snapshotOut{
		AccountsWithProvisionedRestoreAccess:   []string{},
		AccountsWithRestoreAccess:              []string{},
		ActualIncrementalBackupSizeInMegaBytes: progress,
		AdminUsername:                          sn.adminUsername,
		BackupProgressInMegaBytes:              progress,
		CurrentBackupRateInMegaBytesPerSecond:  rate,
		ElapsedTimeInSeconds:                   int64(elapsed / time.Second),
		EstimatedSecondsToCompletion:           remaining,
		KmsKeyID:                               sn.kmsKeyID,
		NamespaceArn:                           sn.nsArn,
		NamespaceName:                          sn.nsName,
		OwnerAccount:                           sn.owner,
		SnapshotArn:                            sn.arn,
		SnapshotCreateTime:                     emu.ISO8601(sn.created),
		SnapshotName:                           sn.name,
		SnapshotRemainingDays:                  remainingDays(sn, now),
		SnapshotRetentionPeriod:                sn.retention,
		Status:                                 status,
		TotalBackupSizeInMegaBytes:             sn.sizeMB,
	}
	if !sn.retentionStart.IsZero() {
		t := emu.ISO8601(sn.retentionStart)
		out.SnapshotRetentionStartTime = &t
	}
	return out
}

// remainingDays: -1 for a snapshot kept indefinitely (assumed, as
// Redshift's ManualSnapshotRemainingDays); otherwise the whole days left of
// the retention period counted from snapshotRetentionStartTime.
func remainingDays(sn *snapshot, now time.Time) int32 {
	if sn.retention <= 0 {
		return retainIndefinitely
	}
	left := sn.retentionStart.Add(time.Duration(sn.retention) * 24 * time.Hour).Sub(now)
	if left <= 0 {
		return 0
	}
	return int32(math.Ceil(left.Hours() / 24))
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

type copyConfigOut struct {
	DestinationKmsKeyID          string `json:"destinationKmsKeyId,omitempty"`
	DestinationRegion            string `json:"destinationRegion"`
	NamespaceName                string `json:"namespaceName"`
	SnapshotCopyConfigurationArn string `json:"snapshotCopyConfigurationArn"`
	SnapshotCopyConfigurationID  string `json:"snapshotCopyConfigurationId"`
	SnapshotRetentionPeriod      int32  `json:"snapshotRetentionPeriod"`
}

func copyConfigOutOf(c *copyConfig) copyConfigOut {
	return copyConfigOut{
		DestinationKmsKeyID:          c.destinationKmsKey,
		DestinationRegion:            c.destinationRegion,
		NamespaceName:                c.namespace,
		SnapshotCopyConfigurationArn: c.arn,
		SnapshotCopyConfigurationID:  c.id,
		SnapshotRetentionPeriod:      c.retention,
	}
}

type tagIn struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

type tagOut struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func tagsOut(m map[string]string) []tagOut {
	out := make([]tagOut, 0, len(m))
	for _, k := range emu.SortedKeys(m) {
		out = append(out, tagOut{Key: k, Value: m[k]})
	}
	return out
}
