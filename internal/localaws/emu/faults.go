package emu

import (
	"math"
	"strings"
	"sync"
	"time"
)

// FaultKind names what an injected fault does.
type FaultKind string

// The kinds of fault the local AWS can inject. Each service answers the
// error kinds with its own error code (see FaultCodes).
const (
	FaultThrottle       FaultKind = "throttle"        // the service's throttling error
	FaultInternal       FaultKind = "internal"        // HTTP 500 internal failure
	FaultSlow           FaultKind = "slow"            // do the call, answer after Delay of simulated time
	FaultAccessDenied   FaultKind = "access-denied"   // the service's access-denied error
	FaultBusy           FaultKind = "busy"            // the source is in a state that rejects the call
	FaultQuota          FaultKind = "quota"           // the service's quota-exceeded error
	FaultSnapshotFailed FaultKind = "snapshot-failed" // the snapshot (or copy/export) this call starts ends failed
	FaultError          FaultKind = "error"           // any Code/Message/Status given in the fault
)

// Fault is one injected fault. Empty Service, Action or Resource match any;
// Resource matches when it is a substring of the call's resource (an ARN or
// identifier). The fault skips its first After matches, then fires Count
// times (0: every time).
type Fault struct {
	ID       int           `json:"id,omitempty"`
	Service  string        `json:"service,omitempty"`
	Action   string        `json:"action,omitempty"`
	Resource string        `json:"resource,omitempty"`
	Kind     FaultKind     `json:"kind"`
	After    int           `json:"after,omitempty"`
	Count    int           `json:"count,omitempty"`
	Delay    time.Duration `json:"delay,omitempty"` // for FaultSlow, simulated time
	Code     string        `json:"code,omitempty"`  // for FaultError
	Message  string        `json:"message,omitempty"`
	Status   int           `json:"status,omitempty"`

	// Seen and Fired count the matching calls and the times it fired.
	Seen  int `json:"seen"`
	Fired int `json:"fired"`
}

// RateLimit is a token bucket in simulated time for a service's action
// (empty Action: one bucket shared by all the service's actions). Calls
// beyond it get the service's throttling error.
type RateLimit struct {
	Service string  `json:"service"`
	Action  string  `json:"action,omitempty"`
	Rate    float64 `json:"rate"`  // tokens per simulated second
	Burst   float64 `json:"burst"` // bucket size

	tokens float64
	last   time.Time
}

// Faults holds the injected faults and rate limits of one local AWS.
type Faults struct {
	mu     sync.Mutex
	clock  *Clock
	faults []*Fault
	limits []*RateLimit
	nextID int
}

// NewFaults returns an empty fault table on clock.
func NewFaults(clock *Clock) *Faults { return &Faults{clock: clock} }

// Add injects a fault and returns its ID.
func (f *Faults) Add(fault Fault) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	fault.ID, fault.Seen, fault.Fired = f.nextID, 0, 0
	f.faults = append(f.faults, &fault)
	return fault.ID
}

// Remove deletes the fault with the given ID.
func (f *Faults) Remove(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.faults {
		if x.ID == id {
			f.faults = append(f.faults[:i], f.faults[i+1:]...)
			return
		}
	}
}

// SetRateLimit installs (or replaces) the token bucket for service/action;
// a Rate of 0 removes it. The bucket starts full.
func (f *Faults) SetRateLimit(l RateLimit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.limits {
		if x.Service == l.Service && x.Action == l.Action {
			f.limits = append(f.limits[:i], f.limits[i+1:]...)
			break
		}
	}
	if l.Rate <= 0 {
		return
	}
	if l.Burst < 1 {
		l.Burst = 1
	}
	l.tokens, l.last = l.Burst, f.clock.Now()
	f.limits = append(f.limits, &l)
}

// Reset removes every fault and rate limit.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults, f.limits = nil, nil
}

// List returns the faults still installed, with how often each has fired.
func (f *Faults) List() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fault, 0, len(f.faults))
	for _, x := range f.faults {
		out = append(out, *x)
	}
	return out
}

// match returns the first fault that fires for the call, counting it.
func (f *Faults) match(service, action string, resources []string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, x := range f.faults {
		if (x.Service != "" && x.Service != service) || (x.Action != "" && x.Action != action) ||
			(x.Resource != "" && !containsAny(resources, x.Resource)) {
			continue
		}
		x.Seen++
		if x.Seen <= x.After || (x.Count > 0 && x.Fired >= x.Count) {
			continue
		}
		x.Fired++
		cp := *x
		return &cp
	}
	return nil
}

func containsAny(resources []string, sub string) bool {
	for _, r := range resources {
		if strings.Contains(r, sub) {
			return true
		}
	}
	return false
}

// take reports whether the call may proceed under the rate limits.
func (f *Faults) take(service, action string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	for _, l := range f.limits {
		if l.Service != service || (l.Action != "" && l.Action != action) {
			continue
		}
		if el := now.Sub(l.last).Seconds(); el > 0 {
			l.tokens = math.Min(l.Burst, l.tokens+el*l.Rate)
			l.last = now
		}
		if l.tokens < 1 {
			return false
		}
		l.tokens--
	}
	return true
}

// FaultCodes is how a service answers the injected error kinds.
type FaultCodes struct {
	Throttle     APIError
	AccessDenied APIError
	Internal     APIError
	// Busy and Quota build the error for the resource the call acts on; nil
	// means the service has no such error and the fault is ignored.
	Busy  func(resource string) *APIError
	Quota func(resource string) *APIError
}

// Admission is what the rate limits and faults decided for one call.
type Admission struct {
	// FailSnapshot asks the service to make the snapshot (or copy or export)
	// that this call starts end failed.
	FailSnapshot bool
}

// Admit applies the rate limits and injected faults to req acting on
// resource. It records the resource on req. Aliases are other names of the
// resource a fault may match (e.g. a name where the ARN ends in an ID). A
// non-nil error must be sent back instead of doing the call.
func (f *Faults) Admit(req *Request, resource string, codes *FaultCodes, aliases ...string) (Admission, *APIError) {
	req.Resource = resource
	if !f.take(req.Service, req.Action) {
		req.Fault = "rate-limit"
		e := codes.Throttle
		return Admission{}, &e
	}
	x := f.match(req.Service, req.Action, append([]string{resource}, aliases...))
	if x == nil {
		return Admission{}, nil
	}
	req.Fault = string(x.Kind)
	var err *APIError
	switch x.Kind {
	case FaultThrottle:
		e := codes.Throttle
		err = &e
	case FaultInternal:
		e := codes.Internal
		err = &e
	case FaultAccessDenied:
		e := codes.AccessDenied
		err = &e
	case FaultBusy:
		if codes.Busy != nil {
			err = codes.Busy(resource)
		}
	case FaultQuota:
		if codes.Quota != nil {
			err = codes.Quota(resource)
		}
	case FaultError:
		err = &APIError{Code: x.Code, Message: x.Message, Status: x.Status, Server: x.Status >= 500}
	case FaultSlow:
		// The call goes ahead; the router holds its answer back for Delay
		// of simulated time, outside any service lock (a client that times
		// out meanwhile has still changed state, as with AWS).
		req.Delay += x.Delay
	case FaultSnapshotFailed:
		return Admission{FailSnapshot: true}, nil
	}
	return Admission{}, err
}
