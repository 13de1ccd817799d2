package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/snapflow/snapflow/events"
)

var slot = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

func TestSnapshotName(t *testing.T) {
	tests := []struct {
		name, service, policy, target string
		slot                          time.Time
		want                          string
	}{
		{"fits", events.ServiceElastiCache, "nightly", "orders", slot,
			"sf-nightly-orders-202611200200"},
		{"lowercased", events.ServiceMemoryDB, "p", "Orders-Ledger", slot,
			"sf-p-orders-ledger-202611200200"},
		{"slot in another zone", events.ServiceElastiCache, "p", "c",
			time.Date(2026, 11, 20, 3, 0, 0, 0, time.FixedZone("CET", 3600)),
			"sf-p-c-202611200200"},
		{"exactly 40", events.ServiceElastiCache, "policy-abcdef", "cache-xyzw", slot,
			"sf-policy-abcdef-cache-xyzw-202611200200"},
		{"redshift keeps 64", events.ServiceRedshiftServerless, "warehouse-daily", "analytics-production-ns", slot,
			"sf-warehouse-daily-analytics-production-ns-202611200200"},
		{"cut at a hyphen", events.ServiceElastiCache, "nightly-orders", "orders-cache-primary", slot,
			"sf-nightly-orders-" + hash8("sf-nightly-orders-orders-cache-primary-202611200200") + "-202611200200"},
		{"cut mid-word", events.ServiceMemoryDB, "abcdefghijklmnopq", "xyzxyzxyzxyz", slot,
			"sf-abcdefghijklmno-" + hash8("sf-abcdefghijklmnopq-xyzxyzxyzxyz-202611200200") + "-202611200200"},
		{"unknown service uses strictest", "s3", "nightly-orders", "orders-cache-primary", slot,
			"sf-nightly-orders-" + hash8("sf-nightly-orders-orders-cache-primary-202611200200") + "-202611200200"},
		{"odd characters", events.ServiceElastiCache, "p", "a__b..c", slot, "sf-p-a-b-c-202611200200"},
		{"nothing usable", events.ServiceElastiCache, "", "", slot, "sf-202611200200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SnapshotName(tt.service, tt.policy, tt.target, tt.slot)
			if got != tt.want {
				t.Errorf("SnapshotName = %q, want %q", got, tt.want)
			}
			if err := ValidateName(tt.service, got); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCopyName(t *testing.T) {
	tests := []struct {
		prefix, want string
	}{
		{"", "sfc-nightly-orders-202611200200"},
		{"cp", "cp-nightly-orders-202611200200"},
	}
	for _, tt := range tests {
		if got := CopyName(events.ServiceMemoryDB, tt.prefix, "nightly", "orders", slot); got != tt.want {
			t.Errorf("CopyName(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
}

func TestManagedTags(t *testing.T) {
	got := ManagedTags("nightly", "orders", time.Date(2026, 11, 20, 3, 0, 0, 0, time.FixedZone("CET", 3600)))
	want := map[string]string{
		"snapflow:managed": "true",
		"snapflow:policy":  "nightly",
		"snapflow:target":  "orders",
		"snapflow:slot":    "2026-11-20T02:00:00Z",
	}
	if len(got) != ManagedTagCount || len(got) != len(want) {
		t.Fatalf("got %d tags, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		service, name string
		ok            bool
	}{
		{events.ServiceElastiCache, "sf-a-202611200200", true},
		{events.ServiceElastiCache, strings.Repeat("a", 41), false},
		{events.ServiceRedshiftServerless, strings.Repeat("a", 64), true},
		{events.ServiceRedshiftServerless, "ab", false},
		{events.ServiceMemoryDB, "1abc", false},
		{events.ServiceMemoryDB, "Abc", false},
		{events.ServiceMemoryDB, "a_b", false},
		{events.ServiceMemoryDB, "a--b", false},
		{events.ServiceMemoryDB, "ab-", false},
		{events.ServiceMemoryDB, "", false},
	}
	for _, tt := range tests {
		if err := ValidateName(tt.service, tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidateName(%s, %q) = %v, want ok=%v", tt.service, tt.name, err, tt.ok)
		}
	}
}

// TestNamesProperty checks, over random policies, targets and slots, that
// names are valid, stable, distinct per slot and distinct from copy names.
func TestNamesProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		service := events.Services[rng.Intn(len(events.Services))]
		policy := randomID(rng, "abcdefghijklmnopqrstuvwxyz0123456789-", 40)
		target := randomID(rng, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", 64)
		a := time.Unix(rng.Int63n(4e9), 0).UTC()
		b := a.Add(time.Duration(1+rng.Intn(1e6)) * time.Minute)

		name := SnapshotName(service, policy, target, a)
		if err := ValidateName(service, name); err != nil {
			t.Fatalf("policy %q target %q: %v", policy, target, err)
		}
		if again := SnapshotName(service, policy, target, a); again != name {
			t.Fatalf("not stable: %q then %q", name, again)
		}
		if other := SnapshotName(service, policy, target, b); other == name {
			t.Fatalf("slots %v and %v share the name %q", a, b, name)
		}
		copyName := CopyName(service, "", policy, target, a)
		if err := ValidateName(service, copyName); err != nil {
			t.Fatalf("copy: %v", err)
		}
		if copyName == name {
			t.Fatalf("copy and snapshot share the name %q", name)
		}
	}
}

// randomID returns a name that starts with a letter, uses chars and has no
// trailing or doubled hyphen, like the IDs internal/policy accepts.
func randomID(rng *rand.Rand, chars string, maxLen int) string {
	n := 1 + rng.Intn(maxLen)
	b := []byte{byte('a' + rng.Intn(26))}
	for len(b) < n {
		c := chars[rng.Intn(len(chars))]
		if c == '-' && (b[len(b)-1] == '-' || len(b) == n-1) {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func hash8(full string) string {
	sum := sha256.Sum256([]byte(full))
	return hex.EncodeToString(sum[:])[:8]
}
