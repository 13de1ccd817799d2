// Package locals3 is the S3 of the local AWS: the S3 REST API, path-style,
// built on gofakes3's in-memory backend, plus what snapshot exports depend on
// and gofakes3 lacks: bucket regions, Object Ownership, bucket ACLs, bucket
// policies (with a small evaluator), Block Public Access, and stored
// encryption, lifecycle and tagging configurations. The Service is also the
// local AWS's emu.ObjectStore, where ElastiCache and MemoryDB exports land.
package locals3

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

const s3Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// Service is the emulated S3. It implements emu.Service, emu.Seeder,
// emu.ObjectStore and emu.TagSource.
type Service struct {
	env  *emu.Env
	mem  *s3mem.Backend
	fake http.Handler

	mu      sync.Mutex
	buckets map[string]*bucketState
}

var (
	_ emu.Service     = (*Service)(nil)
	_ emu.Seeder      = (*Service)(nil)
	_ emu.ObjectStore = (*Service)(nil)
	_ emu.TagSource   = (*Service)(nil)
)

// New returns an empty S3 on env. Objects take their timestamps from
// env.Clock. The caller usually sets env.Store to the result.
func New(env *emu.Env) *Service {
	ts := clockSource{env.Clock}
	mem := s3mem.New(s3mem.WithTimeSource(ts), s3mem.WithVersionSeed(1))
	fake := gofakes3.New(&backend{mem},
		gofakes3.WithTimeSource(ts),
		// The simulated clock is not wall time, so the x-amz-date skew check
		// gofakes3 makes against it would reject every request.
		gofakes3.WithTimeSkewLimit(0),
		// Content-MD5 is still checked when sent.
		gofakes3.WithIntegrityCheck(true),
	)
	return &Service{env: env, mem: mem, fake: fake.Server(), buckets: map[string]*bucketState{}}
}

// Name is S3's SigV4 signing name.
func (s *Service) Name() string { return "s3" }

// OwnerID returns the canonical user ID of the local account, the owner of
// every bucket (a 64-hex-digit ID like AWS's, derived from the account ID).
func (s *Service) OwnerID() string { return OwnerCanonicalID(s.env.AccountID) }

// ServeAWS answers one S3 REST request (path-style: /bucket/key).
func (s *Service) ServeAWS(w http.ResponseWriter, r *http.Request, req *emu.Request) {
	bucket, key := splitPath(r.URL.Path)
	rt := classify(r, bucket, key)
	req.Action = rt.action
	resource := ""
	if bucket != "" {
		resource = "arn:aws:s3:::" + bucket
		if key != "" {
			resource += "/" + key
		}
	}
	w.Header().Set("x-amz-request-id", req.RequestID)
	w.Header().Set("x-amz-id-2", hostID(req.RequestID))
	w.Header().Set("Server", "AmazonS3")
	if _, ferr := s.env.Faults.Admit(req, resource, &faultCodes); ferr != nil {
		writeS3Error(w, r, req, fromAPIError(ferr))
		return
	}
	if e := s.precheck(r, rt, bucket); e != nil {
		writeS3Error(w, r, req, e)
		return
	}
	if rt.handle != nil {
		if e := rt.handle(s, w, r, req, bucket, key); e != nil {
			writeS3Error(w, r, req, e)
		}
		return
	}
	if e := prepareUpload(r, rt.action); e != nil {
		writeS3Error(w, r, req, e)
		return
	}
	cw := &captureWriter{ResponseWriter: w, req: req}
	// S3 returns an object's checksum only when asked (x-amz-checksum-mode:
	// ENABLED) and not for an arbitrary Range GET (GetObject,
	// ChecksumMode); the SDKs validate any checksum header they get.
	if rt.action == "GetObject" || rt.action == "HeadObject" {
		cw.stripChecksums = !strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") || r.Header.Get("Range") != ""
	}
	s.fake.ServeHTTP(cw, r)
	cw.finish(r)
}

// precheck applies what every bucket operation shares: the expected bucket
// owner, the bucket's region against the request's, and the ACL rules of
// object writes.
func (s *Service) precheck(r *http.Request, rt route, bucket string) *s3Error {
	if bucket == "" {
		return nil
	}
	// x-amz-expected-bucket-owner: a bucket owned by another account answers
	// 403 Access Denied (S3 User Guide, "Verifying bucket ownership").
	if want := r.Header.Get("X-Amz-Expected-Bucket-Owner"); want != "" && want != s.env.AccountID {
		return errAccessDenied()
	}
	if rt.action == "CreateBucket" {
		return nil
	}
	s.mu.Lock()
	b := s.buckets[bucket]
	var st bucketState
	if b != nil {
		st = *b
	}
	s.mu.Unlock()
	if b == nil {
		return nil // the operation reports NoSuchBucket itself
	}
	// Any region may ask where a bucket is; everything else must be signed
	// for the bucket's region (unsigned requests are let through).
	if rt.action != "GetBucketLocation" {
		if signed, _ := emu.SigV4Scope(r); signed != "" && signed != st.region {
			return errWrongRegion(signed, st.region)
		}
	}
	if rt.objectWrite {
		acl, present, e := aclFromHeaders(r.Header, st.acl.Owner)
		if e != nil {
			return e
		}
		if present {
			// Object ACLs: a BucketOwnerEnforced bucket takes only no ACL
			// or bucket-owner-full-control (Object Ownership
			// troubleshooting page); Block Public Access rejects public ACLs.
			canned := r.Header.Get("X-Amz-Acl")
			if st.effectiveOwnership() == OwnershipBucketOwnerEnforced && canned != "bucket-owner-full-control" && !acl.ownerOnly() {
				return errAccessControlListNotSupported()
			}
			if st.pab != nil && st.pab.BlockPublicAcls && acl.public() {
				return errAccessDenied()
			}
		}
	}
	return nil
}

// splitPath splits a path-style request path into bucket and key.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// clockSource is gofakes3's time source on the local AWS clock.
type clockSource struct{ c *emu.Clock }

var gmt = time.FixedZone("GMT", 0)

func (t clockSource) Now() time.Time                   { return t.c.Now().In(gmt) }
func (t clockSource) Since(at time.Time) time.Duration { return t.c.Now().Sub(at) }

// backend wraps the in-memory backend. gofakes3's s3mem carries an
// overwritten object's old metadata into the new one (MergeMetadata), so an
// object rewritten without, say, a checksum header would keep the old
// checksum and fail the SDK's response validation; S3 replaces an object
// whole. For buckets without versioning the old object is removed first.
type backend struct{ *s3mem.Backend }

func (b *backend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, cond *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	if cond == nil {
		if v, err := b.Backend.VersioningConfiguration(bucket); err == nil && v.Status == "" {
			if _, err := b.Backend.HeadObject(bucket, key); err == nil {
				_, _ = b.Backend.DeleteObject(bucket, key)
			}
		}
	}
	return b.Backend.PutObject(bucket, key, meta, input, size, cond)
}

// captureWriter passes gofakes3's response through, replacing its request
// ID with the local AWS's and picking the error code out of error bodies
// for the call record.
type captureWriter struct {
	http.ResponseWriter
	req            *emu.Request
	status         int
	body           bytes.Buffer
	stripChecksums bool
}

func (c *captureWriter) WriteHeader(status int) {
	if c.status != 0 {
		return
	}
	c.status = status
	if c.stripChecksums {
		for k := range c.Header() {
			if strings.HasPrefix(k, "X-Amz-Checksum-") {
				c.Header().Del(k)
			}
		}
	}
	c.Header().Set("x-amz-request-id", c.req.RequestID)
	c.Header().Set("x-amz-id-2", hostID(c.req.RequestID))
	c.ResponseWriter.WriteHeader(status)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if c.status >= 400 && c.body.Len() < 64<<10 {
		c.body.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

var codeElement = regexp.MustCompile(`<Code>([^<]*)</Code>`)

func (c *captureWriter) finish(r *http.Request) {
	if c.status < 400 {
		return
	}
	if m := codeElement.FindSubmatch(c.body.Bytes()); m != nil {
		c.req.ErrorCode = string(m[1])
		return
	}
	// HEAD errors carry no body; the SDKs name them by status.
	switch c.status {
	case 404:
		c.req.ErrorCode = "NotFound"
	case 403:
		c.req.ErrorCode = "Forbidden"
	default:
		c.req.ErrorCode = http.StatusText(c.status)
	}
}

// writeXML sends an XML document with status 200.
func writeXML(w http.ResponseWriter, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	writeRawXML(w, body)
}

func writeRawXML(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
