package locals3

import (
	"encoding/xml"
	"net/http"
	"strings"
)

// ACLs (source: S3 User Guide, "Access control list (ACL) overview",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html):
// an owner and up to 100 grants, each giving one permission to a grantee
// that is a canonical user (ID), an Amazon S3 group (URI) or an email
// address.

// Grantee types as they appear in xsi:type.
const (
	granteeCanonicalUser = "CanonicalUser"
	granteeGroup         = "Group"
	granteeEmail         = "AmazonCustomerByEmail"
)

// The predefined Amazon S3 groups.
const (
	GroupAllUsers           = "http://acs.amazonaws.com/groups/global/AllUsers"
	GroupAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	GroupLogDelivery        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// maxGrants is the most grants an ACL can hold (ACL overview: "An ACL can
// have up to 100 grants").
const maxGrants = 100

var validPermissions = map[string]bool{"READ": true, "WRITE": true, "READ_ACP": true, "WRITE_ACP": true, "FULL_CONTROL": true}

// Grant is one ACL grant: a grantee (exactly one of ID, URI, Email) and a
// permission (READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL).
type Grant struct {
	ID         string `json:"id,omitempty"`    // canonical user ID
	URI        string `json:"uri,omitempty"`   // group URI
	Email      string `json:"email,omitempty"` // email address
	Permission string `json:"permission"`
}

func (g Grant) granteeType() string {
	switch {
	case g.ID != "":
		return granteeCanonicalUser
	case g.URI != "":
		return granteeGroup
	default:
		return granteeEmail
	}
}

// accessControl is a bucket ACL.
type accessControl struct {
	Owner  string
	Grants []Grant
}

// privateACL is the default ACL: the owner has FULL_CONTROL.
func privateACL(owner string) accessControl {
	return accessControl{Owner: owner, Grants: []Grant{{ID: owner, Permission: "FULL_CONTROL"}}}
}

// ownerOnly reports whether the ACL grants nothing but the owner's full
// control: the only ACL a BucketOwnerEnforced bucket accepts.
func (a accessControl) ownerOnly() bool {
	for _, g := range a.Grants {
		if !strings.EqualFold(g.ID, a.Owner) || g.Permission != "FULL_CONTROL" {
			return false
		}
	}
	return true
}

// public reports whether the ACL grants anything to AllUsers or
// AuthenticatedUsers, which Block Public Access calls public (S3 User Guide,
// "The meaning of public").
func (a accessControl) public() bool {
	for _, g := range a.Grants {
		if g.URI == GroupAllUsers || g.URI == GroupAuthenticatedUsers {
			return true
		}
	}
	return false
}

// permissionsFor lists what the ACL grants the canonical user explicitly.
func (a accessControl) permissionsFor(canonicalID string) []string {
	var out []string
	for _, g := range a.Grants {
		if g.ID != "" && strings.EqualFold(g.ID, canonicalID) {
			out = append(out, g.Permission)
		}
	}
	return out
}

// cannedACL expands a canned ACL for a bucket (source: ACL overview, "Canned
// ACL"). bucket-owner-read and bucket-owner-full-control are object ACLs
// that S3 ignores on a bucket, leaving the private ACL; aws-exec-read's
// EC2 grant is not modelled (assumed: owner only).
func cannedACL(name, owner string) (accessControl, bool) {
	acl := privateACL(owner)
	switch name {
	case "private", "bucket-owner-read", "bucket-owner-full-control", "aws-exec-read":
	case "public-read":
		acl.Grants = append(acl.Grants, Grant{URI: GroupAllUsers, Permission: "READ"})
	case "public-read-write":
		acl.Grants = append(acl.Grants, Grant{URI: GroupAllUsers, Permission: "READ"}, Grant{URI: GroupAllUsers, Permission: "WRITE"})
	case "authenticated-read":
		acl.Grants = append(acl.Grants, Grant{URI: GroupAuthenticatedUsers, Permission: "READ"})
	case "log-delivery-write":
		acl.Grants = append(acl.Grants, Grant{URI: GroupLogDelivery, Permission: "WRITE"}, Grant{URI: GroupLogDelivery, Permission: "READ_ACP"})
	default:
		return accessControl{}, false
	}
	return acl, true
}

// grantHeaders maps the x-amz-grant-* headers to their permission.
var grantHeaders = []struct{ header, permission string }{
	{"X-Amz-Grant-Read", "READ"},
	{"X-Amz-Grant-Write", "WRITE"},
	{"X-Amz-Grant-Read-Acp", "READ_ACP"},
	{"X-Amz-Grant-Write-Acp", "WRITE_ACP"},
	{"X-Amz-Grant-Full-Control", "FULL_CONTROL"},
}

// aclFromHeaders reads an ACL from x-amz-acl or the x-amz-grant-* headers.
// present is false when the request has neither. A header grant value is a
// comma-separated list of type="value" with type id, uri or emailAddress
// (source: PutBucketAcl, "Request Syntax" and x-amz-grant-* descriptions).
func aclFromHeaders(h http.Header, owner string) (acl accessControl, present bool, e *s3Error) {
	canned := h.Get("X-Amz-Acl")
	var grants []Grant
	for _, gh := range grantHeaders {
		v := h.Get(gh.header)
		if v == "" {
			continue
		}
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			k, val, ok := strings.Cut(part, "=")
			if !ok {
				return acl, true, errInvalidArgument("Invalid grant: "+part, gh.header, v)
			}
			val = strings.Trim(strings.TrimSpace(val), `"`)
			g := Grant{Permission: gh.permission}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "id":
				g.ID = val
			case "uri":
				g.URI = val
			case "emailaddress":
				g.Email = val
			default:
				return acl, true, errInvalidArgument("Argument format not recognized", gh.header, v)
			}
			if val == "" {
				return acl, true, errInvalidArgument("Invalid id", gh.header, v)
			}
			grants = append(grants, g)
		}
	}
	switch {
	case canned == "" && len(grants) == 0:
		return acl, false, nil
	case canned != "" && len(grants) > 0:
		// S3 rejects a canned ACL together with explicit header grants.
		return acl, true, errInvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
	case canned != "":
		a, ok := cannedACL(canned, owner)
		if !ok {
			return acl, true, errInvalidArgument("", "x-amz-acl", canned)
		}
		return a, true, nil
	}
	if len(grants) > maxGrants {
		return acl, true, errMalformedACL()
	}
	return accessControl{Owner: owner, Grants: grants}, true, nil
}

// The AccessControlPolicy XML document (PutBucketAcl body, GetBucketAcl
// response).
type aclPolicyXML struct {
	XMLName xml.Name      `xml:"AccessControlPolicy"`
	Xmlns   string        `xml:"xmlns,attr,omitempty"`
	OwnerID string        `xml:"Owner>ID"`
	Grants  []aclGrantXML `xml:"AccessControlList>Grant"`
}

type aclGrantXML struct {
	Grantee    aclGranteeXML `xml:"Grantee"`
	Permission string        `xml:"Permission"`
}

type aclGranteeXML struct {
	Type  string `xml:"type,attr"` // xsi:type, matched in any namespace
	ID    string `xml:"ID"`
	URI   string `xml:"URI"`
	Email string `xml:"EmailAddress"`
}

// aclGranteeOut writes the xsi declaration and the prefixed type literally,
// as S3 does; the SDKs read the prefixed attribute name.
type aclGranteeOut struct {
	XmlnsXsi string `xml:"xmlns:xsi,attr"`
	Type     string `xml:"xsi:type,attr"`
	ID       string `xml:"ID,omitempty"`
	URI      string `xml:"URI,omitempty"`
	Email    string `xml:"EmailAddress,omitempty"`
}

type aclGrantOut struct {
	Grantee    aclGranteeOut `xml:"Grantee"`
	Permission string        `xml:"Permission"`
}

type aclPolicyOut struct {
	XMLName xml.Name      `xml:"AccessControlPolicy"`
	Xmlns   string        `xml:"xmlns,attr"`
	OwnerID string        `xml:"Owner>ID"`
	Grants  []aclGrantOut `xml:"AccessControlList>Grant"`
}

// aclFromXML parses an AccessControlPolicy body.
func aclFromXML(body []byte, owner string) (accessControl, *s3Error) {
	var doc aclPolicyXML
	if err := xml.Unmarshal(body, &doc); err != nil {
		return accessControl{}, errMalformedACL()
	}
	acl := accessControl{Owner: owner}
	for _, g := range doc.Grants {
		out := Grant{ID: g.Grantee.ID, URI: g.Grantee.URI, Email: g.Grantee.Email, Permission: g.Permission}
		typ := g.Grantee.Type
		if typ == "" {
			typ = out.granteeType()
		}
		ok := validPermissions[out.Permission]
		switch typ {
		case granteeCanonicalUser:
			ok = ok && out.ID != ""
		case granteeGroup:
			ok = ok && out.URI != ""
		case granteeEmail:
			ok = ok && out.Email != ""
		default:
			ok = false
		}
		if !ok {
			return accessControl{}, errMalformedACL()
		}
		acl.Grants = append(acl.Grants, out)
	}
	if len(acl.Grants) > maxGrants {
		return accessControl{}, errMalformedACL()
	}
	return acl, nil
}

// marshalACL renders an ACL as GetBucketAcl returns it.
func marshalACL(acl accessControl) []byte {
	out := aclPolicyOut{Xmlns: s3Xmlns, OwnerID: acl.Owner}
	for _, g := range acl.Grants {
		out.Grants = append(out.Grants, aclGrantOut{
			Grantee: aclGranteeOut{XmlnsXsi: "http://www.w3.org/2001/XMLSchema-instance", Type: g.granteeType(),
				ID: g.ID, URI: g.URI, Email: g.Email},
			Permission: g.Permission,
		})
	}
	b, _ := xml.Marshal(out)
	return b
}

// validateGrants checks grants given in a seed.
func validateGrants(grants []Grant) error {
	if len(grants) > maxGrants {
		return &s3Error{Code: "MalformedACLError", Message: "more than 100 grants"}
	}
	for _, g := range grants {
		n := 0
		for _, v := range []string{g.ID, g.URI, g.Email} {
			if v != "" {
				n++
			}
		}
		if n != 1 || !validPermissions[g.Permission] {
			return &s3Error{Code: "MalformedACLError", Message: "grant needs exactly one of id, uri, email and a permission READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL"}
		}
	}
	return nil
}
