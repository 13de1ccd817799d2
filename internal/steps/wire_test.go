package steps_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snapflow/snapflow/internal/steps"
)

// TestInitFromEnvironment builds the steps as a main does, from the
// environment alone (AWS_ENDPOINT_URL for every client, path-style S3 for
// the local AWS, the default export bucket), and runs a target with an
// export through them.
func TestInitFromEnvironment(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            f.aws.URL(),
		"AWS_REGION":                  "us-east-1",
		"AWS_ACCESS_KEY_ID":           "AKIDINITTEST",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		// awsclient.Load's HTTP client cannot take a custom CA bundle.
		"AWS_CA_BUNDLE":           "",
		steps.EnvS3PathStyle:      "true",
		steps.EnvExportBucket:     "ec-exports",
		steps.EnvLogLevel:         "debug",
		steps.EnvMetricsNamespace: "Test",
	} {
		t.Setenv(k, v)
	}
	out := &syncBuffer{}
	s, err := steps.Init(context.Background(), "create", os.Getenv, out)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = f.aws.Clock().Now
	f.steps, f.out = s, out

	item := f.item(ordersPolicy)
	item.Export.Bucket = "" // SNAPFLOW_EXPORT_BUCKET
	st := f.run(item)
	if st.Export == nil || st.Export.Bucket != "ec-exports" || len(st.Export.Objects) != 1 {
		t.Fatalf("export %+v", st.Export)
	}
	if s.Metrics.Namespace != "Test" || s.ExportBucket != "ec-exports" {
		t.Errorf("env not applied: %+v", s.Metrics)
	}
	keys := map[string]bool{}
	for _, c := range f.aws.Calls() {
		keys[c.AccessKeyID] = true
	}
	if !keys["AKIDINITTEST"] {
		t.Errorf("no call made with the environment's credentials: %v", keys)
	}
}

func TestEnvFrom(t *testing.T) {
	env, err := steps.EnvFrom(func(string) string { return "" })
	if err != nil || env.MetricsNamespace != "Snapflow" || env.S3PathStyle || env.LogLevel.String() != "INFO" {
		t.Fatalf("defaults: %+v, %v", env, err)
	}
	for _, tt := range []struct{ key, value, want string }{
		{steps.EnvLogLevel, "loud", "SNAPFLOW_LOG_LEVEL"},
		{steps.EnvS3PathStyle, "maybe", "SNAPFLOW_S3_PATH_STYLE"},
	} {
		_, err := steps.EnvFrom(func(k string) string {
			if k == tt.key {
				return tt.value
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%s: %v", tt.key, tt.value, err)
		}
	}
}
