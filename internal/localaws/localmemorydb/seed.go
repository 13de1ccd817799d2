package localmemorydb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Seed is the "memorydb" section of the local AWS seed file:
//
//	"memorydb": {
//	  "clusters": [
//	    {"name": "orders", "nodeType": "db.r7g.large", "numShards": 3,
//	     "dataSizeMB": 2048, "snapshotSeconds": 90,
//	     "tags": {"team": "payments"}},
//	    {"name": "tiered", "nodeType": "db.r6gd.xlarge", "dataTiering": true,
//	     "region": "eu-west-1"}
//	  ]
//	}
type Seed struct {
	Clusters []SeedCluster `json:"clusters"`
}

// SeedCluster is one MemoryDB cluster that exists when the local AWS starts
// (status "available"). It goes through the same validation as
// CreateCluster.
type SeedCluster struct {
	// Name is the ClusterName (stored lowercase).
	Name string `json:"name"`
	// NodeType, e.g. "db.r7g.large"; r6gd node types need DataTiering.
	NodeType string `json:"nodeType"`
	// ACLName defaults to "open-access".
	ACLName string `json:"aclName,omitempty"`
	// Engine is "redis" (default) or "valkey"; EngineVersion defaults per engine.
	Engine        string `json:"engine,omitempty"`
	EngineVersion string `json:"engineVersion,omitempty"`
	Description   string `json:"description,omitempty"`
	// NumShards and NumReplicasPerShard default to 1 (as CreateCluster).
	NumShards           *int   `json:"numShards,omitempty"`
	NumReplicasPerShard *int   `json:"numReplicasPerShard,omitempty"`
	DataTiering         *bool  `json:"dataTiering,omitempty"`
	KmsKeyID            string `json:"kmsKeyId,omitempty"`
	// DataSizeMB drives snapshot durations through the duration model.
	DataSizeMB int64 `json:"dataSizeMB,omitempty"`
	// SnapshotSeconds, when positive, overrides the modelled duration.
	SnapshotSeconds float64 `json:"snapshotSeconds,omitempty"`
	// Tags are the cluster's tags.
	Tags map[string]string `json:"tags,omitempty"`
	// Region defaults to the seed file's region.
	Region string `json:"region,omitempty"`
}

// Seed creates the clusters of the seed file's "memorydb" section
// (emu.Seeder); region is the default for clusters that name none. Unknown
// fields are rejected, and every invalid cluster is reported by its index
// and name.
func (s *Service) Seed(region string, raw json.RawMessage) error {
	var seed Seed
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&seed); err != nil {
		return fmt.Errorf("memorydb: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.env.Clock.Now()
	var errs []error
	for i, sc := range seed.Clusters {
		r := sc.Region
		if r == "" {
			r = region
		}
		if sc.DataSizeMB < 0 || sc.SnapshotSeconds < 0 {
			errs = append(errs, fmt.Errorf("memorydb: clusters[%d] (%q): dataSizeMB and snapshotSeconds must not be negative", i, sc.Name))
			continue
		}
		tags, err := checkTags(mapTags(sc.Tags))
		if err == nil {
			_, err = s.addClusterLocked(r, clusterSpec{
				name: sc.Name, nodeType: sc.NodeType, aclName: or(sc.ACLName, "open-access"),
				description: sc.Description, engine: sc.Engine, engineVersion: sc.EngineVersion,
				kmsKeyID: sc.KmsKeyID, numShards: sc.NumShards, replicas: sc.NumReplicasPerShard,
				dataTiering: sc.DataTiering, tags: tags, dataSizeMB: sc.DataSizeMB,
				snapshotOverride: time.Duration(sc.SnapshotSeconds * float64(time.Second)),
			}, now, true)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("memorydb: clusters[%d] (%q): %s: %s", i, sc.Name, err.Code, err.Message))
		}
	}
	return errors.Join(errs...)
}

func mapTags(m map[string]string) []tagJSON {
	out := make([]tagJSON, 0, len(m))
	for k, v := range m {
		k, v := k, v
		out = append(out, tagJSON{Key: &k, Value: &v})
	}
	return out
}
