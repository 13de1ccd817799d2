package emu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// What a service records about a call beyond its primary resource, for
// checks that need the request as IAM sees it (internal/iamcheck): every
// ARN the call acts on, the parameters that decide the authorization, the
// tags the request carries and the tags of the resource before the call.

// AddResource records another ARN the call acts on (the new snapshot of a
// create or copy, the bucket of an export). Empty strings, the primary
// Resource and ARNs already added are ignored.
func (r *Request) AddResource(arn string) {
	if arn == "" || arn == r.Resource {
		return
	}
	for _, x := range r.Resources {
		if x == arn {
			return
		}
	}
	r.Resources = append(r.Resources, arn)
}

// AllResources returns every resource the call acts on, Resource first
// (nil when there is none).
func (r *Request) AllResources() []string {
	var out []string
	if r.Resource != "" {
		out = append(out, r.Resource)
	}
	for _, x := range r.Resources {
		if x != r.Resource {
			out = append(out, x)
		}
	}
	return out
}

// SetParam records a request parameter by its API name. An empty value
// (the parameter is absent) is not stored, but Params becomes non-nil: a
// recorded call without the key did not carry the parameter.
func (r *Request) SetParam(name, value string) {
	if r.Params == nil {
		r.Params = map[string]string{}
	}
	if value != "" {
		r.Params[name] = value
	}
}

// SetRequestTags records the tags the request carries; nil or empty
// records that it carried none (an empty, non-nil map).
func (r *Request) SetRequestTags(tags map[string]string) {
	r.RequestTags = cloneTags(tags)
}

// SetResourceTags records the tags the resource acted on had before the
// call; nil or empty records that it had none.
func (r *Request) SetResourceTags(tags map[string]string) {
	r.ResourceTags = cloneTags(tags)
}

func cloneTags(m map[string]string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	return out
}

// RecordQueryParams records the named awsQuery parameters of a parsed form
// (r.PostForm) that the request carries.
func (r *Request) RecordQueryParams(form url.Values, names ...string) {
	for _, n := range names {
		v := ""
		if vs := form[n]; len(vs) > 0 {
			v = vs[0]
		}
		r.SetParam(n, v)
	}
}

// PeekJSON returns the top-level members of an awsJson request body,
// leaving the body readable again for DecodeJSON (nil when it is not a
// JSON object).
func PeekJSON(hr *http.Request) map[string]json.RawMessage {
	if hr.Body == nil {
		return nil
	}
	body, err := io.ReadAll(hr.Body)
	hr.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	return m
}

// RecordJSONParams records the named members of an awsJson request body
// (PeekJSON): strings as they are, other values as their JSON text.
func (r *Request) RecordJSONParams(members map[string]json.RawMessage, names ...string) {
	for _, n := range names {
		raw, ok := members[n]
		v := ""
		if ok && string(raw) != "null" {
			if json.Unmarshal(raw, &v) != nil {
				v = strings.TrimSpace(string(raw))
			}
		}
		r.SetParam(n, v)
	}
}

// JSONTags decodes an awsJson tag list ([{"Key": "k", "Value": "v"}], the
// member names given: Key/Value or key/value); an absent or null list is no
// tags (an empty map), a malformed one nil.
func JSONTags(raw json.RawMessage, key, value string) map[string]string {
	out := map[string]string{}
	if len(raw) == 0 || string(raw) == "null" {
		return out
	}
	var list []map[string]*string
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	for _, t := range list {
		if k := t[key]; k != nil {
			v := ""
			if t[value] != nil {
				v = *t[value]
			}
			out[*k] = v
		}
	}
	return out
}

// QueryTags decodes an awsQuery tag list (prefix "Tags.Tag" for
// Tags.Tag.N.Key / Tags.Tag.N.Value); none is an empty map.
func QueryTags(form url.Values, prefix string) map[string]string {
	out := map[string]string{}
	for _, m := range QueryStructs(form, prefix) {
		out[m["Key"]] = m["Value"]
	}
	return out
}

// Recorded is what a call's record says beyond its action: every resource
// it acts on (Resource first), the parameters that decide its
// authorization, and the request's and the resource's tags (nil: not
// recorded). The local services' tests compare it with Diff.
type Recorded struct {
	Resources                 []string
	Params                    map[string]string
	RequestTags, ResourceTags map[string]string
}

// Recorded returns what the request puts into its call's record.
func (r *Request) Recorded() Recorded {
	return Recorded{Resources: r.AllResources(), Params: r.Params, RequestTags: r.RequestTags, ResourceTags: r.ResourceTags}
}

// Recorded returns what the call's record says.
func (c Call) Recorded() Recorded {
	return Recorded{Resources: c.Resources, Params: c.Params, RequestTags: c.RequestTags, ResourceTags: c.ResourceTags}
}

// Diff lists how got differs from want, one line a difference: the
// resources in order, exactly the parameters, and tags that are recorded
// (non-nil) exactly when want's are, with the same entries.
func (got Recorded) Diff(want Recorded) []string {
	var out []string
	if !slices.Equal(got.Resources, want.Resources) {
		out = append(out, fmt.Sprintf("resources %v, want %v", got.Resources, want.Resources))
	}
	if !maps.Equal(got.Params, want.Params) {
		out = append(out, fmt.Sprintf("params %v, want %v", got.Params, want.Params))
	}
	for _, m := range []struct {
		what      string
		got, want map[string]string
	}{{"request tags", got.RequestTags, want.RequestTags}, {"resource tags", got.ResourceTags, want.ResourceTags}} {
		if (m.got == nil) != (m.want == nil) || !maps.Equal(m.got, m.want) {
			out = append(out, fmt.Sprintf("%s %#v, want %#v", m.what, m.got, m.want))
		}
	}
	return out
}
