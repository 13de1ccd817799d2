package localredshiftserverless

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// resourceNamePattern is the pattern of NamespaceName and WorkgroupName, 3 to
// 64 characters (source: service-2.json). Snapshot names follow the same rule
// (source: CloudFormation AWS::RedshiftServerless::Snapshot SnapshotName
// pattern ^(?=^[a-z0-9-]+$).{3,64}$; the API model leaves it a plain String).
var resourceNamePattern = regexp.MustCompile(`^[a-z0-9-]+$`)

const resourceNameRegex = "^[a-z0-9-]+$"

// checkName adds the violations of a namespace or workgroup name.
func (v *violations) checkName(name *string, member string) {
	if name == nil {
		return
	}
	v.length(name, member, 3, 64)
	if !resourceNamePattern.MatchString(*name) {
		v.add(*name, member, "satisfy regular expression pattern: "+resourceNameRegex)
	}
}

// checkSnapshotName validates a snapshot name (message assumed).
func checkSnapshotName(name string) *apiError {
	if n := len(name); n < 3 || n > 64 || !resourceNamePattern.MatchString(name) {
		return errValidation("Snapshot name %q is not valid. It must be 3-64 characters long and contain only lowercase letters, numbers and hyphens.", name)
	}
	return nil
}

// checkRetention accepts -1 (keep indefinitely) or 1 to 3653 days (source:
// management guide "between 1-3653 days, inclusive. The default is retain
// indefinitely"; Redshift's "-1 or an integer between 1 and 3,653"). The
// message is assumed.
func checkRetention(p *int32, member string) *apiError {
	if p == nil {
		return nil
	}
	if r := *p; r != retainIndefinitely && (r < 1 || r > maxRetentionDays) {
		return errValidation("The %s %d is not valid. Specify -1 to retain indefinitely or a number of days between 1 and %d.", member, r, maxRetentionDays)
	}
	return nil
}

// maxTagsPerResource: "Each resource can have up to 50 tags" (source:
// management guide "Tagging resources overview" for Redshift Serverless).
const maxTagsPerResource = 50

// checkTags validates tags as given to CreateNamespace, CreateWorkgroup,
// CreateSnapshot or TagResource: at most 200 in one request, keys of 1-128
// and values of 0-256 characters (source: service-2.json TagList, TagKey,
// TagValue); keys may not start with "aws:" and may only use Unicode
// letters, digits, white space and _ . : / = + - @ (source: "Tagging
// resources overview"). Messages assumed except the model constraints.
func checkTags(tags []tagIn, member string) (map[string]string, *apiError) {
	var v violations
	if len(tags) > 200 {
		v.add(len(tags), member, "have length less than or equal to 200")
	}
	out := make(map[string]string, len(tags))
	for i, t := range tags {
		m := member + "." + strconv.Itoa(i+1)
		v.required(t.Key != nil, m+".member.key")
		v.required(t.Value != nil, m+".member.value")
		v.length(t.Key, m+".member.key", 1, 128)
		v.length(t.Value, m+".member.value", 0, 256)
		if t.Key != nil && t.Value != nil {
			out[*t.Key] = *t.Value
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	for _, t := range tags {
		k, val := *t.Key, *t.Value
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errValidation("Tag keys can't start with 'aws:': %s", k)
		}
		if !tagChars(k) || !tagChars(val) {
			return nil, errValidation("Tag %q=%q has characters that are not allowed. Use Unicode letters, digits, white space and _ . : / = + - @.", k, val)
		}
	}
	return out, nil
}

func tagChars(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSpace(r) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return false
	}
	return true
}

// regionPattern accepts AWS Region names such as us-east-1 or
// ap-southeast-2 (assumed validation of destinationRegion).
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

// --- pagination ---

// Tokens are opaque; they carry the offset of the next item. They are at
// least 8 characters long, as the model's PaginationToken requires for
// ListSnapshotCopyConfigurations (source: service-2.json, min 8).
func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("rss-next:" + strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), "rss-next:") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "rss-next:"))
	return n, err == nil && n >= 0
}

// defaultPageSize is used when maxResults is absent (assumed: the model
// gives only the maximum, 100).
const defaultPageSize = 100

// page returns one page of items. badToken is the error for a token the
// service did not issue.
func page[T any](items []T, token *string, max *int32, badToken *apiError) ([]T, *string, *apiError) {
	start := 0
	if token != nil && *token != "" {
		n, ok := decodeToken(*token)
		if !ok || n > len(items) {
			return nil, nil, badToken
		}
		start = n
	}
	size := defaultPageSize
	if max != nil {
		size = int(*max)
	}
	end := len(items)
	if start+size < end {
		end = start + size
	}
	var next *string
	if end < len(items) {
		t := encodeToken(end)
		next = &t
	}
	return items[start:end], next, nil
}
