package localredshiftserverless

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rss "github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
)

func TestSeed(t *testing.T) {
	h := newHarness(t, Options{})
	seed := `{"namespaces": [
	  {"name": "analytics", "dataSizeMB": 6000, "tags": {"team": "bi", "env": "prod"}, "adminUsername": "awsuser",
	   "snapshotCopy": {"destinationRegion": "us-west-2", "snapshotRetentionPeriod": 14}},
	  {"name": "quick", "dataSizeMB": 99999, "snapshotSeconds": 5, "workgroupName": "quick-compute"},
	  {"namespaceName": "bare", "noWorkgroup": true},
	  {"name": "europe", "region": "eu-west-1", "dataSizeMB": 10}
	]}`
	if err := h.svc.Seed("us-east-1", json.RawMessage(seed)); err != nil {
		t.Fatal(err)
	}
	c := h.east()
	list, err := c.ListNamespaces(ctx, &rss.ListNamespacesInput{})
	if err != nil || len(list.Namespaces) != 3 {
		t.Fatalf("namespaces %v %+v", err, list)
	}
	ana := list.Namespaces[0]
	if aws.ToString(ana.NamespaceName) != "analytics" || aws.ToString(ana.AdminUsername) != "awsuser" {
		t.Fatalf("analytics %+v", ana)
	}
	tags, _ := c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: ana.NamespaceArn})
	if len(tags.Tags) != 2 {
		t.Fatalf("tags %+v", tags.Tags)
	}
	// Workgroups: defaulted to the namespace name, or named.
	for _, wg := range []string{"analytics", "quick-compute"} {
		if _, err := c.GetWorkgroup(ctx, &rss.GetWorkgroupInput{WorkgroupName: aws.String(wg)}); err != nil {
			t.Fatalf("workgroup %s: %v", wg, err)
		}
	}
	_, err = c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("bare"), SnapshotName: aws.String("bare-1")})
	wantErr[*types.ValidationException](t, err)

	// dataSizeMB drives the duration; snapshotSeconds overrides it.
	sn := h.snapshot(c, "analytics", "analytics-1", nil)
	if aws.ToInt64(sn.EstimatedSecondsToCompletion) != 660 || aws.ToFloat64(sn.TotalBackupSizeInMegaBytes) != 6000 {
		t.Fatalf("analytics snapshot %+v", sn)
	}
	q := h.snapshot(c, "quick", "quick-1", nil)
	if aws.ToInt64(q.EstimatedSecondsToCompletion) != 5 {
		t.Fatalf("quick snapshot %+v", q)
	}
	// The seeded copy configuration copies to us-west-2.
	cfgs, err := c.ListSnapshotCopyConfigurations(ctx, &rss.ListSnapshotCopyConfigurationsInput{NamespaceName: aws.String("analytics")})
	if err != nil || len(cfgs.SnapshotCopyConfigurations) != 1 || aws.ToInt32(cfgs.SnapshotCopyConfigurations[0].SnapshotRetentionPeriod) != 14 {
		t.Fatalf("copy configs %v %+v", err, cfgs)
	}
	h.advance(2 * 660 * time.Second)
	if cp := h.get(h.client("us-west-2"), "analytics-1"); cp.Status != types.SnapshotStatusAvailable || aws.ToInt32(cp.SnapshotRetentionPeriod) != 14 {
		t.Fatalf("copy %+v", cp)
	}
	eu, err := h.client("eu-west-1").GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("europe")})
	if err != nil || !strings.Contains(aws.ToString(eu.Namespace.NamespaceArn), ":eu-west-1:") {
		t.Fatalf("europe %v %+v", err, eu)
	}
}

func TestSeedErrors(t *testing.T) {
	cases := map[string]string{
		`{"namespaces": [{"name": "ok-1"}, {"name": "Bad Name"}]}`:                                           `namespace 2 ("Bad Name")`,
		`{"namespaces": [{"name": "dup"}, {"name": "dup"}]}`:                                                 `namespace 2 ("dup")`,
		`{"namespaces": [{"name": "x-1", "unknown": 1}]}`:                                                    "unknown field",
		`{"namespaces": [{"name": "neg", "dataSizeMB": -1}]}`:                                                "must not be negative",
		`{"namespaces": [{"name": "tags", "tags": {"aws:x": "y"}}]}`:                                         `namespace 1 ("tags")`,
		`{"namespaces": [{"name": "cpy", "snapshotCopy": {"destinationRegion": "us-east-1"}}]}`:              "snapshotCopy",
		`{"namespaces": [{"name": "wg-1", "workgroupName": "WG"}]}`:                                          `workgroup "WG"`,
		`{"namespaces": [{"name": "a-1", "workgroupName": "w-1"}, {"name": "a-2", "workgroupName": "w-1"}]}`: `namespace 2 ("a-2")`,
	}
	for seed, want := range cases {
		h := newHarness(t, Options{})
		err := h.svc.Seed("us-east-1", json.RawMessage(seed))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("seed %s: error %v, want it to mention %q", seed, err, want)
		}
	}
}
