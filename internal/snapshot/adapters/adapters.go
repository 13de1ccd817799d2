// Package adapters builds the snapshot.Adapter of every service from one
// aws.Config, each SDK client once, and finds the one a target names.
package adapters

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"

	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/elasticacheadapter"
	"github.com/snapflow/snapflow/internal/snapshot/memorydbadapter"
	"github.com/snapflow/snapflow/internal/snapshot/redshiftadapter"
	"github.com/snapflow/snapflow/internal/snapshot/serverlessadapter"
)

// Set holds one adapter per service (snapshot.Services). Its zero value
// has none.
type Set struct {
	byService map[string]snapshot.Adapter
}

// New builds the adapters of every service over clients made from cfg
// (give it awsclient.Load's config, whose retryer knows the ElastiCache and
// MemoryDB throttle codes). The ElastiCache client is shared by the
// node-based and the serverless adapter. Build the Set once (at Lambda
// init) and reuse it.
func New(cfg aws.Config) Set {
	ec := elasticache.NewFromConfig(cfg)
	return Of(
		elasticacheadapter.New(ec),
		serverlessadapter.New(ec),
		memorydbadapter.New(memorydb.NewFromConfig(cfg)),
		redshiftadapter.New(redshiftserverless.NewFromConfig(cfg)),
	)
}

// Of makes a Set of the given adapters, keyed by their Service (a later one
// replaces an earlier one of the same service). Tests use it to put
// adapters over other clients in a Set.
func Of(list ...snapshot.Adapter) Set {
	s := Set{byService: make(map[string]snapshot.Adapter, len(list))}
	for _, a := range list {
		s.byService[a.Service()] = a
	}
	return s
}

// For returns the adapter of a service (snapshot.ElastiCache, …); an
// unknown service is errclass.InvalidInput.
func (s Set) For(service string) (snapshot.Adapter, error) {
	if a, ok := s.byService[service]; ok {
		return a, nil
	}
	return nil, errclass.New(errclass.InvalidInput, "unknown service %q: want one of %s", service, strings.Join(snapshot.Services, ", "))
}
