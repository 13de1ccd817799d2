package locals3

import (
	"net/http"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// handlerFunc answers an operation this package implements itself; a nil
// handler sends the request on to gofakes3.
type handlerFunc func(s *Service, w http.ResponseWriter, r *http.Request, req *emu.Request, bucket, key string) *s3Error

// route is what a request is: its S3 operation name and who answers it.
type route struct {
	action string
	handle handlerFunc
	// objectWrite marks requests that create an object (and may carry an
	// object ACL in headers).
	objectWrite bool
}

// bucketSubresources are the bucket sub-resources answered here, by method.
// Operation names are those of the S3 API Reference.
var bucketSubresources = map[string]map[string]route{
	"acl": {
		"GET": {action: "GetBucketAcl", handle: (*Service).getBucketACL},
		"PUT": {action: "PutBucketAcl", handle: (*Service).putBucketACL},
	},
	"policy": {
		"GET":    {action: "GetBucketPolicy", handle: (*Service).getBucketPolicy},
		"PUT":    {action: "PutBucketPolicy", handle: (*Service).putBucketPolicy},
		"DELETE": {action: "DeleteBucketPolicy", handle: (*Service).deleteBucketPolicy},
	},
	"policyStatus": {
		"GET": {action: "GetBucketPolicyStatus", handle: (*Service).getBucketPolicyStatus},
	},
	"ownershipControls": {
		"GET":    {action: "GetBucketOwnershipControls", handle: (*Service).getOwnershipControls},
		"PUT":    {action: "PutBucketOwnershipControls", handle: (*Service).putOwnershipControls},
		"DELETE": {action: "DeleteBucketOwnershipControls", handle: (*Service).deleteOwnershipControls},
	},
	"publicAccessBlock": {
		"GET":    {action: "GetPublicAccessBlock", handle: (*Service).getPublicAccessBlock},
		"PUT":    {action: "PutPublicAccessBlock", handle: (*Service).putPublicAccessBlock},
		"DELETE": {action: "DeletePublicAccessBlock", handle: (*Service).deletePublicAccessBlock},
	},
	"location": {
		"GET": {action: "GetBucketLocation", handle: (*Service).getBucketLocation},
	},
	"encryption": {
		"GET":    {action: "GetBucketEncryption", handle: (*Service).getBucketEncryption},
		"PUT":    {action: "PutBucketEncryption", handle: (*Service).putBucketEncryption},
		"DELETE": {action: "DeleteBucketEncryption", handle: (*Service).deleteBucketEncryption},
	},
	"lifecycle": {
		"GET":    {action: "GetBucketLifecycleConfiguration", handle: (*Service).getBucketLifecycle},
		"PUT":    {action: "PutBucketLifecycleConfiguration", handle: (*Service).putBucketLifecycle},
		"DELETE": {action: "DeleteBucketLifecycle", handle: (*Service).deleteBucketLifecycle},
	},
	"tagging": {
		"GET":    {action: "GetBucketTagging", handle: (*Service).getBucketTagging},
		"PUT":    {action: "PutBucketTagging", handle: (*Service).putBucketTagging},
		"DELETE": {action: "DeleteBucketTagging", handle: (*Service).deleteBucketTagging},
	},
	// gofakes3 answers these.
	"versioning": {"GET": {action: "GetBucketVersioning"}, "PUT": {action: "PutBucketVersioning"}},
	"versions":   {"GET": {action: "ListObjectVersions"}},
	"uploads":    {"GET": {action: "ListMultipartUploads"}},
	"delete":     {"POST": {action: "DeleteObjects"}},
}

// unsupportedBucketSubresources are bucket configurations this S3 does not
// model; requests for them get 501 NotImplemented under their operation
// name (rather than being mistaken for CreateBucket or ListObjects).
var unsupportedBucketSubresources = map[string]string{
	"cors": "BucketCors", "website": "BucketWebsite", "logging": "BucketLogging",
	"notification": "BucketNotificationConfiguration", "replication": "BucketReplication",
	"requestPayment": "BucketRequestPayment", "accelerate": "BucketAccelerateConfiguration",
	"analytics": "BucketAnalyticsConfiguration", "inventory": "BucketInventoryConfiguration",
	"metrics": "BucketMetricsConfiguration", "intelligent-tiering": "BucketIntelligentTieringConfiguration",
	"object-lock": "ObjectLockConfiguration", "metadataTable": "BucketMetadataTableConfiguration",
}

// unsupportedObjectSubresources likewise for objects.
var unsupportedObjectSubresources = map[string]string{
	"tagging": "ObjectTagging", "attributes": "ObjectAttributes", "retention": "ObjectRetention",
	"legal-hold": "ObjectLegalHold", "restore": "RestoreObject", "select": "SelectObjectContent",
	"torrent": "ObjectTorrent",
}

var verbs = map[string]string{"GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Post", "HEAD": "Head"}

func notImplemented(action string) route {
	return route{action: action, handle: func(*Service, http.ResponseWriter, *http.Request, *emu.Request, string, string) *s3Error {
		return errNotImplemented()
	}}
}

func methodNotAllowed(action string) route {
	return route{action: action, handle: func(*Service, http.ResponseWriter, *http.Request, *emu.Request, string, string) *s3Error {
		return errMethodNotAllowed()
	}}
}

// classify names the S3 operation of a request from its method, path and
// sub-resource query parameters (S3 API Reference, each operation's
// "Request Syntax").
func classify(r *http.Request, bucket, key string) route {
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	m := r.Method
	if bucket == "" {
		if m == http.MethodGet {
			return route{action: "ListBuckets", handle: (*Service).listBuckets}
		}
		return methodNotAllowed("Unknown")
	}
	if key == "" {
		for sub, byMethod := range bucketSubresources {
			if has(sub) {
				if rt, ok := byMethod[m]; ok {
					return rt
				}
				return methodNotAllowed(verbs[m] + "Bucket")
			}
		}
		for sub, name := range unsupportedBucketSubresources {
			if has(sub) {
				return notImplemented(verbs[m] + name)
			}
		}
		switch m {
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return route{action: "ListObjectsV2"}
			}
			return route{action: "ListObjects"}
		case http.MethodPut:
			return route{action: "CreateBucket", handle: (*Service).createBucketOp}
		case http.MethodDelete:
			return route{action: "DeleteBucket", handle: (*Service).deleteBucketOp}
		case http.MethodHead:
			return route{action: "HeadBucket", handle: (*Service).headBucket}
		case http.MethodPost:
			return route{action: "PostObject", objectWrite: true}
		}
		return methodNotAllowed("Unknown")
	}
	switch {
	case has("uploadId"):
		switch m {
		case http.MethodPut:
			if r.Header.Get("X-Amz-Copy-Source") != "" {
				return notImplemented("UploadPartCopy")
			}
			return route{action: "UploadPart"}
		case http.MethodPost:
			return route{action: "CompleteMultipartUpload"}
		case http.MethodDelete:
			return route{action: "AbortMultipartUpload"}
		case http.MethodGet:
			return route{action: "ListParts"}
		}
		return methodNotAllowed("Unknown")
	case has("uploads"):
		if m == http.MethodPost {
			return route{action: "CreateMultipartUpload", objectWrite: true}
		}
		return methodNotAllowed("Unknown")
	case has("acl"):
		switch m {
		case http.MethodGet:
			return route{action: "GetObjectAcl", handle: (*Service).getObjectACL}
		case http.MethodPut:
			return route{action: "PutObjectAcl", handle: (*Service).putObjectACL}
		}
		return methodNotAllowed("Unknown")
	}
	for sub, name := range unsupportedObjectSubresources {
		if has(sub) {
			if sub == "restore" || sub == "select" {
				return notImplemented(name)
			}
			return notImplemented(verbs[m] + name)
		}
	}
	switch m {
	case http.MethodGet:
		return route{action: "GetObject"}
	case http.MethodHead:
		return route{action: "HeadObject"}
	case http.MethodPut:
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return route{action: "CopyObject", objectWrite: true}
		}
		return route{action: "PutObject", objectWrite: true}
	case http.MethodDelete:
		return route{action: "DeleteObject"}
	}
	return methodNotAllowed("Unknown")
}
