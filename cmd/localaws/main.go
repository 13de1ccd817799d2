// Command localaws serves snapflow's local AWS on one loopback port: the
// snapshot control planes of ElastiCache (node-based and serverless),
// MemoryDB and Redshift Serverless, with S3, SNS, EventBridge and the
// Resource Groups Tagging API.
//
//	go run ./cmd/localaws --addr 127.0.0.1:4566 --seed fleet.json --speed 60
//
// Point the SDKs at it with AWS_ENDPOINT_URL=http://127.0.0.1:4566 (any
// credentials), or the AWS CLI with --endpoint-url.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/snapflow/snapflow/internal/localaws"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "localaws:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:4566", "address to listen on (loopback)")
	seed := flag.String("seed", "", "JSON seed file with the resources to create at start")
	speed := flag.Float64("speed", 1, "simulated seconds per real second (0 stops the clock; move it with POST /_localaws/clock)")
	start := flag.String("start", "", "simulated start time, RFC 3339 (default: now)")
	region := flag.String("region", "us-east-1", "region of requests that are not signed")
	account := flag.String("account", "123456789012", "account ID that owns every resource")
	flag.Parse()

	opts := localaws.Options{Region: *region, AccountID: *account, Speed: *speed}
	if *start != "" {
		t, err := time.Parse(time.RFC3339, *start)
		if err != nil {
			return fmt.Errorf("--start: %w", err)
		}
		opts.Start = t
	}
	aws := localaws.New(opts)
	if *seed != "" {
		if err := aws.SeedFile(*seed); err != nil {
			return err
		}
	}
	if err := aws.Start(*addr); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	log.Info("local AWS listening", "url", aws.URL(), "region", *region, "speed", *speed, "seed", *seed)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	log.Info("shutting down")
	return aws.Close()
}
