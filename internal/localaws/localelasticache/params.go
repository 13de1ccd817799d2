package localelasticache

import (
	"strconv"
	"strings"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Reading awsQuery parameters. Each reader answers the call and returns
// ok=false when the parameter is malformed.

// has reports whether the request carries the parameter.
func (c *call) has(name string) bool {
	_, ok := c.r.PostForm[name]
	return ok
}

func (c *call) str(name string) string { return c.r.PostForm.Get(name) }

// required returns a parameter that must be present and not empty.
func (c *call) required(name string) (string, bool) {
	v := c.str(name)
	if v == "" {
		c.fail(errMissing(name))
		return "", false
	}
	return v, true
}

// named returns the required parameter param, the name of a resource of
// the ARN kind (cluster, replicationgroup, snapshot, …), in lower case as
// ElastiCache stores names, once the call acting on that resource is
// admitted.
func (c *call) named(param, kind string) (string, emu.Admission, bool) {
	name, ok := c.required(param)
	if !ok {
		return "", emu.Admission{}, false
	}
	name = strings.ToLower(name)
	adm, ok := c.admit(c.s.arn(c.region(), kind, name))
	return name, adm, ok
}

// optInt returns an optional integer parameter (nil when absent).
func (c *call) optInt(name string) (*int, bool) {
	if !c.has(name) || c.str(name) == "" {
		return nil, true
	}
	n, err := strconv.Atoi(c.str(name))
	if err != nil {
		c.fail(errInvalidValue("Invalid value for %s: %q is not an integer.", name, c.str(name)))
		return nil, false
	}
	return &n, true
}

// optBool returns an optional boolean parameter (nil when absent).
func (c *call) optBool(name string) (*bool, bool) {
	if !c.has(name) || c.str(name) == "" {
		return nil, true
	}
	b, err := strconv.ParseBool(c.str(name))
	if err != nil {
		c.fail(errInvalidValue("Invalid value for %s: %q is not a boolean.", name, c.str(name)))
		return nil, false
	}
	return &b, true
}

// tagsParam reads Tags.Tag.N.Key / Tags.Tag.N.Value (model: TagList, member
// locationName "Tag").
func (c *call) tagsParam() []tag {
	var out []tag
	for _, m := range emu.QueryStructs(c.r.PostForm, "Tags.Tag") {
		out = append(out, tag{Key: m["Key"], Value: m["Value"]})
	}
	return out
}

// pageSize reads MaxRecords / MaxResults with the operation's default and
// bounds (the model documents them per operation).
func (c *call) pageSize(name string, def, min, max int) (int, bool) {
	n, ok := c.optInt(name)
	if !ok {
		return 0, false
	}
	if n == nil {
		return def, true
	}
	if *n < min || *n > max {
		c.fail(errInvalidValue("Invalid value for %s: %d. It must be between %d and %d.", name, *n, min, max))
		return 0, false
	}
	return *n, true
}

// validIdentifier checks the naming rules ElastiCache documents for
// replication group and cluster identifiers and for backup names: 1 to max
// alphanumeric characters or hyphens, starting with a letter, with no two
// consecutive hyphens and no hyphen at the end (model documentation of
// CreateReplicationGroup.ReplicationGroupId (40) and
// CreateCacheCluster.CacheClusterId (50); User Guide "Taking manual
// backups" for backup names (40)).
func validIdentifier(param, v string, max int) *emu.APIError {
	bad := len(v) == 0 || len(v) > max || !isLetter(v[0]) || strings.HasSuffix(v, "-") || strings.Contains(v, "--")
	for i := 0; i < len(v) && !bad; i++ {
		if !isLetter(v[i]) && !(v[i] >= '0' && v[i] <= '9') && v[i] != '-' {
			bad = true
		}
	}
	if bad {
		return errInvalidValue("The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; must be 1 to %d characters long; and must not end with a hyphen or contain two consecutive hyphens.", param, max)
	}
	return nil
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }
