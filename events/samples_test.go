package events_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/snapflow/snapflow/internal/policy"
)

// TestSamples decodes every sample execution input strictly and validates
// it, so the samples stay usable with StartExecution.
func TestSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("samples", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"elasticache.json", "elasticache-serverless.json", "memorydb.json",
		"redshift-serverless.json", "mixed-fleet.json", "tag-selector.json"}
	for _, name := range want {
		if _, err := os.Stat(filepath.Join("samples", name)); err != nil {
			t.Errorf("missing sample: %v", err)
		}
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := policy.Decode(data); err != nil {
				t.Error(err)
			}
		})
	}
}
