package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/localaws/localelasticache"
	"github.com/snapflow/snapflow/internal/localaws/localmemorydb"
	"github.com/snapflow/snapflow/internal/localaws/localmisc"
	"github.com/snapflow/snapflow/internal/localaws/localredshiftserverless"
	"github.com/snapflow/snapflow/internal/localaws/locals3"
)

// Options configure a local AWS.
type Options struct {
	// Region is used for requests that are not signed (default us-east-1).
	Region string
	// AccountID owns every resource (default 123456789012).
	AccountID string
	// Start is the simulated time at start (default: the real time now).
	Start time.Time
	// Speed is how many simulated seconds pass per real second; 0 stops the
	// clock so that only Advance moves it.
	Speed float64
	// Durations models how long snapshots take (default emu.DefaultDurationModel).
	Durations *emu.DurationModel
}

// AWS is one local AWS: its services, clock, faults and call record.
type AWS struct {
	region   string
	env      *emu.Env
	services map[string]emu.Service
	seeders  map[string]emu.Seeder // by seed file section
	s3       *locals3.Service
	sns      *localmisc.SNS
	events   *localmisc.Events
	settlers []settler

	srv *http.Server
	url string
}

// New builds a local AWS; Start serves it on a port, or use it as an
// http.Handler (it is one).
func New(opts Options) *AWS {
	if opts.Region == "" {
		opts.Region = emu.DefaultRegion
	}
	if opts.AccountID == "" {
		opts.AccountID = emu.DefaultAccountID
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now()
	}
	model := emu.DefaultDurationModel
	if opts.Durations != nil {
		model = *opts.Durations
	}
	clock := emu.NewClock(opts.Start, opts.Speed)
	env := &emu.Env{
		Clock:         clock,
		Faults:        emu.NewFaults(clock),
		Recorder:      &emu.Recorder{},
		AccountID:     opts.AccountID,
		SnapshotModel: model,
	}
	a := &AWS{region: opts.Region, env: env}
	a.s3 = locals3.New(env)
	env.Store = a.s3
	ec := localelasticache.New(env)
	mdb := localmemorydb.New(env)
	rss := localredshiftserverless.New(env)
	a.sns = localmisc.NewSNS(env)
	a.events = localmisc.NewEvents(env)
	tagging := localmisc.NewTagging(env, ec, mdb, rss, a.s3, a.sns, a.events)
	a.settlers = []settler{ec, mdb}
	a.services = map[string]emu.Service{}
	for _, s := range []emu.Service{a.s3, ec, mdb, rss, a.sns, a.events, tagging} {
		a.services[s.Name()] = s
	}
	a.seeders = map[string]emu.Seeder{
		"s3":                 a.s3,
		"elasticache":        ec,
		"memorydb":           mdb,
		"redshiftServerless": rss,
		"sns":                a.sns,
		"events":             a.events,
	}
	return a
}

// Start serves the local AWS on addr ("127.0.0.1:0" picks a free port).
func (a *AWS) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("localaws: listen %s: %w", addr, err)
	}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	a.url = "http://" + ln.Addr().String()
	go func() { _ = a.srv.Serve(ln) }()
	return nil
}

// URL is the endpoint to give the SDKs (BaseEndpoint / AWS_ENDPOINT_URL).
func (a *AWS) URL() string { return a.url }

// Close stops serving.
func (a *AWS) Close() error {
	if a.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return a.srv.Shutdown(ctx)
}

// Clock is the local AWS's simulated clock.
func (a *AWS) Clock() *emu.Clock { return a.env.Clock }

// Faults is where tests inject faults and rate limits.
func (a *AWS) Faults() *emu.Faults { return a.env.Faults }

// Calls returns every call made so far.
func (a *AWS) Calls() []emu.Call { return a.env.Recorder.Calls() }

// ResetCalls forgets the calls made so far.
func (a *AWS) ResetCalls() { a.env.Recorder.Reset() }

// Region is the default region.
func (a *AWS) Region() string { return a.region }

// AccountID is the account that owns every resource.
func (a *AWS) AccountID() string { return a.env.AccountID }

// S3 is the local S3, for tests that read exported objects directly.
func (a *AWS) S3() *locals3.Service { return a.s3 }

// SNS returns the local SNS and the messages published to it.
func (a *AWS) SNS() *localmisc.SNS { return a.sns }

// EventBridge returns the local EventBridge and the events put on it.
func (a *AWS) EventBridge() *localmisc.Events { return a.events }

// settler is a service whose lazy, time-driven state has effects elsewhere
// (exports that write S3 objects when they complete).
type settler interface{ Settle() }

// Settle brings every service's time-driven state up to the clock, so that
// S3 shows the objects of exports that have completed.
func (a *AWS) Settle() {
	for _, s := range a.settlers {
		s.Settle()
	}
}

// Seed creates the resources described by a seed file:
//
//	{"region": "us-east-1", "s3": {…}, "sns": {…}, "events": {…},
//	 "elasticache": {…}, "memorydb": {…}, "redshiftServerless": {…}}
//
// Sections are applied S3 first, so exports can find their buckets.
func (a *AWS) Seed(data []byte) error {
	var file map[string]json.RawMessage
	if err := json.Unmarshal(data, &file); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	region := a.region
	if raw, ok := file["region"]; ok {
		if err := json.Unmarshal(raw, &region); err != nil {
			return fmt.Errorf("seed: region: %w", err)
		}
	}
	var errs []error
	for name := range file {
		if _, ok := a.seeders[name]; !ok && name != "region" {
			errs = append(errs, fmt.Errorf("seed: unknown section %q (known: region, s3, sns, events, elasticache, memorydb, redshiftServerless)", name))
		}
	}
	for _, name := range []string{"s3", "sns", "events", "elasticache", "memorydb", "redshiftServerless"} {
		if raw, ok := file[name]; ok {
			if err := a.seeders[name].Seed(region, raw); err != nil {
				errs = append(errs, fmt.Errorf("seed: %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// SeedFile seeds from a file.
func (a *AWS) SeedFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return a.Seed(data)
}
