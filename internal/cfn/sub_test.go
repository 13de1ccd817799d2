package cfn

import (
	"errors"
	"testing"
)

func TestExpandSub(t *testing.T) {
	lookup := func(name string) (any, error) {
		switch name {
		case "AWS::Region":
			return "us-east-1", nil
		case "Bucket.Arn":
			return "arn:aws:s3:::b", nil
		}
		return nil, errors.New("unknown " + name)
	}
	for _, tc := range []struct{ in, want, err string }{
		{"arn:aws:logs:${AWS::Region}:x", "arn:aws:logs:us-east-1:x", ""},
		{"${Bucket.Arn}/*", "arn:aws:s3:::b/*", ""},
		{"${!Literal} and ${AWS::Region}", "${Literal} and us-east-1", ""},
		{"plain", "plain", ""},
		{"${Nope}", "", "unknown Nope"},
		{"${AWS::Region", "", `Fn::Sub: unclosed ${ in "${AWS::Region"`},
	} {
		got, err := ExpandSub(tc.in, lookup)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ExpandSub(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ExpandSub(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
