package adapters_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/snapflow/snapflow/internal/awsclient"
	"github.com/snapflow/snapflow/internal/errclass"
	"github.com/snapflow/snapflow/internal/localaws"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
)

const seed = `{
  "elasticache": {"replicationGroups": [{"id": "orders"}], "serverlessCaches": [{"name": "carts"}]},
  "memorydb": {"clusters": [{"name": "orders", "nodeType": "db.r7g.large"}]},
  "redshiftServerless": {"namespaces": [{"name": "analytics"}]}
}`

func start(t *testing.T) *localaws.AWS {
	t.Helper()
	a := localaws.New(localaws.Options{Start: time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)})
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if err := a.Seed([]byte(seed)); err != nil {
		t.Fatal(err)
	}
	return a
}

func config(url string, retryer func() aws.Retryer) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  aws.AnonymousCredentials{},
		BaseEndpoint: aws.String(url),
		HTTPClient:   awsclient.HTTPClient(),
		Retryer:      retryer,
	}
}

func TestSetHasEveryService(t *testing.T) {
	set := adapters.New(config("http://127.0.0.1:1", nil))
	for _, s := range snapshot.Services {
		a, err := set.For(s)
		if err != nil || a.Service() != s {
			t.Fatalf("For(%q) = %v, %v", s, a, err)
		}
	}
	_, err := set.For("rds")
	if !errclass.Is(err, errclass.InvalidInput) {
		t.Fatalf("For(rds) = %v, want InvalidInput", err)
	}
	if _, err := (adapters.Set{}).For(snapshot.ElastiCache); !errclass.Is(err, errclass.InvalidInput) {
		t.Fatalf("zero Set: %v", err)
	}
}

// sources names a source of the seed per service, with the action Source
// calls, its SigV4 service and its throttling code.
var sources = []struct {
	service, id, signing, action, throttle string
}{
	{snapshot.ElastiCache, "orders", "elasticache", "DescribeReplicationGroups", "APICallRateForCustomerExceeded"},
	{snapshot.ElastiCacheServerless, "carts", "elasticache", "DescribeServerlessCaches", "APICallRateForCustomerExceeded"},
	{snapshot.MemoryDB, "orders", "memorydb", "DescribeClusters", "APICallRateForCustomerExceededFault"},
	{snapshot.RedshiftServerless, "analytics", "redshift-serverless", "GetNamespace", "ThrottlingException"},
}

func calls(a *localaws.AWS, signing, action string) []emu.Call {
	var out []emu.Call
	for _, c := range a.Calls() {
		if c.Service == signing && c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// TestRetryerRetriesThrottleCodes checks, through the SDK clients New
// builds and the local AWS's call record, that awsclient.NewRetryer backs
// off and retries each service's throttling code, which the SDK's standard
// retryer alone does not for ElastiCache and MemoryDB.
func TestRetryerRetriesThrottleCodes(t *testing.T) {
	ctx := context.Background()
	fast := func(r aws.Retryer) func() aws.Retryer {
		// Keep the retryer's decisions, cut its backoff for the test.
		return func() aws.Retryer { return retry.AddWithMaxBackoffDelay(r, time.Millisecond) }
	}
	for _, tc := range sources {
		t.Run(tc.service, func(t *testing.T) {
			local := start(t)
			set := adapters.New(config(local.URL(), fast(awsclient.NewRetryer())))
			a, err := set.For(tc.service)
			if err != nil {
				t.Fatal(err)
			}

			// Throttled twice: the third attempt succeeds.
			local.Faults().Add(emu.Fault{Service: tc.signing, Action: tc.action, Kind: emu.FaultThrottle, Count: 2})
			if _, err := a.Source(ctx, tc.id, ""); err != nil {
				t.Fatalf("Source after two throttles: %v", err)
			}
			got := calls(local, tc.signing, tc.action)
			if len(got) != 3 || got[0].ErrorCode != tc.throttle || got[1].ErrorCode != tc.throttle || got[2].ErrorCode != "" {
				t.Fatalf("calls %+v, want %s twice then success", got, tc.throttle)
			}

			// Throttled every time: MaxAttempts attempts, then Throttled.
			local.ResetCalls()
			local.Faults().Add(emu.Fault{Service: tc.signing, Action: tc.action, Kind: emu.FaultThrottle})
			_, err = a.Source(ctx, tc.id, "")
			if !errclass.Is(err, errclass.Throttled) {
				t.Fatalf("Source always throttled: %v, want Throttled", err)
			}
			if got := calls(local, tc.signing, tc.action); len(got) != awsclient.MaxAttempts {
				t.Fatalf("%d attempts, want %d", len(got), awsclient.MaxAttempts)
			}

			// The SDK's standard retryer alone gives up at once on the
			// ElastiCache and MemoryDB codes.
			local.ResetCalls()
			plain := adapters.New(config(local.URL(), fast(retry.NewStandard())))
			b, _ := plain.For(tc.service)
			_, err = b.Source(ctx, tc.id, "")
			want := 1
			if tc.throttle == "ThrottlingException" { // in the SDK's default list
				want = retry.DefaultMaxAttempts
			}
			if n := len(calls(local, tc.signing, tc.action)); !errclass.Is(err, errclass.Throttled) || n != want {
				t.Fatalf("standard retryer: %d attempts, %v; want %d", n, err, want)
			}
		})
	}
}
