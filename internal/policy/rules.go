package policy

import (
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/naming"
)

// nameRule describes an identifier made of ASCII letters, digits and
// hyphens.
type nameRule struct {
	min, max  int
	lowerOnly bool // no uppercase letters
	strict    bool // starts with a letter, no trailing or doubled hyphen
	text      string
}

func (r nameRule) ok(s string) bool {
	if len(s) < r.min || len(s) > r.max {
		return false
	}
	for _, c := range s {
		lower := c >= 'a' && c <= 'z'
		upper := c >= 'A' && c <= 'Z' && !r.lowerOnly
		if !lower && !upper && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	if !r.strict {
		return true
	}
	first := s[0] | 0x20 // ASCII lowercase
	return first >= 'a' && first <= 'z' && !strings.HasSuffix(s, "-") && !strings.Contains(s, "--")
}

const strictText = ", starting with a letter, not ending with a hyphen and without two consecutive hyphens"

var (
	// The policy name goes into snapshot names and tags, so it follows the
	// strictest snapshot-name rules (see internal/naming).
	policyName = nameRule{1, 40, true, true, "must be 1 to 40 lowercase letters, digits or hyphens" + strictText}

	// ReplicationGroupId: "1 to 40 alphanumeric characters or hyphens. The
	// first character must be a letter. A name cannot end with a hyphen or
	// contain two consecutive hyphens." Stored as lowercase.
	// — API model, elasticache CreateReplicationGroupMessage.
	replicationGroupID = nameRule{1, 40, false, true, "must be 1 to 40 letters, digits or hyphens" + strictText}

	// CacheClusterId: the same rules with 1 to 50 characters.
	// — API model, elasticache CreateCacheClusterMessage.
	cacheClusterID = nameRule{1, 50, false, true, "must be 1 to 50 letters, digits or hyphens" + strictText}

	// ServerlessCacheName has no documented rule beyond "stored as a
	// lowercase string" (API model, CreateServerlessCacheRequest). Assumed
	// to follow the replication group rules; the name is also the first
	// label of the cache's DNS endpoint.
	serverlessCacheName = replicationGroupID

	// MemoryDB ClusterName has no pattern in the API model. The console
	// applies 1–40 alphanumeric characters or hyphens, starting with a
	// letter, no trailing or doubled hyphen (Making manual snapshots,
	// https://docs.aws.amazon.com/memorydb/latest/devguide/snapshots-manual.html);
	// names are stored lowercase.
	memoryDBClusterName = nameRule{1, 40, false, true, "must be 1 to 40 letters, digits or hyphens" + strictText}

	// NamespaceName: min 3, max 64, pattern ^[a-z0-9-]+$
	// — API model, redshift-serverless NamespaceName shape.
	namespaceName = nameRule{3, 64, true, false, "must be 3 to 64 lowercase letters, digits or hyphens"}
)

// idRule returns the identifier rule of a target.
func idRule(t events.Target) (nameRule, bool) {
	switch t.Service {
	case events.ServiceElastiCache:
		if t.Kind == events.KindCacheCluster {
			return cacheClusterID, true
		}
		return replicationGroupID, true
	case events.ServiceElastiCacheServerless:
		return serverlessCacheName, true
	case events.ServiceMemoryDB:
		return memoryDBClusterName, true
	case events.ServiceRedshiftServerless:
		return namespaceName, true
	}
	return nameRule{}, false
}

// regionPattern is a sanity check on region codes such as "us-east-1" or
// "us-gov-west-1".
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// copyPrefix is a single lowercase word: with no hyphen, "<prefix>-..."
// can never equal a "sf-..." snapshot name.
var copyPrefix = regexp.MustCompile(`^[a-z][a-z0-9]{0,9}$`)

// validBucket applies the general purpose bucket naming rules
// (Bucket naming rules, Amazon S3 User Guide,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
// 3–63 lowercase letters, digits, dots and hyphens; begins and ends with a
// letter or digit; no two adjacent periods; not an IP address; reserved
// prefixes and suffixes excluded.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || strings.Contains(b, "..") {
		return false
	}
	for _, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	if !alnum(b[0]) || !alnum(b[len(b)-1]) {
		return false
	}
	if _, err := netip.ParseAddr(b); err == nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3"} {
		if strings.HasSuffix(b, s) {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// maxExportPrefix leaves room in the 1,024-byte S3 key limit (Naming Amazon
// S3 objects, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html)
// for the longest snapshot name (64) and the "-0001.rdb" suffix ElastiCache
// appends per shard.
const maxExportPrefix = 1024 - 64 - len("-0001.rdb")

// Tag limits: the strictest of the four services.
const (
	// MemoryDB tags: key 1–128, value 0–256, characters
	// [a-zA-Z0-9 _.\/=+:\-@], key not starting with "aws:"
	// (AWS::MemoryDB::User Tag, CloudFormation Template Reference,
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-memorydb-user-tag.html).
	// Redshift Serverless TagKey 1–128 and TagValue 0–256 (API model) agree;
	// ElastiCache also allows other Unicode letters.
	maxTagKey   = 128
	maxTagValue = 256
	// "The maximum number of tags permitted on a resource is 50." — API
	// model, elasticache TagQuotaPerResourceExceeded. MemoryDB and Redshift
	// Serverless accept up to 200 per request (TagList max).
	maxTags = 50
	// maxUserTags leaves room for the managed tags.
	maxUserTags = maxTags - naming.ManagedTagCount
)

func validTagChars(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && !strings.ContainsRune(" _./=+:-@", c) {
			return false
		}
	}
	return true
}

// Redshift Serverless CreateSnapshot retentionPeriod: the console takes
// 1–3653 days or "retain indefinitely" (Creating a snapshot, Amazon Redshift
// Management Guide, https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-snapshots.html);
// -1 as "indefinitely" follows Redshift's manual snapshot retention
// convention (inferred, see DESIGN.md).
const maxRedshiftRetentionDays = 3653

var schedulePattern = regexp.MustCompile(`^(cron|rate)\(.+\)$`)

// timeZonePattern is the shape of every name in the IANA time zone
// database Go embeds (time/tzdata, all the plan Lambda has): components
// that start with an uppercase letter. time.LoadLocation also finds the
// other files of a host's /usr/share/zoneinfo ("posix/Europe/Berlin",
// "right/UTC", "localtime", "posixrules", and "europe/berlin" on a
// case-insensitive file system), so without it a policy could pass the
// config loader on a workstation and fail every run in Lambda.
var timeZonePattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9_+-]*(/[A-Z][A-Za-z0-9_+-]*)*$`)

// validTimeZone reports whether name is a zone of the IANA database other
// than "Local".
func validTimeZone(name string) bool {
	if !timeZonePattern.MatchString(name) || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}
