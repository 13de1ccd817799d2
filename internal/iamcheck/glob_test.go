package iamcheck

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		fold bool
		want bool
	}{
		{"*", "", false, true},
		{"*", "arn:aws:s3:::b/k", false, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/", false, true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false, false},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"*sf-*", "snapshot:sfc-x", false, false},
		{"*sf-*", "snapshot:sf-x", false, true},
		{"ELASTICACHE:Describe*", "elasticache:describesnapshots", true, true},
		{"ELASTICACHE:Describe*", "elasticache:describesnapshots", false, false},
	}
	for _, c := range cases {
		if got := match(c.p, c.s, c.fold); got != c.want {
			t.Errorf("match(%q, %q, %v) = %v", c.p, c.s, c.fold, got)
		}
	}
}

func TestIntersect(t *testing.T) {
	cases := []struct {
		p, q string
		want bool
	}{
		{"arn:aws:elasticache:us-east-1:1:snapshot:sf-*", "arn:aws:elasticache:us-east-1:1:snapshot:*", true},
		{"arn:aws:elasticache:us-east-1:1:serverlesscachesnapshot:sf-*", "arn:aws:elasticache:us-east-1:1:snapshot:*", false},
		{"arn:aws:elasticache:*:*:snapshot:*", "arn:aws:elasticache:us-east-1:1:snapshot:*", true},
		{"*", "arn:aws:s3:::*", true},
		{"arn:aws:s3:::b", "arn:aws:s3:::*", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::c/*", false},
		{"a?c", "*b*", true},
		{"a?c", "*dd*", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"", "*", true},
		{"x", "", false},
	}
	for _, c := range cases {
		if got := intersect(c.p, c.q); got != c.want {
			t.Errorf("intersect(%q, %q) = %v", c.p, c.q, got)
		}
		if got := intersect(c.q, c.p); got != c.want {
			t.Errorf("intersect(%q, %q) = %v (swapped)", c.q, c.p, got)
		}
	}
}
