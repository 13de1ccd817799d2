package localmisc

import (
	"errors"
	"testing"
)

const sampleEvent = `{
  "version": "0", "id": "6a7e8feb", "detail-type": "Run Requested", "source": "snapflow",
  "account": "123456789012", "time": "2025-03-01T12:00:00Z", "region": "us-east-1",
  "resources": ["arn:aws:elasticache:us-east-1:123456789012:replicationgroup:orders"],
  "detail": {
    "policy": "nightly-gfs", "targets": ["orders", "sessions"], "count": 5, "ratio": 0.25,
    "dryRun": false, "note": null, "service": "ElastiCache", "file": "dump-0001.rdb",
    "sourceIp": "10.0.3.7", "shards": [{"id": "0001", "sizeMB": 300}, {"id": "0002", "sizeMB": 900}]
  }
}`

func TestPatternMatching(t *testing.T) {
	cases := []struct {
		pattern string
		want    bool
	}{
		{`{"source":["snapflow"]}`, true},
		{`{"source":["other","snapflow"]}`, true},
		{`{"source":["other"]}`, false},
		{`{"source":["snapflow"],"detail-type":["Run Completed"]}`, false},
		{`{"detail":{"policy":["nightly-gfs"]}}`, true},
		{`{"detail":{"count":[5]}}`, true},
		{`{"detail":{"count":["5"]}}`, false},
		{`{"detail":{"dryRun":[false]}}`, true},
		{`{"detail":{"note":[null]}}`, true},
		// Arrays in the event: any element may match.
		{`{"detail":{"targets":["sessions"]}}`, true},
		{`{"resources":[{"prefix":"arn:aws:elasticache:"}]}`, true},
		{`{"detail":{"policy":[{"prefix":"nightly"}]}}`, true},
		{`{"detail":{"policy":[{"prefix":"weekly"}]}}`, false},
		{`{"detail":{"service":[{"prefix":{"equals-ignore-case":"elasti"}}]}}`, true},
		{`{"detail":{"file":[{"suffix":".rdb"}]}}`, true},
		{`{"detail":{"file":[{"suffix":{"equals-ignore-case":".RDB"}}]}}`, true},
		{`{"detail":{"service":[{"equals-ignore-case":"elasticache"}]}}`, true},
		{`{"detail":{"policy":[{"anything-but":"weekly"}]}}`, true},
		{`{"detail":{"policy":[{"anything-but":["weekly","nightly-gfs"]}]}}`, false},
		{`{"detail":{"policy":[{"anything-but":{"prefix":"nightly"}}]}}`, false},
		{`{"detail":{"policy":[{"anything-but":{"suffix":"-gfs"}}]}}`, false},
		{`{"detail":{"count":[{"anything-but":[1,2,3]}]}}`, true},
		{`{"detail":{"missing":[{"anything-but":"x"}]}}`, false},
		{`{"detail":{"policy":[{"exists":true}]}}`, true},
		{`{"detail":{"missing":[{"exists":false}]}}`, true},
		{`{"detail":{"policy":[{"exists":false}]}}`, false},
		{`{"nothere":{"x":[{"exists":false}]}}`, true},
		{`{"detail":{"count":[{"numeric":[">",0,"<=",5]}]}}`, true},
		{`{"detail":{"count":[{"numeric":["<",5]}]}}`, false},
		{`{"detail":{"ratio":[{"numeric":["=",0.25]}]}}`, true},
		{`{"detail":{"file":[{"wildcard":"dump-*.rdb"}]}}`, true},
		{`{"detail":{"file":[{"wildcard":"*-0002.*"}]}}`, false},
		{`{"detail":{"sourceIp":[{"cidr":"10.0.0.0/16"}]}}`, true},
		{`{"detail":{"sourceIp":[{"cidr":"192.168.0.0/16"}]}}`, false},
		// Nested objects inside arrays.
		{`{"detail":{"shards":{"sizeMB":[{"numeric":[">",500]}]}}}`, true},
		{`{"detail":{"shards":{"id":["0003"]}}}`, false},
		// $or.
		{`{"$or":[{"source":["other"]},{"detail-type":["Run Requested"]}]}`, true},
		{`{"$or":[{"source":["other"]},{"detail-type":["Nope"]}]}`, false},
		{`{"source":["snapflow"],"$or":[{"detail":{"count":[{"numeric":[">",10]}]}},{"detail":{"dryRun":[false]}}]}`, true},
	}
	for _, tc := range cases {
		p, err := CompilePattern(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		got, err := p.MatchesJSON([]byte(sampleEvent))
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.pattern, got, tc.want)
		}
	}
}

func TestInvalidPatterns(t *testing.T) {
	for _, p := range []string{
		`not json`,
		`["source"]`,
		`{}`,
		`{"source":"snapflow"}`,
		`{"source":[]}`,
		`{"source":[{"regex":"x"}]}`,
		`{"source":[{"prefix":1}]}`,
		`{"source":[{"exists":"yes"}]}`,
		`{"count":[{"numeric":[">"]}]}`,
		`{"count":[{"numeric":["~",1]}]}`,
		`{"source":[{"anything-but":{"numeric":[">",1]}}]}`,
		`{"source":[{"prefix":"a","suffix":"b"}]}`,
		`{"source":[{"cidr":"nope"}]}`,
		`{"$or":[{"source":["a"]}]}`,
		`{"source":[{"wildcard":"a**b"}]}`,
	} {
		_, err := CompilePattern(p)
		var pe *PatternError
		if !errors.As(err, &pe) {
			t.Errorf("%s: accepted (%v)", p, err)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"a*c", "abc", true}, {"a*c", "ac", true}, {"a*c", "ab", false}, {"*", "", true},
		{"*b*", "abc", true}, {"a*b*c", "aXbYc", true}, {"a*a", "a", false}, {"abc", "abc", true},
	} {
		if got := wildcardMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("%q ~ %q: %v", tc.p, tc.s, got)
		}
	}
}
