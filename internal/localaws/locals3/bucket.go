package locals3

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Object Ownership settings (S3 User Guide, "Controlling ownership of
// objects and disabling ACLs for your bucket").
const (
	OwnershipBucketOwnerEnforced  = "BucketOwnerEnforced"
	OwnershipBucketOwnerPreferred = "BucketOwnerPreferred"
	OwnershipObjectWriter         = "ObjectWriter"
)

var validOwnership = map[string]bool{OwnershipBucketOwnerEnforced: true, OwnershipBucketOwnerPreferred: true, OwnershipObjectWriter: true}

// PublicAccessBlock is a bucket's Block Public Access configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `xml:"BlockPublicAcls" json:"blockPublicAcls"`
	IgnorePublicAcls      bool `xml:"IgnorePublicAcls" json:"ignorePublicAcls"`
	BlockPublicPolicy     bool `xml:"BlockPublicPolicy" json:"blockPublicPolicy"`
	RestrictPublicBuckets bool `xml:"RestrictPublicBuckets" json:"restrictPublicBuckets"`
}

// bucketState is what this package keeps about a bucket beside gofakes3's
// objects.
type bucketState struct {
	name, region string
	created      time.Time
	// ownership is the Object Ownership rule; "" when the bucket has no
	// ownership controls (then the object writer owns objects and ACLs
	// apply, as before the setting existed).
	ownership  string
	acl        accessControl
	policy     string // as given; "" when none
	policyDoc  *policyDocument
	pab        *PublicAccessBlock // nil when none
	encryption *encryptionRule    // nil: the default SSE-S3
	lifecycle  []byte             // the LifecycleConfiguration document; nil when none
	tags       map[string]string  // nil when the bucket has no tag set
}

func (b *bucketState) effectiveOwnership() string {
	if b.ownership == "" {
		return OwnershipObjectWriter
	}
	return b.ownership
}

// OwnerCanonicalID is the canonical user ID of an account in the local AWS:
// 64 hex digits like AWS's, derived from the account ID.
func OwnerCanonicalID(accountID string) string {
	sum := sha256.Sum256([]byte("snapflow-localaws-canonical-user:" + accountID))
	return hex.EncodeToString(sum[:])
}

// createSpec is a bucket to create, from CreateBucket or a seed.
type createSpec struct {
	name, region string
	ownership    string         // "" for the default
	acl          *accessControl // nil for the private ACL
}

// createBucket creates a bucket with S3's defaults for new buckets: Object
// Ownership BucketOwnerEnforced and all four Block Public Access settings on
// (S3 User Guide, "Object Ownership" – "Bucket owner enforced (default)";
// the April 2023 change, "Amazon S3 now applies S3 Block Public Access and
// disables ACLs by default for all new buckets"), and SSE-S3 default
// encryption (January 2023, "Amazon S3 now automatically encrypts all new
// objects"). legacy is true for a request to us-east-1, where re-creating a
// bucket you own succeeds and resets its ACL (CreateBucket, Errors:
// BucketAlreadyOwnedByYou "returns this error in all AWS Regions except in
// the North Virginia Region").
func (s *Service) createBucket(spec createSpec, legacy bool) *s3Error {
	if !validBucketName(spec.name) {
		return errInvalidBucketName(spec.name)
	}
	owner := s.OwnerID()
	acl := privateACL(owner)
	if spec.acl != nil {
		acl = *spec.acl
	}
	ownership := spec.ownership
	if ownership == "" {
		ownership = OwnershipBucketOwnerEnforced
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.buckets[spec.name]; ok {
		if legacy && b.region == emu.DefaultRegion && spec.region == emu.DefaultRegion {
			if b.effectiveOwnership() == OwnershipBucketOwnerEnforced && !acl.ownerOnly() {
				return errInvalidBucketAclWithObjectOwnership()
			}
			b.acl = acl
			return nil
		}
		return errBucketAlreadyOwnedByYou(spec.name)
	}
	if ownership == OwnershipBucketOwnerEnforced && !acl.ownerOnly() {
		return errInvalidBucketAclWithObjectOwnership()
	}
	pab := &PublicAccessBlock{true, true, true, true}
	if acl.public() {
		return &s3Error{Status: 400, Code: "InvalidBucketAclWithBlockPublicAccessError",
			Message: "Bucket cannot have public ACLs set with BlockPublicAccess enabled", BucketName: spec.name}
	}
	if err := s.mem.CreateBucket(spec.name); err != nil {
		return errBucketAlreadyOwnedByYou(spec.name)
	}
	s.buckets[spec.name] = &bucketState{
		name: spec.name, region: spec.region, created: s.env.Clock.Now().UTC(),
		ownership: ownership, acl: acl, pab: pab,
	}
	return nil
}

var bucketNameChars = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// validBucketName applies the general purpose bucket naming rules (S3 User
// Guide, "General purpose bucket naming rules"): 3–63 characters of
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit, no two adjacent dots, not an IP address, and none of the
// reserved prefixes (xn--, sthree-, amzn-s3-demo-) and suffixes (-s3alias,
// --ol-s3, .mrap, --x-s3, --table-s3).
func validBucketName(name string) bool {
	if !bucketNameChars.MatchString(name) || strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, sfx) {
			return false
		}
	}
	return true
}

// state returns a copy of the bucket's state.
func (s *Service) state(name string) (bucketState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return bucketState{}, false
	}
	return *b, true
}

// update runs f on the bucket's state under the lock.
func (s *Service) update(name string, f func(b *bucketState) *s3Error) *s3Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return errNoSuchBucket(name)
	}
	return f(b)
}

// --- emu.ObjectStore / emu.Bucket ---

// Bucket returns the named bucket as the snapshot services see it.
func (s *Service) Bucket(name string) (emu.Bucket, bool) {
	if _, ok := s.state(name); !ok {
		return nil, false
	}
	return &Bucket{s: s, name: name}, true
}

// Bucket is a live view of one bucket (emu.Bucket): every method reads the
// bucket's current state.
type Bucket struct {
	s    *Service
	name string
}

// Name returns the bucket name.
func (b *Bucket) Name() string { return b.name }

// Region returns the region the bucket was created in.
func (b *Bucket) Region() string {
	st, _ := b.s.state(b.name)
	return st.region
}

// ObjectOwnership returns the bucket's Object Ownership setting; a bucket
// whose ownership controls were deleted behaves as ObjectWriter.
func (b *Bucket) ObjectOwnership() string {
	st, _ := b.s.state(b.name)
	return st.effectiveOwnership()
}

// ACLPermissions lists the permissions the bucket ACL grants the canonical
// user by name (grants to groups are not counted).
func (b *Bucket) ACLPermissions(canonicalUserID string) []string {
	st, _ := b.s.state(b.name)
	return st.acl.permissionsFor(canonicalUserID)
}

// PolicyCheck is one request to evaluate against a bucket policy.
type PolicyCheck struct {
	Principal     string // service principal, e.g. us-east-1.memorydb-snapshot.amazonaws.com
	Action        string // e.g. s3:PutObject
	Resource      string // e.g. arn:aws:s3:::bucket/key
	SourceAccount string // aws:SourceAccount; "" leaves the key out
	SourceArn     string // aws:SourceArn; "" leaves the key out
}

// PolicyAllows reports whether the bucket policy allows the service
// principal the action on the resource. The service acts on behalf of the
// local account over TLS, so aws:SecureTransport is true and
// aws:SourceAccount is the account; aws:SourceArn is not known here (use
// Evaluate to give it).
func (b *Bucket) PolicyAllows(servicePrincipal, action, resourceARN string) bool {
	return b.Evaluate(PolicyCheck{Principal: servicePrincipal, Action: action, Resource: resourceARN, SourceAccount: b.s.env.AccountID})
}

// Evaluate decides a PolicyCheck against the bucket policy; false when the
// bucket has no policy.
func (b *Bucket) Evaluate(c PolicyCheck) bool {
	st, _ := b.s.state(b.name)
	if st.policyDoc == nil {
		return false
	}
	ctx := map[string]string{
		"aws:securetransport":      "true",
		"aws:principalservicename": c.Principal,
	}
	if c.SourceAccount != "" {
		ctx["aws:sourceaccount"] = c.SourceAccount
	}
	if c.SourceArn != "" {
		ctx["aws:sourcearn"] = c.SourceArn
	}
	return st.policyDoc.evaluate(policyRequest{Principal: c.Principal, Action: c.Action, Resource: c.Resource, Context: ctx})
}

// ObjectExists reports whether the bucket holds the key.
func (b *Bucket) ObjectExists(key string) bool {
	obj, err := b.s.mem.HeadObject(b.name, key)
	if err != nil {
		return false
	}
	_ = obj.Contents.Close()
	return true
}

// PutObject writes an object through the same backend the REST API reads,
// so ListObjectsV2, GetObject and `aws s3 ls` see it.
func (b *Bucket) PutObject(key string, body []byte) error {
	if _, ok := b.s.state(b.name); !ok {
		return errNoSuchBucket(b.name)
	}
	meta := map[string]string{
		"Content-Type":  "application/octet-stream",
		"Last-Modified": b.s.env.Clock.Now().UTC().Format(http1123),
	}
	_, err := (&backend{b.s.mem}).PutObject(b.name, key, meta, bytes.NewReader(body), int64(len(body)), nil)
	return err
}

// http1123 is the HTTP date format S3 uses in headers.
const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

// --- emu.TagSource ---

// TaggedResources lists the region's buckets that carry tags (the tagging
// API lists S3 buckets as arn:aws:s3:::name).
func (s *Service) TaggedResources(region string) []emu.TaggedResource {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []emu.TaggedResource
	for _, b := range s.buckets {
		if b.region != region || len(b.tags) == 0 {
			continue
		}
		tags := make(map[string]string, len(b.tags))
		for k, v := range b.tags {
			tags[k] = v
		}
		out = append(out, emu.TaggedResource{ARN: "arn:aws:s3:::" + b.name, Tags: tags})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}
