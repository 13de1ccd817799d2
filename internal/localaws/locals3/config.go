package locals3

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Bucket configurations kept as given: Object Ownership, Block Public
// Access, default encryption, lifecycle and tags. Each Get without a
// configuration answers the 404 code S3 documents for it.

// --- Object Ownership (Put/Get/DeleteBucketOwnershipControls) ---

type ownershipControlsXML struct {
	XMLName xml.Name           `xml:"OwnershipControls"`
	Xmlns   string             `xml:"xmlns,attr,omitempty"`
	Rules   []ownershipRuleXML `xml:"Rule"`
}

type ownershipRuleXML struct {
	ObjectOwnership string `xml:"ObjectOwnership"`
}

// getOwnershipControls: OwnershipControlsNotFoundError when the bucket has
// none (after DeleteBucketOwnershipControls).
func (s *Service) getOwnershipControls(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	if st.ownership == "" {
		return &s3Error{Status: 404, Code: "OwnershipControlsNotFoundError", Message: "The bucket ownership controls were not found", BucketName: bucket}
	}
	writeXML(w, ownershipControlsXML{Xmlns: s3Xmlns, Rules: []ownershipRuleXML{{st.ownership}}})
	return nil
}

// putOwnershipControls takes exactly one rule. Switching to
// BucketOwnerEnforced while the ACL grants anyone but the owner fails with
// InvalidBucketAclWithObjectOwnership (Object Ownership troubleshooting).
func (s *Service) putOwnershipControls(w http.ResponseWriter, r *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if _, ok := s.state(bucket); !ok {
		return errNoSuchBucket(bucket)
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	var doc ownershipControlsXML
	if err := xml.Unmarshal(body, &doc); err != nil || len(doc.Rules) != 1 || !validOwnership[doc.Rules[0].ObjectOwnership] {
		return errMalformedXML()
	}
	if e := s.update(bucket, func(b *bucketState) *s3Error { return b.setOwnership(doc.Rules[0].ObjectOwnership) }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (b *bucketState) setOwnership(o string) *s3Error {
	if o == OwnershipBucketOwnerEnforced && !b.acl.ownerOnly() {
		return errInvalidBucketAclWithObjectOwnership()
	}
	b.ownership = o
	return nil
}

func (s *Service) deleteOwnershipControls(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.ownership = ""; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- Block Public Access (Put/Get/DeletePublicAccessBlock) ---

type publicAccessBlockXML struct {
	XMLName xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	PublicAccessBlock
}

func (s *Service) getPublicAccessBlock(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	if st.pab == nil {
		return &s3Error{Status: 404, Code: "NoSuchPublicAccessBlockConfiguration", Message: "The public access block configuration was not found", BucketName: bucket}
	}
	writeXML(w, publicAccessBlockXML{Xmlns: s3Xmlns, PublicAccessBlock: *st.pab})
	return nil
}

// putPublicAccessBlock replaces the configuration; settings left out are
// false.
func (s *Service) putPublicAccessBlock(w http.ResponseWriter, r *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if _, ok := s.state(bucket); !ok {
		return errNoSuchBucket(bucket)
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	var doc publicAccessBlockXML
	if err := xml.Unmarshal(body, &doc); err != nil {
		return errMalformedXML()
	}
	pab := doc.PublicAccessBlock
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.pab = &pab; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deletePublicAccessBlock(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.pab = nil; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- Default encryption (Put/Get/DeleteBucketEncryption) ---

// encryptionRule is a bucket's default encryption. Every bucket has one:
// SSE-S3 (AES256) unless set otherwise (S3 User Guide, "Setting default
// server-side encryption behavior": since January 5, 2023 all buckets have
// SSE-S3 as the base level). DeleteBucketEncryption returns to it.
type encryptionRule struct {
	Algorithm string
	KMSKeyID  string
	BucketKey bool
}

type encryptionXML struct {
	XMLName xml.Name            `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string              `xml:"xmlns,attr,omitempty"`
	Rules   []encryptionRuleXML `xml:"Rule"`
}

type encryptionRuleXML struct {
	Algorithm        string `xml:"ApplyServerSideEncryptionByDefault>SSEAlgorithm"`
	KMSMasterKeyID   string `xml:"ApplyServerSideEncryptionByDefault>KMSMasterKeyID,omitempty"`
	BucketKeyEnabled bool   `xml:"BucketKeyEnabled"`
}

func (s *Service) getBucketEncryption(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	rule := encryptionRule{Algorithm: "AES256"}
	if st.encryption != nil {
		rule = *st.encryption
	}
	writeXML(w, encryptionXML{Xmlns: s3Xmlns, Rules: []encryptionRuleXML{{rule.Algorithm, rule.KMSKeyID, rule.BucketKey}}})
	return nil
}

// putBucketEncryption accepts AES256, aws:kms and aws:kms:dsse; a KMS key
// only goes with the KMS algorithms (PutBucketEncryption,
// ServerSideEncryptionByDefault).
func (s *Service) putBucketEncryption(w http.ResponseWriter, r *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if _, ok := s.state(bucket); !ok {
		return errNoSuchBucket(bucket)
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	var doc encryptionXML
	if err := xml.Unmarshal(body, &doc); err != nil || len(doc.Rules) != 1 {
		return errMalformedXML()
	}
	rx := doc.Rules[0]
	switch rx.Algorithm {
	case "AES256":
		if rx.KMSMasterKeyID != "" {
			return errInvalidArgument("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
				"ApplyServerSideEncryptionByDefault", "")
		}
	case "aws:kms", "aws:kms:dsse":
	default:
		return errMalformedXML()
	}
	rule := encryptionRule{Algorithm: rx.Algorithm, KMSKeyID: rx.KMSMasterKeyID, BucketKey: rx.BucketKeyEnabled}
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.encryption = &rule; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) deleteBucketEncryption(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.encryption = nil; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- Lifecycle (Put/GetBucketLifecycleConfiguration, DeleteBucketLifecycle) ---

type lifecycleXML struct {
	XMLName xml.Name `xml:"LifecycleConfiguration"`
	Rules   []struct {
		Status string `xml:"Status"`
	} `xml:"Rule"`
}

// putBucketLifecycle stores the configuration as given (rules are not
// applied: objects never expire here). It needs 1–1,000 rules, each Enabled
// or Disabled (S3 User Guide, "Lifecycle configuration elements": up to
// 1,000 rules).
func (s *Service) putBucketLifecycle(w http.ResponseWriter, r *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if _, ok := s.state(bucket); !ok {
		return errNoSuchBucket(bucket)
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	var doc lifecycleXML
	if err := xml.Unmarshal(body, &doc); err != nil || len(doc.Rules) == 0 || len(doc.Rules) > 1000 {
		return errMalformedXML()
	}
	for _, rule := range doc.Rules {
		if rule.Status != "Enabled" && rule.Status != "Disabled" {
			return errMalformedXML()
		}
	}
	doc2 := stripXMLDecl(body)
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.lifecycle = doc2; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func stripXMLDecl(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if bytes.HasPrefix(b, []byte("<?xml")) {
		if i := bytes.Index(b, []byte("?>")); i >= 0 {
			b = bytes.TrimSpace(b[i+2:])
		}
	}
	return append([]byte(nil), b...)
}

func (s *Service) getBucketLifecycle(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	if st.lifecycle == nil {
		return &s3Error{Status: 404, Code: "NoSuchLifecycleConfiguration", Message: "The lifecycle configuration does not exist", BucketName: bucket}
	}
	writeRawXML(w, st.lifecycle)
	return nil
}

func (s *Service) deleteBucketLifecycle(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.lifecycle = nil; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- Tags (Put/Get/DeleteBucketTagging) ---

type taggingXML struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Tags    []tagXML `xml:"TagSet>Tag"`
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func errInvalidTag(msg string) *s3Error {
	return &s3Error{Status: 400, Code: "InvalidTag", Message: msg}
}

// validateBucketTags applies the tag rules for buckets: at most 50 tags,
// keys of 1–128 and values of 0–256 Unicode characters, unique keys, and no
// keys in the reserved aws: prefix (S3 User Guide, "Using cost allocation
// S3 bucket tags": "up to 50 tags"; AWS tagging rules for lengths and the
// aws: prefix). The messages are assumed.
func validateBucketTags(tags []tagXML) *s3Error {
	if len(tags) > 50 {
		return errInvalidTag("Bucket tag count cannot be greater than 50")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 {
			return errInvalidTag("The TagKey you have provided is invalid")
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return errInvalidTag("The TagValue you have provided is invalid")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errInvalidTag("System tags cannot be added/updated by requester")
		}
		if seen[t.Key] {
			return errInvalidTag("Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

func (s *Service) putBucketTagging(w http.ResponseWriter, r *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if _, ok := s.state(bucket); !ok {
		return errNoSuchBucket(bucket)
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	var doc taggingXML
	if err := xml.Unmarshal(body, &doc); err != nil {
		return errMalformedXML()
	}
	if e := validateBucketTags(doc.Tags); e != nil {
		return e
	}
	tags := map[string]string{}
	for _, t := range doc.Tags {
		tags[t.Key] = t.Value
	}
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.tags = tags; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getBucketTagging(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	if st.tags == nil {
		return &s3Error{Status: 404, Code: "NoSuchTagSet", Message: "The TagSet does not exist", BucketName: bucket}
	}
	keys := make([]string, 0, len(st.tags))
	for k := range st.tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	doc := taggingXML{Xmlns: s3Xmlns}
	for _, k := range keys {
		doc.Tags = append(doc.Tags, tagXML{k, st.tags[k]})
	}
	writeXML(w, doc)
	return nil
}

func (s *Service) deleteBucketTagging(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if e := s.update(bucket, func(b *bucketState) *s3Error { b.tags = nil; return nil }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
