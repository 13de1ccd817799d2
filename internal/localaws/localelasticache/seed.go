package localelasticache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Seed is the "elasticache" section of the local AWS seed file:
//
//	"elasticache": {
//	  "replicationGroups": [{"id": "orders", "engine": "valkey", "shards": 3, "replicasPerShard": 1,
//	                         "dataSizeMB": 2048, "tags": {"team": "a"}}],
//	  "cacheClusters":     [{"id": "sessions", "engine": "redis", "dataSizeMB": 512},
//	                        {"id": "pages", "engine": "memcached", "numCacheNodes": 2}],
//	  "serverlessCaches":  [{"name": "carts", "engine": "valkey", "dataSizeMB": 300}]
//	}
//
// Seeded resources already exist: they start "available". Each goes through
// the same validation as its create operation, and a bad item fails the
// seed with an error naming it.
type Seed struct {
	ReplicationGroups []SeedReplicationGroup `json:"replicationGroups,omitempty"`
	CacheClusters     []SeedCacheCluster     `json:"cacheClusters,omitempty"`
	ServerlessCaches  []SeedServerlessCache  `json:"serverlessCaches,omitempty"`
}

// SeedSource holds what every seeded source has.
type SeedSource struct {
	// DataSizeMB drives the snapshot duration (emu.DurationModel).
	DataSizeMB int64 `json:"dataSizeMB,omitempty"`
	// SnapshotSeconds, when positive, is the snapshot duration instead.
	SnapshotSeconds float64           `json:"snapshotSeconds,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	// Region defaults to the seed file's region.
	Region string `json:"region,omitempty"`
}

// SeedReplicationGroup is a replication group. Shards > 1 (or ClusterMode
// true) makes it cluster mode enabled; DataTiering needs an r6gd node type
// and is set automatically for one.
type SeedReplicationGroup struct {
	ID                     string `json:"id"`
	Description            string `json:"description,omitempty"`
	Engine                 string `json:"engine,omitempty"` // valkey or redis (default redis)
	EngineVersion          string `json:"engineVersion,omitempty"`
	CacheNodeType          string `json:"cacheNodeType,omitempty"`
	ClusterMode            bool   `json:"clusterMode,omitempty"`
	Shards                 int    `json:"shards,omitempty"`
	ReplicasPerShard       int    `json:"replicasPerShard,omitempty"`
	DataTiering            bool   `json:"dataTiering,omitempty"`
	KmsKeyID               string `json:"kmsKeyId,omitempty"`
	SnapshotRetentionLimit int    `json:"snapshotRetentionLimit,omitempty"`
	SeedSource
}

// SeedCacheCluster is a standalone cache cluster (Valkey / Redis OSS with
// one node, or Memcached with NumCacheNodes nodes).
type SeedCacheCluster struct {
	ID                     string `json:"id"`
	Engine                 string `json:"engine,omitempty"` // redis (default), valkey or memcached
	EngineVersion          string `json:"engineVersion,omitempty"`
	CacheNodeType          string `json:"cacheNodeType,omitempty"`
	NumCacheNodes          int    `json:"numCacheNodes,omitempty"`
	SnapshotRetentionLimit int    `json:"snapshotRetentionLimit,omitempty"`
	SeedSource
}

// SeedServerlessCache is a serverless cache. Shards is its number of
// internal shards, hence of objects an export writes (default 1, assumed).
type SeedServerlessCache struct {
	Name               string `json:"name"`
	Description        string `json:"description,omitempty"`
	Engine             string `json:"engine,omitempty"` // valkey (default), redis or memcached
	MajorEngineVersion string `json:"majorEngineVersion,omitempty"`
	KmsKeyID           string `json:"kmsKeyId,omitempty"`
	Shards             int    `json:"shards,omitempty"`
	SeedSource
}

func (src SeedSource) tags() []tag {
	var out []tag
	for k, v := range src.Tags {
		out = append(out, tag{Key: k, Value: v})
	}
	return out
}

func (src SeedSource) override() time.Duration {
	return time.Duration(src.SnapshotSeconds * float64(time.Second))
}

func (src SeedSource) region(def string) string { return orDefault(src.Region, def) }

// Seed creates the resources of the "elasticache" section (emu.Seeder);
// region is the default for items that name none. Unknown fields are
// errors, so that a typo does not silently seed something else.
func (s *Service) Seed(region string, raw json.RawMessage) error {
	var seed Seed
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&seed); err != nil {
		return fmt.Errorf("elasticache seed: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.env.Clock.Now()
	s.settleLocked(now)
	var errs []error
	for i, it := range seed.ReplicationGroups {
		spec := groupSpec{
			id:              it.ID,
			description:     orDefault(it.Description, it.ID),
			engine:          it.Engine,
			version:         it.EngineVersion,
			nodeType:        it.CacheNodeType,
			kmsKeyID:        it.KmsKeyID,
			retention:       it.SnapshotRetentionLimit,
			tags:            it.tags(),
			dataSizeMB:      it.DataSizeMB,
			snapshotSeconds: it.override(),
		}
		if it.ClusterMode {
			spec.clusterMode = "enabled"
		}
		if it.Shards > 0 {
			n := it.Shards
			spec.numNodeGroups = &n
		}
		r := it.ReplicasPerShard
		spec.replicasPerShard = &r
		if it.DataTiering || (it.CacheNodeType != "" && strings.Contains(it.CacheNodeType, ".r6gd.")) {
			t := true
			spec.dataTiering = &t
			if spec.nodeType == "" {
				spec.nodeType = "cache.r6gd.xlarge"
			}
		}
		if r > 0 {
			t := true
			spec.automaticFailover = &t
		}
		if _, err := s.newReplicationGroup(it.region(region), spec, now, now); err != nil {
			errs = append(errs, fmt.Errorf("elasticache seed: replicationGroups[%d] %q: %s: %s", i, it.ID, err.Code, err.Message))
		}
	}
	for i, it := range seed.CacheClusters {
		spec := clusterSpec{
			id:              it.ID,
			engine:          it.Engine,
			version:         it.EngineVersion,
			nodeType:        it.CacheNodeType,
			retention:       it.SnapshotRetentionLimit,
			tags:            it.tags(),
			dataSizeMB:      it.DataSizeMB,
			snapshotSeconds: it.override(),
		}
		if it.NumCacheNodes > 0 {
			n := it.NumCacheNodes
			spec.numNodes = &n
		}
		if _, err := s.newCacheCluster(it.region(region), spec, now, now); err != nil {
			errs = append(errs, fmt.Errorf("elasticache seed: cacheClusters[%d] %q: %s: %s", i, it.ID, err.Code, err.Message))
		}
	}
	for i, it := range seed.ServerlessCaches {
		spec := serverlessSpec{
			name:            it.Name,
			description:     it.Description,
			engine:          orDefault(it.Engine, "valkey"),
			major:           it.MajorEngineVersion,
			kmsKeyID:        it.KmsKeyID,
			tags:            it.tags(),
			shards:          it.Shards,
			dataSizeMB:      it.DataSizeMB,
			snapshotSeconds: it.override(),
		}
		if _, err := s.newServerlessCache(it.region(region), spec, now, now); err != nil {
			errs = append(errs, fmt.Errorf("elasticache seed: serverlessCaches[%d] %q: %s: %s", i, it.Name, err.Code, err.Message))
		}
	}
	return errors.Join(errs...)
}
