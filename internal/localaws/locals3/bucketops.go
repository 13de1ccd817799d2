package locals3

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// maxConfigBody bounds the configuration documents read from requests.
const maxConfigBody = 1 << 20

func readBody(r *http.Request) ([]byte, *s3Error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxConfigBody+1))
	if err != nil {
		return nil, &s3Error{Status: 400, Code: "IncompleteBody", Message: "You did not provide the number of bytes specified by the Content-Length HTTP header"}
	}
	if len(b) > maxConfigBody {
		return nil, &s3Error{Status: 400, Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed size"}
	}
	return b, nil
}

// --- ListBuckets ---

type listBucketsResult struct {
	XMLName           xml.Name      `xml:"ListAllMyBucketsResult"`
	Xmlns             string        `xml:"xmlns,attr"`
	Buckets           []bucketEntry `xml:"Buckets>Bucket"`
	OwnerID           string        `xml:"Owner>ID"`
	ContinuationToken string        `xml:"ContinuationToken,omitempty"`
	Prefix            string        `xml:"Prefix,omitempty"`
}

type bucketEntry struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
}

// listBuckets lists every bucket of the account, whatever its region, by
// name (ListBuckets). max-buckets (1–10000), continuation-token, prefix and
// bucket-region are honoured; without max-buckets all buckets come in one
// response.
func (s *Service) listBuckets(w http.ResponseWriter, r *http.Request, _ *emu.Request, _, _ string) *s3Error {
	q := r.URL.Query()
	max := 0
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errInvalidArgument("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", v)
		}
		max = n
	}
	after := ""
	if tok := q.Get("continuation-token"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return errInvalidArgument("The continuation token provided is incorrect", "continuation-token", tok)
		}
		after = string(b)
	}
	prefix, region := q.Get("prefix"), q.Get("bucket-region")
	s.mu.Lock()
	var all []*bucketState
	for _, b := range s.buckets {
		if strings.HasPrefix(b.name, prefix) && (region == "" || b.region == region) && b.name > after {
			all = append(all, b)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	out := listBucketsResult{Xmlns: s3Xmlns, OwnerID: s.OwnerID(), Prefix: prefix}
	for i, b := range all {
		if max > 0 && i == max {
			out.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(all[i-1].name))
			break
		}
		out.Buckets = append(out.Buckets, bucketEntry{Name: b.name, CreationDate: emu.XMLTime(b.created), BucketRegion: b.region})
	}
	s.mu.Unlock()
	writeXML(w, out)
	return nil
}

// --- CreateBucket / DeleteBucket / HeadBucket / GetBucketLocation ---

type createBucketConfiguration struct {
	LocationConstraint string `xml:"LocationConstraint"`
}

var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

// createBucketOp is CreateBucket. The region is the LocationConstraint of
// the body, or us-east-1 without one. A request signed for a region other
// than us-east-1 must name that region, and us-east-1 itself is not a valid
// constraint (CreateBucket and CreateBucketConfiguration in the S3 API
// Reference; errors IllegalLocationConstraintException and
// InvalidLocationConstraint). "EU" is the legacy name of eu-west-1.
func (s *Service) createBucketOp(w http.ResponseWriter, r *http.Request, req *emu.Request, bucket, _ string) *s3Error {
	body, e := readBody(r)
	if e != nil {
		return e
	}
	var cfg createBucketConfiguration
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return errMalformedXML()
		}
	}
	signed, _ := emu.SigV4Scope(r)
	lc := cfg.LocationConstraint
	if lc == "EU" {
		lc = "eu-west-1"
	}
	region := emu.DefaultRegion
	switch {
	case lc == "":
		if signed != "" && signed != emu.DefaultRegion {
			return &s3Error{Status: 400, Code: "IllegalLocationConstraintException",
				Message: "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."}
		}
	case lc == emu.DefaultRegion || !regionName.MatchString(lc):
		return &s3Error{Status: 400, Code: "InvalidLocationConstraint", Message: "The specified location-constraint is not valid", Location: cfg.LocationConstraint}
	case signed != "" && lc != signed:
		return &s3Error{Status: 400, Code: "IllegalLocationConstraintException",
			Message: "The " + cfg.LocationConstraint + " location constraint is incompatible for the region specific endpoint this request was sent to."}
	default:
		region = lc
	}
	ownership := r.Header.Get("X-Amz-Object-Ownership")
	if ownership != "" && !validOwnership[ownership] {
		return errInvalidArgument("Invalid x-amz-object-ownership header: "+ownership, "x-amz-object-ownership", ownership)
	}
	spec := createSpec{name: bucket, region: region, ownership: ownership}
	acl, present, e := aclFromHeaders(r.Header, s.OwnerID())
	if e != nil {
		return e
	}
	if present {
		spec.acl = &acl
	}
	if e := s.createBucket(spec, signed == "" || signed == emu.DefaultRegion); e != nil {
		return e
	}
	w.Header().Set("Location", "/"+bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucketOp is DeleteBucket: only an empty bucket can go
// (BucketNotEmpty otherwise).
func (s *Service) deleteBucketOp(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[bucket]; !ok {
		return errNoSuchBucket(bucket)
	}
	if err := s.mem.DeleteBucket(bucket); err != nil {
		var ge gofakes3.Error
		if errors.As(err, &ge) && ge.ErrorCode() == gofakes3.ErrBucketNotEmpty {
			return errBucketNotEmpty(bucket)
		}
		return &s3Error{Status: 500, Code: "InternalError", Message: err.Error()}
	}
	delete(s.buckets, bucket)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// headBucket is HeadBucket; it reports the region in x-amz-bucket-region.
func (s *Service) headBucket(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	w.Header().Set("x-amz-bucket-region", st.region)
	w.Header().Set("x-amz-access-point-alias", "false")
	w.WriteHeader(http.StatusOK)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Value   string   `xml:",chardata"`
}

// getBucketLocation is GetBucketLocation: the region, empty for us-east-1
// ("Buckets in Region us-east-1 have a LocationConstraint of null").
func (s *Service) getBucketLocation(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	v := st.region
	if v == emu.DefaultRegion {
		v = ""
	}
	writeXML(w, locationConstraint{Xmlns: s3Xmlns, Value: v})
	return nil
}

// --- ACLs ---

// getBucketACL is GetBucketAcl. Reading an ACL works whatever the Object
// Ownership; with BucketOwnerEnforced it shows the owner's full control.
func (s *Service) getBucketACL(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	writeRawXML(w, marshalACL(st.acl))
	return nil
}

// putBucketACL is PutBucketAcl: a canned ACL (x-amz-acl), explicit grant
// headers (x-amz-grant-*) or an AccessControlPolicy body, one of them. It
// replaces the whole ACL. A BucketOwnerEnforced bucket accepts nothing but
// the owner's full control (AccessControlListNotSupported); Block Public
// Access rejects public grants with AccessDenied.
func (s *Service) putBucketACL(w http.ResponseWriter, r *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if _, ok := s.state(bucket); !ok {
		return errNoSuchBucket(bucket)
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	owner := s.OwnerID()
	acl, present, e := aclFromHeaders(r.Header, owner)
	if e != nil {
		return e
	}
	hasBody := len(strings.TrimSpace(string(body))) > 0
	switch {
	case present && hasBody:
		return errUnexpectedContent()
	case !present && !hasBody:
		return &s3Error{Status: 400, Code: "MissingSecurityHeader", Message: "Your request was missing a required header"}
	case hasBody:
		if acl, e = aclFromXML(body, owner); e != nil {
			return e
		}
	}
	if e := s.update(bucket, func(b *bucketState) *s3Error { return b.setACL(acl) }); e != nil {
		return e
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (b *bucketState) setACL(acl accessControl) *s3Error {
	if b.effectiveOwnership() == OwnershipBucketOwnerEnforced && !acl.ownerOnly() {
		return errAccessControlListNotSupported()
	}
	if b.pab != nil && b.pab.BlockPublicAcls && acl.public() {
		return errAccessDenied()
	}
	b.acl = acl
	return nil
}

// getObjectACL is GetObjectAcl. Object ACLs are not kept: every object
// shows the bucket owner's full control, which is what S3 shows for any
// object in a BucketOwnerEnforced bucket (assumed for the other settings).
func (s *Service) getObjectACL(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, key string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	obj, err := s.mem.HeadObject(bucket, key)
	if err != nil {
		return errNoSuchKey(key)
	}
	_ = obj.Contents.Close()
	writeRawXML(w, marshalACL(privateACL(st.acl.Owner)))
	return nil
}

// putObjectACL is PutObjectAcl: refused with AccessControlListNotSupported
// on a BucketOwnerEnforced bucket unless it is the owner's full control
// (then a no-op); object ACLs are otherwise not modelled (NotImplemented).
func (s *Service) putObjectACL(w http.ResponseWriter, r *http.Request, _ *emu.Request, bucket, key string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	obj, err := s.mem.HeadObject(bucket, key)
	if err != nil {
		return errNoSuchKey(key)
	}
	_ = obj.Contents.Close()
	acl, present, e := aclFromHeaders(r.Header, st.acl.Owner)
	if e != nil {
		return e
	}
	if st.effectiveOwnership() == OwnershipBucketOwnerEnforced {
		if !present || (!acl.ownerOnly() && r.Header.Get("X-Amz-Acl") != "bucket-owner-full-control") {
			return errAccessControlListNotSupported()
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return errNotImplemented()
}

// --- Bucket policy ---

func errNoSuchBucketPolicy(bucket string) *s3Error {
	return &s3Error{Status: 404, Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist", BucketName: bucket}
}

// getBucketPolicy is GetBucketPolicy: the policy JSON as it was put.
func (s *Service) getBucketPolicy(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	if st.policy == "" {
		return errNoSuchBucketPolicy(bucket)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, st.policy)
	return nil
}

// putBucketPolicy is PutBucketPolicy (204 No Content). The policy must be a
// JSON object with valid statements whose resources lie in this bucket
// (MalformedPolicy otherwise); with BlockPublicPolicy on, a public policy is
// refused with AccessDenied (S3 User Guide, "Blocking public access",
// BlockPublicPolicy: "PUT Bucket policy calls fail if the specified bucket
// policy allows public access").
func (s *Service) putBucketPolicy(w http.ResponseWriter, r *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if _, ok := s.state(bucket); !ok {
		return errNoSuchBucket(bucket)
	}
	body, e := readBody(r)
	if e != nil {
		return e
	}
	if e := s.setPolicy(bucket, string(body)); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) setPolicy(bucket, text string) *s3Error {
	doc, err := parsePolicy(text)
	if err == nil {
		err = doc.validateFor(bucket)
	}
	if err != nil {
		return errMalformedPolicy(err.Error())
	}
	return s.update(bucket, func(b *bucketState) *s3Error {
		if b.pab != nil && b.pab.BlockPublicPolicy && doc.public() {
			return &s3Error{Status: 403, Code: "AccessDenied", Message: "User: arn:aws:iam::" + s.env.AccountID +
				":root is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::" + bucket +
				"\" because public policies are blocked by the BlockPublicPolicy block public access setting."}
		}
		b.policy, b.policyDoc = text, doc
		return nil
	})
}

// deleteBucketPolicy is DeleteBucketPolicy (204, also without a policy).
func (s *Service) deleteBucketPolicy(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	if e := s.update(bucket, func(b *bucketState) *s3Error {
		b.policy, b.policyDoc = "", nil
		return nil
	}); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type policyStatusXML struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	Xmlns    string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus is GetBucketPolicyStatus: whether the policy is
// public in the Block Public Access sense.
func (s *Service) getBucketPolicyStatus(w http.ResponseWriter, _ *http.Request, _ *emu.Request, bucket, _ string) *s3Error {
	st, ok := s.state(bucket)
	if !ok {
		return errNoSuchBucket(bucket)
	}
	if st.policyDoc == nil {
		return errNoSuchBucketPolicy(bucket)
	}
	writeXML(w, policyStatusXML{Xmlns: s3Xmlns, IsPublic: st.policyDoc.public()})
	return nil
}
