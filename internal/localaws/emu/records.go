package emu

import (
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
