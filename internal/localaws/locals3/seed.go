package locals3

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Seed is the "s3" section of the seed file:
//
//	"s3": {"buckets": [{
//	    "name": "exports", "region": "us-east-1",
//	    "objectOwnership": "BucketOwnerPreferred",
//	    "publicAccessBlock": {"blockPublicAcls": true, "ignorePublicAcls": true,
//	                          "blockPublicPolicy": true, "restrictPublicBuckets": true},
//	    "grants": [{"id": "<canonical user id>", "permission": "WRITE"}],
//	    "policy": {"Version": "2012-10-17", "Statement": [...]},
//	    "tags": {"team": "data"},
//	    "objects": {"readme.txt": "hello"}
//	}]}
type Seed struct {
	Buckets []BucketSeed `json:"buckets"`
}

// BucketSeed is one bucket of the seed. Everything but the name is
// optional; defaults are those of a bucket made by CreateBucket today:
// BucketOwnerEnforced, Block Public Access all on, private ACL.
type BucketSeed struct {
	Name string `json:"name"`
	// Region defaults to the seed's region.
	Region string `json:"region,omitempty"`
	// ObjectOwnership is BucketOwnerEnforced, BucketOwnerPreferred or
	// ObjectWriter.
	ObjectOwnership string `json:"objectOwnership,omitempty"`
	// PublicAccessBlock replaces the default (all four on).
	PublicAccessBlock *PublicAccessBlock `json:"publicAccessBlock,omitempty"`
	// ACL is a canned ACL (private, public-read, …).
	ACL string `json:"acl,omitempty"`
	// Grants are added to the owner's FULL_CONTROL (unlike PutBucketAcl,
	// which replaces the whole ACL).
	Grants []Grant `json:"grants,omitempty"`
	// Policy is the bucket policy, as a JSON object or a string holding one.
	Policy json.RawMessage   `json:"policy,omitempty"`
	Tags   map[string]string `json:"tags,omitempty"`
	// Objects are created with the given contents.
	Objects map[string]string `json:"objects,omitempty"`
}

// Seed creates the buckets of the seed's "s3" section.
func (s *Service) Seed(region string, raw json.RawMessage) error {
	var seed Seed
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&seed); err != nil {
		return fmt.Errorf("s3 seed: %w", err)
	}
	for i, b := range seed.Buckets {
		if err := s.CreateBucket(region, b); err != nil {
			return fmt.Errorf("s3 seed: bucket %d (%q): %w", i, b.Name, err)
		}
	}
	return nil
}

// CreateBucket creates a bucket as the seed describes it, through the same
// checks as the API (name rules, ownership against ACL, Block Public
// Access against public ACLs and policies). defaultRegion applies when the
// seed names none.
func (s *Service) CreateBucket(defaultRegion string, b BucketSeed) (err error) {
	region := b.Region
	if region == "" {
		region = defaultRegion
	}
	if region == "" {
		region = emu.DefaultRegion
	}
	if b.ObjectOwnership != "" && !validOwnership[b.ObjectOwnership] {
		return fmt.Errorf("objectOwnership %q is not BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter", b.ObjectOwnership)
	}
	if err := validateGrants(b.Grants); err != nil {
		return err
	}
	owner := s.OwnerID()
	acl := privateACL(owner)
	if b.ACL != "" {
		var ok bool
		if acl, ok = cannedACL(b.ACL, owner); !ok {
			return fmt.Errorf("unknown canned ACL %q", b.ACL)
		}
	}
	acl.Grants = append(acl.Grants, b.Grants...)
	// Create with the private ACL first so that an explicit Block Public
	// Access setting is in place before the ACL is checked against it.
	if e := s.createBucket(createSpec{name: b.Name, region: region, ownership: b.ObjectOwnership}, false); e != nil {
		return e
	}
	defer func() {
		if err != nil { // leave no half-made bucket behind
			s.mu.Lock()
			_ = s.mem.ForceDeleteBucket(b.Name)
			delete(s.buckets, b.Name)
			s.mu.Unlock()
		}
	}()
	if b.PublicAccessBlock != nil {
		pab := *b.PublicAccessBlock
		_ = s.update(b.Name, func(st *bucketState) *s3Error { st.pab = &pab; return nil })
	}
	if e := s.update(b.Name, func(st *bucketState) *s3Error { return st.setACL(acl) }); e != nil {
		return e
	}
	if len(b.Policy) > 0 {
		text := string(b.Policy)
		var str string
		if json.Unmarshal(b.Policy, &str) == nil {
			text = str
		}
		if e := s.setPolicy(b.Name, text); e != nil {
			return e
		}
	}
	if b.Tags != nil {
		var tags []tagXML
		for k, v := range b.Tags {
			tags = append(tags, tagXML{k, v})
		}
		if e := validateBucketTags(tags); e != nil {
			return e
		}
		copied := make(map[string]string, len(b.Tags))
		for k, v := range b.Tags {
			copied[k] = v
		}
		_ = s.update(b.Name, func(st *bucketState) *s3Error { st.tags = copied; return nil })
	}
	handle := &Bucket{s: s, name: b.Name}
	for k, v := range b.Objects {
		if err := handle.PutObject(k, []byte(v)); err != nil {
			return fmt.Errorf("object %q: %w", k, err)
		}
	}
	return nil
}
