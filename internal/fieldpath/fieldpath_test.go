package fieldpath

import (
	"encoding/json"
	"testing"
)

func TestWriteThenParse(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{Name("", "name"), "name"},
		{Name(Index("targets", 0), "id"), "targets[0].id"},
		{Name("tags", "a b"), `tags["a b"]`},
		{Index(Key(Name("selector", "tags"), "k"), 2), `selector.tags["k"][2]`},
		{Name("", "a.b"), `["a.b"]`},
		{Name(Index("targets", 1), ""), `targets[1][""]`},
		{Append("policies[0]", "targets[1].id"), "policies[0].targets[1].id"},
		{Append("policies[0]", `["x"]`), `policies[0]["x"]`},
		{Append("", "name"), "name"},
		{Append("stack", ""), "stack"},
	} {
		if tc.got != tc.want {
			t.Errorf("wrote %q, want %q", tc.got, tc.want)
		}
		if _, err := Parse(tc.got); err != nil {
			t.Errorf("%q: %v", tc.got, err)
		}
	}
	for _, p := range []string{"", ".a", "a.", "a..b", "a b", "a[x]", "a[]", `a["x]`, "a[0]b", "a.b c", "a[-1]"} {
		if _, err := Parse(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

func TestLookup(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"targets": [{"id": "a"}], "tags": {"a.b": "x"}}`), &doc); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"targets[0].id": true, `tags["a.b"]`: true, "targets[1]": false, "targets.id": false, "tags[0]": false, "name": false,
	} {
		steps, err := Parse(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := Lookup(doc, steps); got != want {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
}
