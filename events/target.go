package events

// Services snapflow can snapshot, as they appear in Target.Service.
const (
	ServiceElastiCache           = "elasticache"
	ServiceElastiCacheServerless = "elasticache-serverless"
	ServiceMemoryDB              = "memorydb"
	ServiceRedshiftServerless    = "redshift-serverless"
)

// Kinds of ElastiCache targets, as they appear in Target.Kind.
const (
	KindReplicationGroup = "replication-group"
	KindCacheCluster     = "cache-cluster"
)

// Services lists every supported service, in the order error messages use.
var Services = []string{
	ServiceElastiCache,
	ServiceElastiCacheServerless,
	ServiceMemoryDB,
	ServiceRedshiftServerless,
}

// Target is one resource to snapshot.
type Target struct {
	// Service is one of the Service* constants.
	Service string `json:"service"`
	// ID names the resource: the replication group or cache cluster ID
	// (elasticache), the serverless cache name (elasticache-serverless), the
	// cluster name (memorydb) or the namespace name (redshift-serverless).
	ID string `json:"id"`
	// Kind is set for elasticache only: KindReplicationGroup (the default)
	// or KindCacheCluster.
	Kind string `json:"kind,omitempty"`
	// Region overrides the region the workflow runs in.
	Region string `json:"region,omitempty"`
}
