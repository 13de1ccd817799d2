// Package awsclient builds the aws.Config every snapflow binary uses: the
// SDK's standard retryer extended with the throttle codes the SDK does not
// know, and an HTTP client that survives a smithy-go / net/http race.
package awsclient

import (
	"context"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// ThrottleCodes are throttling errors that the SDK's standard retryer does
// not retry by default: ElastiCache's APICallRateForCustomerExceeded and
// MemoryDB's APICallRateForCustomerExceededFault (sources: the services'
// API models; the SDK's retry.DefaultThrottleErrorCodes lacks both).
var ThrottleCodes = []string{"APICallRateForCustomerExceeded", "APICallRateForCustomerExceededFault"}

// MaxAttempts is the SDK's attempts per call, first included. The state
// machine retries again, with longer backoff, on Snapflow.Throttled.
const MaxAttempts = 5

// NewRetryer returns the standard retryer that also backs off on
// ThrottleCodes.
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: codeSet(ThrottleCodes)})
		// The client-side retry quota would turn a throttling storm into
		// "retry quota exceeded" errors; Step Functions owns the long backoff.
		o.RateLimiter = ratelimit.None
	})
}

func codeSet(codes []string) map[string]struct{} {
	m := make(map[string]struct{}, len(codes))
	for _, c := range codes {
		m[c] = struct{}{}
	}
	return m
}

// Load reads the shared configuration (environment, AWS_ENDPOINT_URL_* and
// the Lambda role) with snapflow's retryer and HTTP client.
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{config.WithRetryer(NewRetryer)}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, err
	}
	// Wrap whatever client the configuration built (it may carry a custom
	// CA bundle from AWS_CA_BUNDLE), rather than replacing it.
	next := cfg.HTTPClient
	if next == nil { // the SDK's own default, which clients would build
		next = awshttp.NewBuildableClient()
	}
	cfg.HTTPClient = readOnlyBodiesClient{next}
	return cfg, nil
}

// readOnlyBodiesClient applies readOnlyBodies to an aws.HTTPClient.
type readOnlyBodiesClient struct{ next aws.HTTPClient }

func (c readOnlyBodiesClient) Do(r *http.Request) (*http.Response, error) {
	return c.next.Do(hideWriterTo(r))
}

// HTTPClient returns an HTTP client whose transport hides io.WriterTo on
// request bodies. smithy-go closes a request body as soon as the response
// headers arrive; when that is before net/http's write loop has made its
// final read of the body (a fast server: loopback in tests, sometimes AWS),
// the closed body's WriteTo answers io.EOF, net/http takes it for a write
// error and closes the connection under the response being read ("use of
// closed network connection", aws/aws-sdk-go-v2#2737). Read alone ends the
// copy cleanly.
func HTTPClient() *http.Client {
	return &http.Client{Transport: readOnlyBodies{http.DefaultTransport.(*http.Transport).Clone()}}
}

type readOnlyBodies struct{ next http.RoundTripper }

func (t readOnlyBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.next.RoundTrip(hideWriterTo(r))
}

// hideWriterTo returns r with a body that offers only Read and Close.
func hideWriterTo(r *http.Request) *http.Request {
	if r.Body == nil || r.Body == http.NoBody {
		return r
	}
	r2 := *r
	r2.Body = struct{ io.ReadCloser }{r.Body}
	return &r2
}
