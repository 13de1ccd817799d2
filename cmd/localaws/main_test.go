package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/memorydb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/snapflow/snapflow/internal/awsclient"
)

const fleetSeed = "../../internal/localaws/testdata/fleet.json"

var ctx = context.Background()

// buildBinary builds cmd/localaws into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(dir, "localaws")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// syncBuffer is a bytes.Buffer safe to read while the process writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one running localaws process.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan error
}

// start runs the binary with args plus --addr and waits for /_localaws/health.
func start(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, append([]string{"--addr", addr}, args...)...)
	s := &server{t: t, cmd: cmd, url: "http://" + addr, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.url + "/_localaws/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("localaws exited before serving: %v\n%s", err, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("localaws not healthy after 15 s: %v\n%s", err, s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and expects a clean exit.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Fatalf("exit after SIGTERM: %v\n%s", err, s.stderr)
		}
	case <-time.After(10 * time.Second):
		s.t.Fatalf("no exit 10 s after SIGTERM\n%s", s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		s.t.Errorf("stderr: %s", s.stderr)
	}
}

// get decodes an admin API answer.
func (s *server) admin(method, path, body string, out any) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.url+"/_localaws/"+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

func (s *server) config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBINARY", "secret", ""),
		BaseEndpoint: aws.String(s.url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   awsclient.HTTPClient(),
	}
}

type clock struct {
	Now   time.Time `json:"now"`
	Speed float64   `json:"speed"`
}

func TestBinary(t *testing.T) {
	bin := buildBinary(t, t.TempDir())

	t.Run("seeded, stopped clock, SDK calls, SIGTERM", func(t *testing.T) {
		startAt := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		s := start(t, bin, "--seed", fleetSeed, "--speed", "0", "--start", startAt.Format(time.RFC3339),
			"--region", "us-east-1", "--account", "210987654321")

		var health struct {
			OK        bool   `json:"ok"`
			Region    string `json:"region"`
			AccountID string `json:"accountId"`
		}
		s.admin("GET", "health", "", &health)
		if !health.OK || health.Region != "us-east-1" || health.AccountID != "210987654321" {
			t.Errorf("health: %+v", health)
		}
		var c clock
		s.admin("GET", "clock", "", &c)
		if !c.Now.Equal(startAt) || c.Speed != 0 {
			t.Errorf("clock %+v, want %v at speed 0", c, startAt)
		}

		cfg := s.config("us-east-1")
		ec := elasticache.NewFromConfig(cfg)
		rgs, err := ec.DescribeReplicationGroups(ctx, &elasticache.DescribeReplicationGroupsInput{ReplicationGroupId: aws.String("sessions")})
		if err != nil {
			t.Fatal(err)
		}
		if arn := aws.ToString(rgs.ReplicationGroups[0].ARN); arn != "arn:aws:elasticache:us-east-1:210987654321:replicationgroup:sessions" {
			t.Errorf("ARN %s (--account)", arn)
		}
		if _, err := ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{ReplicationGroupId: aws.String("sessions"), SnapshotName: aws.String("bin-1")}); err != nil {
			t.Fatal(err)
		}
		s.admin("POST", "clock", `{"advance": "1h"}`, &c)
		if !c.Now.Equal(startAt.Add(time.Hour)) {
			t.Errorf("clock after advance: %v", c.Now)
		}
		if _, err := ec.CopySnapshot(ctx, &elasticache.CopySnapshotInput{SourceSnapshotName: aws.String("bin-1"), TargetSnapshotName: aws.String("bin-1"),
			TargetBucket: aws.String("snapflow-exports")}); err != nil {
			t.Fatal(err)
		}
		mdb := memorydb.NewFromConfig(cfg)
		if _, err := mdb.CreateSnapshot(ctx, &memorydb.CreateSnapshotInput{ClusterName: aws.String("ledger"), SnapshotName: aws.String("bin-2")}); err != nil {
			t.Fatal(err)
		}
		s.admin("POST", "clock", `{"advance": "1h"}`, nil)
		if _, err := mdb.CopySnapshot(ctx, &memorydb.CopySnapshotInput{SourceSnapshotName: aws.String("bin-2"), TargetSnapshotName: aws.String("bin-2"),
			TargetBucket: aws.String("snapflow-exports")}); err != nil {
			t.Fatal(err)
		}
		s.admin("POST", "clock", `{"advance": "1h"}`, nil)
		s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("snapflow-exports"), Prefix: aws.String("bin-")})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range list.Contents {
			keys = append(keys, *o.Key)
		}
		if strings.Join(keys, " ") != "bin-1-0001.rdb bin-1-0002.rdb bin-1-0003.rdb bin-2-0001.rdb bin-2-0002.rdb" {
			t.Errorf("exported objects: %v", keys)
		}
		var calls []struct {
			Service, Action, AccessKeyID string
		}
		s.admin("GET", "calls", "", &calls)
		if len(calls) != 6 || calls[0].AccessKeyID != "AKIDBINARY" {
			t.Errorf("calls: %+v", calls)
		}
		s.stop()
	})

	t.Run("fast clock and another default region", func(t *testing.T) {
		s := start(t, bin, "--seed", fleetSeed, "--speed", "3600", "--region", "eu-west-1")
		var health struct {
			Region    string `json:"region"`
			AccountID string `json:"accountId"`
		}
		s.admin("GET", "health", "", &health)
		if health.Region != "eu-west-1" || health.AccountID != "123456789012" {
			t.Errorf("health: %+v", health)
		}
		var c1, c2 clock
		s.admin("GET", "clock", "", &c1)
		if c1.Speed != 3600 || time.Since(c1.Now) > time.Minute {
			t.Errorf("clock %+v: want speed 3600 from about now", c1)
		}
		time.Sleep(100 * time.Millisecond)
		s.admin("GET", "clock", "", &c2)
		if d := c2.Now.Sub(c1.Now); d < 5*time.Minute {
			t.Errorf("at speed 3600 the clock moved %v in 100 ms", d)
		}

		// The seed's region is us-east-1; --region is where unsigned
		// requests go: eu-west-1 has no clusters.
		req, _ := http.NewRequest("POST", s.url+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "AmazonMemoryDB.DescribeClusters")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `"Clusters":[]`) {
			t.Errorf("unsigned DescribeClusters (eu-west-1): %s", body)
		}
		out, err := memorydb.NewFromConfig(s.config("us-east-1")).DescribeClusters(ctx, &memorydb.DescribeClustersInput{})
		if err != nil || len(out.Clusters) != 2 {
			t.Errorf("signed us-east-1 DescribeClusters: %v", err)
		}
		// A snapshot of leaderboard (30 simulated seconds) completes in
		// well under a real second.
		ec := elasticache.NewFromConfig(s.config("us-east-1"))
		if _, err := ec.CreateSnapshot(ctx, &elasticache.CreateSnapshotInput{CacheClusterId: aws.String("leaderboard"), SnapshotName: aws.String("fast")}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			d, err := ec.DescribeSnapshots(ctx, &elasticache.DescribeSnapshotsInput{SnapshotName: aws.String("fast")})
			if err != nil {
				t.Fatal(err)
			}
			if *d.Snapshots[0].SnapshotStatus == "available" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("snapshot not available after 5 s at speed 3600")
			}
			time.Sleep(10 * time.Millisecond)
		}
		s.stop()
	})

	t.Run("bad flags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--start", "yesterday"}, "--start"},
			{[]string{"--seed", "testdata/none.json"}, "seed"},
			{[]string{"--speed", "fast"}, "invalid value"},
			{[]string{"--nope"}, "flag provided but not defined"},
		} {
			cmd := exec.Command(bin, append([]string{"--addr", freeAddr(t)}, tc.args...)...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Errorf("%v: exit %v, want a failure", tc.args, err)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("%v: output %q does not mention %q", tc.args, out, tc.want)
			}
		}
		// A taken address.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		out, err := exec.Command(bin, "--addr", ln.Addr().String()).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "listen") {
			t.Errorf("taken address: %v %s", err, out)
		}
	})
}
