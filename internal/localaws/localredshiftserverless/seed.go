package localredshiftserverless

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// SeedSection is the "redshiftServerless" section of the seed file:
//
//	"redshiftServerless": {"namespaces": [
//	  {"name": "analytics", "dataSizeMB": 20480, "tags": {"team": "bi"},
//	   "workgroupName": "analytics-wg",
//	   "snapshotCopy": {"destinationRegion": "us-west-2", "snapshotRetentionPeriod": 7}}
//	]}
type SeedSection struct {
	Namespaces []SeedNamespace `json:"namespaces"`
}

// SeedNamespace is one namespace of the seed. It is created through the same
// code as CreateNamespace (validation included), then its workgroup through
// the code of CreateWorkgroup and its copy configuration through the code of
// CreateSnapshotCopyConfiguration.
type SeedNamespace struct {
	// Name is the namespace name (NamespaceName may be used instead).
	Name          string `json:"name"`
	NamespaceName string `json:"namespaceName,omitempty"`
	// DataSizeMB drives the snapshot duration through the snapshot model
	// and is the snapshots' totalBackupSizeInMegaBytes.
	DataSizeMB int64 `json:"dataSizeMB"`
	// SnapshotSeconds, when positive, is the snapshot duration instead.
	SnapshotSeconds float64           `json:"snapshotSeconds,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	// Region defaults to the seed's region.
	Region        string `json:"region,omitempty"`
	AdminUsername string `json:"adminUsername,omitempty"`
	DbName        string `json:"dbName,omitempty"`
	KmsKeyID      string `json:"kmsKeyId,omitempty"`
	// WorkgroupName names the namespace's workgroup; it defaults to the
	// namespace name, since a namespace without a workgroup cannot be
	// snapshotted. NoWorkgroup seeds a namespace without one.
	WorkgroupName string `json:"workgroupName,omitempty"`
	NoWorkgroup   bool   `json:"noWorkgroup,omitempty"`
	// SnapshotCopy, when set, gives the namespace a snapshot copy
	// configuration.
	SnapshotCopy *SeedSnapshotCopy `json:"snapshotCopy,omitempty"`
}

// SeedSnapshotCopy is a snapshot copy configuration in the seed.
type SeedSnapshotCopy struct {
	DestinationRegion       string `json:"destinationRegion"`
	DestinationKmsKeyID     string `json:"destinationKmsKeyId,omitempty"`
	SnapshotRetentionPeriod *int32 `json:"snapshotRetentionPeriod,omitempty"`
}

// Seed creates the namespaces of the seed section; region is the default for
// items that name none. A bad item fails with an error naming it.
func (s *Service) Seed(region string, raw json.RawMessage) error {
	var sec SeedSection
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sec); err != nil {
		return fmt.Errorf("redshiftServerless seed: %w", err)
	}
	now := s.lockedNow()
	defer s.mu.Unlock()
	for i, item := range sec.Namespaces {
		name := item.Name
		if name == "" {
			name = item.NamespaceName
		}
		label := fmt.Sprintf("redshiftServerless seed namespace %d (%q)", i+1, name)
		if item.DataSizeMB < 0 || item.SnapshotSeconds < 0 {
			return fmt.Errorf("%s: dataSizeMB and snapshotSeconds must not be negative", label)
		}
		r := item.Region
		if r == "" {
			r = region
		}
		var tags []tagIn
		for _, k := range emu.SortedKeys(item.Tags) {
			k, v := k, item.Tags[k]
			tags = append(tags, tagIn{Key: &k, Value: &v})
		}
		n, err := s.createNamespaceLocked(now, namespaceSpec{
			region: r, name: name, adminUsername: item.AdminUsername, dbName: item.DbName, kmsKeyID: item.KmsKeyID,
			tags: tags, dataSizeMB: item.DataSizeMB,
			snapshotOverride: time.Duration(item.SnapshotSeconds * float64(time.Second)),
		})
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		if !item.NoWorkgroup {
			wg := item.WorkgroupName
			if wg == "" {
				wg = n.name
			}
			if _, err := s.createWorkgroupLocked(now, r, wg, n.name, nil, nil); err != nil {
				return fmt.Errorf("%s: workgroup %q: %w", label, wg, err)
			}
		}
		if c := item.SnapshotCopy; c != nil {
			_, err := s.createCopyConfigLocked(copyConfigSpec{
				region: r, namespace: n.name, destinationRegion: c.DestinationRegion,
				destinationKmsKey: c.DestinationKmsKeyID, retention: c.SnapshotRetentionPeriod,
			})
			if err != nil {
				return fmt.Errorf("%s: snapshotCopy: %w", label, err)
			}
		}
	}
	return nil
}
