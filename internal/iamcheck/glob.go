package iamcheck

import "strings"

// match reports whether s matches the IAM wildcard pattern p: '*' matches
// any run of characters, also across the ':' and '/' of an ARN, and '?' any
// one character ("IAM JSON policy elements: Resource": "You can use
// wildcard characters (* and ?) within any ARN segment"; the same wildcards
// in Action). fold compares case-insensitively (actions are; resources are
// not).
func match(p, s string, fold bool) bool {
	if fold {
		p, s = strings.ToLower(p), strings.ToLower(s)
	}
	// Iterative wildcard matching with one backtrack point (the last '*').
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// intersect reports whether some string matches both wildcard patterns. It
// decides whether a statement's resource pattern can allow any resource of
// a type when the record does not name the resource (Check's "possible"
// verdict).
func intersect(p, q string) bool {
	n, m := len(p), len(q)
	memo := make([]int8, (n+1)*(m+1)) // 0 unknown, 1 yes, 2 no
	var f func(i, j int) bool
	f = func(i, j int) bool {
		k := i*(m+1) + j
		if memo[k] != 0 {
			return memo[k] == 1
		}
		r := false
		switch {
		case i == n && j == m:
			r = true
		case i < n && p[i] == '*':
			// p's star matches nothing more, or q's next symbol is consumed:
			// a character p's star absorbs, or a star of q matching nothing.
			r = f(i+1, j) || (j < m && f(i, j+1))
		case j < m && q[j] == '*':
			r = f(i, j+1) || (i < n && f(i+1, j))
		case i < n && j < m:
			r = (p[i] == '?' || q[j] == '?' || p[i] == q[j]) && f(i+1, j+1)
		}
		if r {
			memo[k] = 1
		} else {
			memo[k] = 2
		}
		return r
	}
	return f(0, 0)
}
