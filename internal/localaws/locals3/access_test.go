package locals3

import (
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// elastiCacheCanonicalID is the canonical user the ElastiCache docs tell you
// to grant (standard regions).
const elastiCacheCanonicalID = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"

func TestOwnershipAndACLRoundTrip(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "exports")
	owner := OwnerCanonicalID(h.env.AccountID)

	// New buckets: BucketOwnerEnforced, Block Public Access on, private ACL.
	oc, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("exports")})
	must(t, err)
	if len(oc.OwnershipControls.Rules) != 1 || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("ownership %+v", oc.OwnershipControls)
	}
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("exports")})
	must(t, err)
	cfg := pab.PublicAccessBlockConfiguration
	if !aws.ToBool(cfg.BlockPublicAcls) || !aws.ToBool(cfg.IgnorePublicAcls) || !aws.ToBool(cfg.BlockPublicPolicy) || !aws.ToBool(cfg.RestrictPublicBuckets) {
		t.Fatalf("public access block %+v", cfg)
	}
	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("exports")})
	must(t, err)
	if aws.ToString(acl.Owner.ID) != owner || len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl ||
		acl.Grants[0].Grantee.Type != types.TypeCanonicalUser || aws.ToString(acl.Grants[0].Grantee.ID) != owner {
		t.Fatalf("default ACL %+v", acl)
	}
	b, _ := h.svc.Bucket("exports")
	if b.ObjectOwnership() != OwnershipBucketOwnerEnforced {
		t.Fatal(b.ObjectOwnership())
	}

	// ACLs are disabled: a grant to ElastiCache fails, the owner's full control is fine.
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("exports"), GrantWrite: aws.String(`id="` + elastiCacheCanonicalID + `"`)})
	mustCode(t, err, "AccessControlListNotSupported")
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("exports"), ACL: types.BucketCannedACLPrivate})
	must(t, err)
	if h.lastCall("PutBucketAcl").Resource != "arn:aws:s3:::exports" {
		t.Fatal("PutBucketAcl resource")
	}
	// Object writes with an ACL other than bucket-owner-full-control fail too.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("exports"), Key: aws.String("k"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	mustCode(t, err, "AccessControlListNotSupported")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("exports"), Key: aws.String("k"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLBucketOwnerFullControl})
	must(t, err)
	oacl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("exports"), Key: aws.String("k")})
	must(t, err)
	if len(oacl.Grants) != 1 || aws.ToString(oacl.Grants[0].Grantee.ID) != owner {
		t.Fatalf("object ACL %+v", oacl.Grants)
	}

	// Enable ACLs, then grant ElastiCache READ, WRITE and READ_ACP by headers.
	_, err = c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("exports"),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}}}})
	must(t, err)
	if b.ObjectOwnership() != OwnershipBucketOwnerPreferred {
		t.Fatal(b.ObjectOwnership())
	}
	ec := `id="` + elastiCacheCanonicalID + `"`
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("exports"),
		GrantFullControl: aws.String(`id="` + owner + `"`), GrantRead: aws.String(ec), GrantWrite: aws.String(ec), GrantReadACP: aws.String(ec)})
	must(t, err)
	perms := b.ACLPermissions(elastiCacheCanonicalID)
	sort.Strings(perms)
	if strings.Join(perms, ",") != "READ,READ_ACP,WRITE" {
		t.Fatalf("ACLPermissions %v", perms)
	}
	acl, err = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("exports")})
	must(t, err)
	if len(acl.Grants) != 4 {
		t.Fatalf("grants %+v", acl.Grants)
	}
	for _, g := range acl.Grants {
		if g.Grantee.Type != types.TypeCanonicalUser {
			t.Fatalf("grantee type %q", g.Grantee.Type)
		}
	}

	// Going back to BucketOwnerEnforced with those grants is refused.
	_, err = c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String("exports"),
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}})
	mustCode(t, err, "InvalidBucketAclWithObjectOwnership")

	// The AccessControlPolicy body form replaces the ACL.
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("exports"), AccessControlPolicy: &types.AccessControlPolicy{
		Owner: &types.Owner{ID: aws.String(owner)},
		Grants: []types.Grant{
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(owner)}, Permission: types.PermissionFullControl},
			{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(elastiCacheCanonicalID)}, Permission: types.PermissionWrite},
			{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(GroupLogDelivery)}, Permission: types.PermissionReadAcp},
		}}})
	must(t, err)
	if perms := b.ACLPermissions(elastiCacheCanonicalID); len(perms) != 1 || perms[0] != "WRITE" {
		t.Fatalf("after body ACL: %v", perms)
	}
	acl, err = c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("exports")})
	must(t, err)
	if len(acl.Grants) != 3 || acl.Grants[2].Grantee.Type != types.TypeGroup || aws.ToString(acl.Grants[2].Grantee.URI) != GroupLogDelivery {
		t.Fatalf("body ACL round trip %+v", acl.Grants)
	}

	// Both a canned ACL and grant headers: refused.
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("exports"), ACL: types.BucketCannedACLPrivate, GrantRead: aws.String(ec)})
	mustCode(t, err, "InvalidRequest")

	// Block Public Access refuses public ACLs until it is removed.
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("exports"), ACL: types.BucketCannedACLPublicRead})
	mustCode(t, err, "AccessDenied")
	_, err = c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("exports")})
	must(t, err)
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("exports")})
	mustCode(t, err, "NoSuchPublicAccessBlockConfiguration")
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String("exports"), ACL: types.BucketCannedACLPublicRead})
	must(t, err)
	_, err = c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("exports"),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicPolicy: aws.Bool(true)}})
	must(t, err)
	pab, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("exports")})
	must(t, err)
	if aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicAcls) || !aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicPolicy) {
		t.Fatalf("pab %+v", pab.PublicAccessBlockConfiguration)
	}
	if h.lastCall("PutPublicAccessBlock").Resource != "arn:aws:s3:::exports" {
		t.Fatal("PutPublicAccessBlock resource")
	}

	// Without ownership controls the bucket behaves as ObjectWriter.
	_, err = c.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String("exports")})
	must(t, err)
	_, err = c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("exports")})
	mustCode(t, err, "OwnershipControlsNotFoundError")
	if b.ObjectOwnership() != OwnershipObjectWriter {
		t.Fatal(b.ObjectOwnership())
	}
}

func TestCreateBucketWithOwnershipAndACL(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl-bucket"), GrantWrite: aws.String(`id="` + elastiCacheCanonicalID + `"`)})
	mustCode(t, err, "InvalidBucketAclWithObjectOwnership")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("acl-bucket"), ObjectOwnership: types.ObjectOwnershipObjectWriter,
		ACL: types.BucketCannedACLPublicRead})
	mustCode(t, err, "InvalidBucketAclWithBlockPublicAccessError")
	h.createBucket(c, "acl-bucket", func(in *s3.CreateBucketInput) {
		in.ObjectOwnership = types.ObjectOwnershipObjectWriter
		in.GrantWrite = aws.String(`id="` + elastiCacheCanonicalID + `"`)
		in.GrantFullControl = aws.String(`id="` + OwnerCanonicalID(h.env.AccountID) + `"`)
	})
	b, _ := h.svc.Bucket("acl-bucket")
	if b.ObjectOwnership() != OwnershipObjectWriter || len(b.ACLPermissions(elastiCacheCanonicalID)) != 1 {
		t.Fatalf("%s %v", b.ObjectOwnership(), b.ACLPermissions(elastiCacheCanonicalID))
	}
}

const tlsOnly = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowElastiCache", "Effect": "Allow",
     "Principal": {"Service": "us-east-1.elasticache-snapshot.amazonaws.com"},
     "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"],
     "Resource": ["arn:aws:s3:::exports", "arn:aws:s3:::exports/*"]},
    {"Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::exports", "arn:aws:s3:::exports/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}`

func TestBucketPolicyAPI(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "exports")
	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("exports")})
	mustCode(t, err, "NoSuchBucketPolicy")

	for _, bad := range []string{
		`not json`,
		`["x"]`,
		`{"Version":"2012-10-17"}`,
		`{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::exports/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::exports/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::exports/*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Service":"x.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
	} {
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("exports"), Policy: aws.String(bad)})
		mustCode(t, err, "MalformedPolicy")
	}

	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("exports"), Policy: aws.String(tlsOnly)})
	must(t, err)
	if call := h.lastCall("PutBucketPolicy"); call.Resource != "arn:aws:s3:::exports" || call.ErrorCode != "" {
		t.Fatalf("PutBucketPolicy call %+v", call)
	}
	got, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("exports")})
	must(t, err)
	if aws.ToString(got.Policy) != tlsOnly {
		t.Fatalf("policy not kept as given:\n%s", aws.ToString(got.Policy))
	}
	st, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String("exports")})
	must(t, err)
	if aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatal("a service-principal policy is not public")
	}

	b, _ := h.svc.Bucket("exports")
	if !b.PolicyAllows("us-east-1.elasticache-snapshot.amazonaws.com", "s3:PutObject", "arn:aws:s3:::exports/snap-0001.rdb") {
		t.Fatal("TLS-only deny must not block the service principal")
	}

	// A public policy is blocked by BlockPublicPolicy.
	public := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::exports/*"}]}`
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("exports"), Policy: aws.String(public)})
	mustCode(t, err, "AccessDenied")
	// Pinned to the account, it is not public.
	pinned := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::exports/*",
		"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("exports"), Policy: aws.String(pinned)})
	must(t, err)

	_, err = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("exports")})
	must(t, err)
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("exports")})
	mustCode(t, err, "NoSuchBucketPolicy")
	if b.PolicyAllows("us-east-1.elasticache-snapshot.amazonaws.com", "s3:PutObject", "arn:aws:s3:::exports/x") {
		t.Fatal("no policy allows nothing")
	}
}

func TestPolicyAllows(t *testing.T) {
	const svc = "us-east-1.memorydb-snapshot.amazonaws.com"
	const obj = "arn:aws:s3:::exports/snap-0001.rdb"
	allow := `{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::exports/*"}`
	cases := []struct {
		name   string
		policy string
		check  PolicyCheck
		want   bool
	}{
		{"allow", `{"Statement":` + allow + `}`, PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"action is case-insensitive", `{"Statement":[` + allow + `]}`, PolicyCheck{Principal: svc, Action: "S3:putobject", Resource: obj}, true},
		{"other action", `{"Statement":[` + allow + `]}`, PolicyCheck{Principal: svc, Action: "s3:GetObject", Resource: obj}, false},
		{"wrong principal", `{"Statement":[` + allow + `]}`, PolicyCheck{Principal: "us-east-1.elasticache-snapshot.amazonaws.com", Action: "s3:PutObject", Resource: obj}, false},
		{"bucket ARN is not covered by bucket/*", `{"Statement":[` + allow + `]}`, PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: "arn:aws:s3:::exports"}, false},
		{"explicit deny wins", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::exports/snap-*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, false},
		{"deny elsewhere", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::exports/private/*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"wildcard resource and action", `{"Statement":[{"Effect":"Allow","Principal":{"Service":["a.amazonaws.com","` + svc + `"]},"Action":"s3:Put*","Resource":"*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"question mark", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"s3:PutObjec?","Resource":"arn:aws:s3:::exports/snap-000?.rdb"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"principal star", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::exports/*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"principal AWS star", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::exports/*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"AWS account principal is not the service", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:PutObject","Resource":"*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, false},
		{"NotAction", `{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"s3:Delete*","Resource":"*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"NotAction excludes", `{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":["s3:PutObject"],"Resource":"*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, false},
		{"NotResource deny", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::exports/snap-*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"NotResource deny hits", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::exports/other/*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, false},
		{"NotPrincipal deny spares the service", `{"Statement":[` + allow + `,{"Effect":"Deny","NotPrincipal":{"Service":"` + svc + `"},"Action":"s3:*","Resource":"*"}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"TLS-only deny", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"SourceAccount match", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj, SourceAccount: "123456789012"}, true},
		{"SourceAccount mismatch", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj, SourceAccount: "123456789012"}, false},
		{"SourceArn ArnLike", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"s3:PutObject","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:memorydb:*:123456789012:snapshot/*"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj, SourceArn: "arn:aws:memorydb:us-east-1:123456789012:snapshot/s1"}, true},
		{"SourceArn missing", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"s3:PutObject","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:memorydb:*:123456789012:snapshot/*"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, false},
		{"IfExists with the key missing", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"s3:PutObject","Resource":"*","Condition":{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:memorydb:*"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"StringNotEquals with the key missing", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, false},
		{"StringLike", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"StringLike":{"aws:PrincipalServiceName":"*.memorydb-snapshot.amazonaws.com"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"Null", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"Null":{"aws:SourceArn":"true"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
		{"unknown operator: allow does not apply", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"10"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, false},
		{"unknown operator: deny does not apply", `{"Statement":[` + allow + `,{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`,
			PolicyCheck{Principal: svc, Action: "s3:PutObject", Resource: obj}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parsePolicy(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			ctx := map[string]string{"aws:securetransport": "true", "aws:principalservicename": tc.check.Principal}
			if tc.check.SourceAccount != "" {
				ctx["aws:sourceaccount"] = tc.check.SourceAccount
			}
			if tc.check.SourceArn != "" {
				ctx["aws:sourcearn"] = tc.check.SourceArn
			}
			got := doc.evaluate(policyRequest{Principal: tc.check.Principal, Action: tc.check.Action, Resource: tc.check.Resource, Context: ctx})
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPolicyAllowsThroughStore(t *testing.T) {
	h := newHarness(t, false)
	err := h.svc.CreateBucket("us-east-1", BucketSeed{Name: "exports", Policy: []byte(`{"Statement":[{"Effect":"Allow",
		"Principal":{"Service":"us-east-1.memorydb-snapshot.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::exports/*",
		"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`)})
	must(t, err)
	b, _ := h.svc.Bucket("exports")
	if !b.PolicyAllows("us-east-1.memorydb-snapshot.amazonaws.com", "s3:PutObject", "arn:aws:s3:::exports/a-0001.rdb") {
		t.Fatal("the service acts for the local account: aws:SourceAccount must match")
	}
	eb := b.(*Bucket)
	if eb.Evaluate(PolicyCheck{Principal: "us-east-1.memorydb-snapshot.amazonaws.com", Action: "s3:PutObject", Resource: "arn:aws:s3:::exports/a", SourceAccount: "111111111111"}) {
		t.Fatal("another account must not match")
	}
}

func TestBucketConfigurations(t *testing.T) {
	h := newHarness(t, false)
	c := h.client("us-east-1")
	h.createBucket(c, "conf")
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("conf")})
	must(t, err)
	if r := enc.ServerSideEncryptionConfiguration.Rules[0]; r.ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("default encryption %+v", r)
	}
	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("conf"), ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
			SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("alias/snap")}, BucketKeyEnabled: aws.Bool(true)}}}})
	must(t, err)
	enc, err = c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("conf")})
	must(t, err)
	if r := enc.ServerSideEncryptionConfiguration.Rules[0]; aws.ToString(r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID) != "alias/snap" || !aws.ToBool(r.BucketKeyEnabled) {
		t.Fatalf("kms encryption %+v", r)
	}
	_, err = c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String("conf")})
	must(t, err)
	enc, err = c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("conf")})
	must(t, err)
	if enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatal("delete returns to SSE-S3")
	}

	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("conf")})
	mustCode(t, err, "NoSuchLifecycleConfiguration")
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("conf"),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{ID: aws.String("expire"), Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")}, Expiration: &types.LifecycleExpiration{Days: aws.Int32(7)}}}}})
	must(t, err)
	lc, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String("conf")})
	must(t, err)
	if len(lc.Rules) != 1 || aws.ToString(lc.Rules[0].ID) != "expire" || aws.ToInt32(lc.Rules[0].Expiration.Days) != 7 {
		t.Fatalf("lifecycle %+v", lc.Rules)
	}
	_, err = c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String("conf")})
	must(t, err)

	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("conf")})
	mustCode(t, err, "NoSuchTagSet")
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("conf"), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}}})
	mustCode(t, err, "InvalidTag")
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("conf"), Tagging: &types.Tagging{TagSet: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("data")}, {Key: aws.String("app"), Value: aws.String("snapflow")}}}})
	must(t, err)
	tg, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("conf")})
	must(t, err)
	if len(tg.TagSet) != 2 || aws.ToString(tg.TagSet[0].Key) != "app" {
		t.Fatalf("tags %+v", tg.TagSet)
	}
	tr := h.svc.TaggedResources("us-east-1")
	if len(tr) != 1 || tr[0].ARN != "arn:aws:s3:::conf" || tr[0].Tags["team"] != "data" {
		t.Fatalf("tagged resources %+v", tr)
	}
	if len(h.svc.TaggedResources("eu-west-1")) != 0 {
		t.Fatal("region filter")
	}
	_, err = c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String("conf")})
	must(t, err)
	if len(h.svc.TaggedResources("us-east-1")) != 0 {
		t.Fatal("untagged bucket listed")
	}
}
