package emu

import (
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// Call is the record of one API call.
type Call struct {
	Seq       int       `json:"seq"`
	Time      time.Time `json:"time"` // simulated
	Service   string    `json:"service"`
	Action    string    `json:"action"`
	Region    string    `json:"region"`
	Resource  string    `json:"resource,omitempty"`
	Status    int       `json:"status"`
	ErrorCode string    `json:"errorCode,omitempty"`
	Fault     string    `json:"fault,omitempty"`
	RequestID string    `json:"requestId"`
	// AccessKeyID is the caller's access key from the SigV4 credential; the
	// local runner gives each function its own, so calls can be traced to it.
	AccessKeyID string `json:"accessKeyId,omitempty"`

	// What the service recorded about the request for checks that need it
	// as IAM sees it (internal/iamcheck); each is nil when the service does
	// not record it for the operation.
	//
	// Resources are every ARN the call acts on, Resource first, then the
	// ones it makes or writes to: the snapshot a create or copy makes, the
	// S3 bucket (arn:aws:s3:::bucket) of an export.
	Resources []string `json:"resources,omitempty"`
	// Params are the request parameters, by their API name, that name
	// resources or decide the authorization (SnapshotName,
	// TargetSnapshotName, TargetBucket, KmsKeyId, …). A parameter the
	// request did not carry is absent from a non-nil map.
	Params map[string]string `json:"params,omitempty"`
	// RequestTags are the Tags the request carried, empty when it carried
	// none, for the operations that take tags.
	RequestTags map[string]string `json:"requestTags,omitempty"`
	// ResourceTags are the tags the resource acted on (Resource) had before
	// the call, empty when it had none: a delete's are those of what it
	// deleted.
	ResourceTags map[string]string `json:"resourceTags,omitempty"`
}

// MarshalJSON keeps the difference between a nil map (not recorded:
// omitted) and an empty one (recorded as none: {}) of Params, RequestTags
// and ResourceTags, which omitempty alone would lose.
func (c Call) MarshalJSON() ([]byte, error) {
	type plain Call
	ptr := func(m map[string]string) *map[string]string {
		if m == nil {
			return nil
		}
		return &m
	}
	return json.Marshal(struct {
		plain
		Params       *map[string]string `json:"params,omitempty"`
		RequestTags  *map[string]string `json:"requestTags,omitempty"`
		ResourceTags *map[string]string `json:"resourceTags,omitempty"`
	}{plain(c), ptr(c.Params), ptr(c.RequestTags), ptr(c.ResourceTags)})
}

// Mutating reports whether the action changes state (by its AWS verb).
func (c Call) Mutating() bool { return IsMutating(c.Action) }

// IsMutating reports whether an AWS action name changes state.
func IsMutating(action string) bool {
	for _, p := range []string{"Create", "Copy", "Delete", "Export", "Tag", "Untag", "Add", "Remove", "Update", "Modify", "Put", "Publish", "Start", "Restore"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// Recorder keeps every call made to the local AWS.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
}

// Record appends a call, numbering it.
func (r *Recorder) Record(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.Seq = len(r.calls) + 1
	r.calls = append(r.calls, c)
}

// Calls returns a copy of the calls recorded so far.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// Reset forgets every recorded call.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}
