package steps

import (
	"context"
	"fmt"
	"github.com/snapflow/snapflow/internal/simclock"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/metrics"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
)

// Init is a main's start-up: it reads the environment (getenv), loads the
// AWS configuration once (awsclient.Load: the Lambda role, AWS_REGION,
// AWS_ENDPOINT_URL[_<SERVICE>]) and builds every client. Logs and EMF
// metrics go to out (os.Stdout in Lambda).
func Init(ctx context.Context, function string, getenv func(string) string, out io.Writer) (*Steps, error) {
	env, err := EnvFrom(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	s := New(cfg, env, function, out)
	// Under the local runner, the simulated clock the workflow and the local
	// AWS share; unset in AWS (the wall clock).
	if now := simclock.FromEnv(getenv); now != nil {
		s.Now = now
	}
	return s, nil
}

// New builds Steps over clients made from cfg: the snapshot adapters (one
// set per region a target names, made on first use), the tagging, Redshift
// Serverless and S3 clients (S3 path-style when env says so, as the local
// AWS needs).
func New(cfg aws.Config, env Env, function string, out io.Writer) *Steps {
	r := newRegions(cfg, env)
	return &Steps{
		Adapters:     r.adapter,
		Tagging:      resourcegroupstaggingapi.NewFromConfig(cfg),
		Namespaces:   redshiftserverless.NewFromConfig(cfg),
		S3:           r.s3(""),
		S3For:        r.s3,
		ExportBucket: env.ExportBucket,
		Log:          NewLogger(out, env.LogLevel, function),
		Metrics:      metrics.Writer{Out: out, Namespace: env.MetricsNamespace},
	}
}

// regions holds the adapter sets and S3 clients by region; "" is the
// configuration's.
type regions struct {
	cfg  aws.Config
	env  Env
	mu   sync.Mutex
	sets map[string]adapters.Set
	s3s  map[string]ObjectAPI
}

func newRegions(cfg aws.Config, env Env) *regions {
	return &regions{cfg: cfg, env: env,
		sets: map[string]adapters.Set{"": adapters.New(cfg)}, s3s: map[string]ObjectAPI{}}
}

// config returns the configuration for a region.
func (r *regions) config(region string) aws.Config {
	cfg := r.cfg.Copy()
	if region != "" {
		cfg.Region = region
	}
	return cfg
}

func (r *regions) key(region string) string {
	if region == r.cfg.Region {
		return ""
	}
	return region
}

func (r *regions) adapter(service, region string) (snapshot.Adapter, error) {
	region = r.key(region)
	r.mu.Lock()
	set, ok := r.sets[region]
	if !ok {
		set = adapters.New(r.config(region))
		r.sets[region] = set
	}
	r.mu.Unlock()
	return set.For(service)
}

func (r *regions) s3(region string) ObjectAPI {
	region = r.key(region)
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.s3s[region]
	if !ok {
		c = s3.NewFromConfig(r.config(region), func(o *s3.Options) {
			o.UsePathStyle = r.env.S3PathStyle
			// Verify's ranged GETs carry no checksum to validate; the SDK
			// would log that, unstructured, on every object.
			o.DisableLogOutputChecksumValidationSkipped = true
		})
		r.s3s[region] = c
	}
	return c
}
