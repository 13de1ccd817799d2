package iamcheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

// Detail is what an exact check needs beyond a call's resource. The local
// AWS records it in emu.Call (Params, RequestTags, ResourceTags); Detail
// supplies it for records that lack it, and wins field by field over the
// record's. Each field is nil when unknown, which is not the same as
// empty: RequestTags{} says the request carried no tags.
type Detail struct {
	// Params are request parameters by their API name: SnapshotName,
	// TargetSnapshotName, TargetBucket, ServerlessCacheSnapshotName,
	// TargetServerlessCacheSnapshotName. They name the resources a call
	// creates (the record also lists their ARNs in Resources).
	Params map[string]string
	// RequestTags are the tags the request carries (Tags): they decide the
	// tag-on-create authorizations and aws:RequestTag/…, aws:TagKeys.
	RequestTags map[string]string
	// ResourceTags are the tags of the resource the call acts on, as they
	// were when it was called: aws:ResourceTag/… (the managed-tag
	// condition on deletes).
	ResourceTags map[string]string
}

// Need is one authorization IAM makes for a call: an action on a resource.
type Need struct {
	Action string // IAM action, "elasticache:CreateSnapshot"
	// Resource is the ARN the action is authorized on, "*" for an action
	// without resource-level permissions, or "" when the record does not
	// say (then AnyOf and Gap are set).
	Resource string
	// AnyOf is the resource type's ARN pattern when Resource is unknown:
	// any resource matching it could be the one.
	AnyOf string
	// Gap says what the record lacks to know the resource, or whether the
	// authorization is needed at all.
	Gap string
	// Maybe is set when the record does not say whether the authorization
	// is needed (whether the request carried Tags, or a TargetBucket): a
	// denial of it is reported as unverified, not denied.
	Maybe bool
	// For says what the authorization is for (the source, the new
	// snapshot, tags on create, the export bucket, …).
	For string
	// Context is the request context known for the authorization.
	Context map[string]string
	Multi   map[string][]string
	// Source is the documentation the authorization comes from.
	Source string
	// Unmapped is set when the operation is not in the table: the need is
	// the obvious "<prefix>:<Operation>" on the recorded resource, unsourced.
	Unmapped bool
}

// Sources of the table. The Service Authorization Reference rows were read
// from iann0036/iam-dataset (aws/iam_definition.json, commit 08eff2d7ff),
// a machine copy of the reference's pages; the column quoted is "Resource
// types (*required)" and "Dependent actions".
const (
	sarElastiCache = "Service Authorization Reference, Amazon ElastiCache (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticache.html)"
	sarMemoryDB    = "Service Authorization Reference, Amazon MemoryDB (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmemorydb.html)"
	sarRedshiftSL  = "Service Authorization Reference, Amazon Redshift Serverless (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftserverless.html)"
	sarTagging     = "Service Authorization Reference, Resource Groups Tagging API: tag:GetResources has no resource types (Resource \"*\")"
	s3Perms        = "Amazon S3 API Reference, the operation's \"Permissions\" section (ListObjectsV2: \"You must have permission to perform the s3:ListBucket action\"; HeadObject: \"To use HEAD, you must have the s3:GetObject permission\"; the others: the action of the operation's name) and the Service Authorization Reference for Amazon S3 (resource types bucket, object)"
	ecExportPerms  = "ElastiCache User Guide, \"ElastiCache API permissions: actions, resources, and conditions reference\" (IAM.APIReference): CopySnapshot requires elasticache:CopySnapshot, s3:GetBucketLocation and s3:ListAllMyBuckets"
	mdbExportPerms = "MemoryDB Developer Guide, \"MemoryDB API permissions: Actions, resources, and conditions reference\" (iam.APIReference): CopySnapshot requires memorydb:CopySnapshot and memorydb:TagResource on the snapshot (source, target), s3:GetBucketLocation and s3:ListAllMyBuckets on *"
	snsEvents      = "Service Authorization Reference: sns:Publish on topic*, events:PutEvents on event-bus*"
)

// from is where an authorization's resource comes from.
type from int

const (
	// fromRecord: the recorded resource (emu.Call.Resource) when it is of
	// the type; a call that names none of the type (a list, or one
	// filtered by another resource, e.g. DescribeSnapshots with a
	// ReplicationGroupId) is authorized on the whole type: it is checked
	// against the type-wide ARN ("…:snapshot:*"), which only a grant
	// covering every resource of the type allows.
	fromRecord from = iota
	// fromParam: the resource a request parameter names (Detail.Params,
	// else the record's), or else the recorded resource of the type among
	// the call's Resources other than its primary one.
	fromParam
	// fromGenerated: a new resource whose ARN ends in an ID the service
	// generates (Redshift Serverless snapshots): the caller cannot know it,
	// so only a grant on the whole type can allow it: the type-wide ARN,
	// or the new resource's ARN when the record lists it in Resources.
	fromGenerated
	// fromNone: the action has no resource-level permissions: "*".
	fromNone
	// fromBucket: the S3 bucket the TargetBucket parameter names.
	fromBucket
)

// when is the request shape an authorization applies to: a set of
// conditions, all of which must hold.
type when int

const (
	always        when = 0
	withTags      when = 1 << iota // the request carries Tags (tag on create)
	withBucket                     // CopySnapshot with TargetBucket: an export to S3
	withoutBucket                  // CopySnapshot without TargetBucket: a new snapshot
)

// auth is one authorization of an operation.
type auth struct {
	action string
	// types are the resource types it is authorized on; the recorded
	// resource is used when it is of one of them. "any" takes the
	// recorded resource whatever its type (tagging operations, whose
	// resource types are all optional).
	types []string
	from  from
	param string // the request parameter naming the resource (fromParam)
	when  when
	what  string // what it is for, for messages
}

// op is one API operation snapflow's handlers call (internal/snapshot/*
// adapters and internal/steps), as the local AWS records it (signing name,
// operation name), and the authorizations IAM makes for it.
type op struct {
	auths  []auth
	source string
}

// ops is the table. Each row follows the operation's resource types in the
// Service Authorization Reference; where the reference marks several types
// required (*), each is an authorization of its own. Optional types are
// checked only where the call names a resource of that type (the source of
// a create); a list call filtered by an optional type (e.g.
// DescribeServerlessCacheSnapshots with ServerlessCacheName) is checked on
// its required type only.
var ops = map[string]op{
	// --- ElastiCache (signing name and IAM prefix elasticache) ---
	"elasticache DescribeReplicationGroups": {
		auths:  []auth{{action: "elasticache:DescribeReplicationGroups", types: []string{"replicationgroup"}}},
		source: sarElastiCache + ": DescribeReplicationGroups, replicationgroup*",
	},
	"elasticache DescribeCacheClusters": {
		auths:  []auth{{action: "elasticache:DescribeCacheClusters", types: []string{"cluster"}}},
		source: sarElastiCache + ": DescribeCacheClusters, cluster*",
	},
	"elasticache DescribeServerlessCaches": {
		auths:  []auth{{action: "elasticache:DescribeServerlessCaches", types: []string{"serverlesscache"}}},
		source: sarElastiCache + ": DescribeServerlessCaches, serverlesscache*",
	},
	"elasticache CreateSnapshot": {
		auths: []auth{
			{action: "elasticache:CreateSnapshot", types: []string{"replicationgroup", "cluster"}, what: "the source"},
			{action: "elasticache:CreateSnapshot", types: []string{"snapshot"}, from: fromParam, param: "SnapshotName", what: "the new snapshot"},
			{action: "elasticache:AddTagsToResource", types: []string{"snapshot"}, from: fromParam, param: "SnapshotName", when: withTags, what: "tags on create"},
		},
		source: sarElastiCache + ": CreateSnapshot, cluster, replicationgroup, snapshot*; dependent action elasticache:AddTagsToResource",
	},
	"elasticache CreateServerlessCacheSnapshot": {
		auths: []auth{
			{action: "elasticache:CreateServerlessCacheSnapshot", types: []string{"serverlesscache"}, what: "the source"},
			{action: "elasticache:CreateServerlessCacheSnapshot", types: []string{"serverlesscachesnapshot"}, from: fromParam, param: "ServerlessCacheSnapshotName", what: "the new snapshot"},
			{action: "elasticache:AddTagsToResource", types: []string{"serverlesscachesnapshot"}, from: fromParam, param: "ServerlessCacheSnapshotName", when: withTags, what: "tags on create"},
		},
		source: sarElastiCache + ": CreateServerlessCacheSnapshot, serverlesscache*, serverlesscachesnapshot*; dependent action elasticache:AddTagsToResource",
	},
	"elasticache DescribeSnapshots": {
		auths:  []auth{{action: "elasticache:DescribeSnapshots", types: []string{"snapshot"}}},
		source: sarElastiCache + ": DescribeSnapshots, snapshot*",
	},
	"elasticache DescribeServerlessCacheSnapshots": {
		auths:  []auth{{action: "elasticache:DescribeServerlessCacheSnapshots", types: []string{"serverlesscachesnapshot"}}},
		source: sarElastiCache + ": DescribeServerlessCacheSnapshots, serverlesscache, serverlesscachesnapshot*",
	},
	"elasticache ListTagsForResource": {
		auths:  []auth{{action: "elasticache:ListTagsForResource", types: []string{"any"}}},
		source: sarElastiCache + ": ListTagsForResource, every taggable type (optional): the resource named by ResourceName",
	},
	"elasticache AddTagsToResource": {
		auths:  []auth{{action: "elasticache:AddTagsToResource", types: []string{"any"}}},
		source: sarElastiCache + ": AddTagsToResource, every taggable type (optional): the resource named by ResourceName",
	},
	"elasticache CopySnapshot": {
		auths: []auth{
			{action: "elasticache:CopySnapshot", types: []string{"snapshot"}, what: "the source"},
			{action: "elasticache:CopySnapshot", types: []string{"snapshot"}, from: fromParam, param: "TargetSnapshotName", when: withoutBucket, what: "the new copy"},
			{action: "elasticache:AddTagsToResource", types: []string{"snapshot"}, from: fromParam, param: "TargetSnapshotName", when: withTags | withoutBucket, what: "tags on the copy"},
			{action: "s3:GetBucketLocation", types: []string{"bucket"}, from: fromBucket, when: withBucket, what: "the export bucket"},
			{action: "s3:ListAllMyBuckets", from: fromNone, when: withBucket, what: "the export bucket"},
		},
		source: sarElastiCache + ": CopySnapshot, snapshot*; dependent action elasticache:AddTagsToResource (the reference's operations table: CopySnapshot authorizes elasticache:CopySnapshot and elasticache:AddTagsToResource); with TargetBucket: " + ecExportPerms,
	},
	"elasticache CopyServerlessCacheSnapshot": {
		auths: []auth{
			{action: "elasticache:CopyServerlessCacheSnapshot", types: []string{"serverlesscachesnapshot"}, what: "the source"},
			{action: "elasticache:CopyServerlessCacheSnapshot", types: []string{"serverlesscachesnapshot"}, from: fromParam, param: "TargetServerlessCacheSnapshotName", what: "the new copy"},
			{action: "elasticache:AddTagsToResource", types: []string{"serverlesscachesnapshot"}, from: fromParam, param: "TargetServerlessCacheSnapshotName", when: withTags, what: "tags on the copy"},
		},
		source: sarElastiCache + ": CopyServerlessCacheSnapshot, serverlesscachesnapshot*; dependent action elasticache:AddTagsToResource",
	},
	"elasticache ExportServerlessCacheSnapshot": {
		auths:  []auth{{action: "elasticache:ExportServerlessCacheSnapshot", types: []string{"serverlesscachesnapshot"}, what: "the exported snapshot"}},
		source: sarElastiCache + ": ExportServerlessCacheSnapshot, serverlesscachesnapshot* (no dependent actions)",
	},
	"elasticache DeleteSnapshot": {
		auths:  []auth{{action: "elasticache:DeleteSnapshot", types: []string{"snapshot"}}},
		source: sarElastiCache + ": DeleteSnapshot, snapshot* (condition keys include aws:ResourceTag/${TagKey})",
	},
	"elasticache DeleteServerlessCacheSnapshot": {
		auths:  []auth{{action: "elasticache:DeleteServerlessCacheSnapshot", types: []string{"serverlesscachesnapshot"}}},
		source: sarElastiCache + ": DeleteServerlessCacheSnapshot, serverlesscachesnapshot* (condition keys include aws:ResourceTag/${TagKey})",
	},

	// --- MemoryDB (memorydb) ---
	"memorydb DescribeClusters": {
		auths:  []auth{{action: "memorydb:DescribeClusters", types: []string{"cluster"}}},
		source: sarMemoryDB + ": DescribeClusters, cluster*",
	},
	"memorydb CreateSnapshot": {
		auths: []auth{
			{action: "memorydb:CreateSnapshot", types: []string{"cluster"}, what: "the source"},
			{action: "memorydb:TagResource", types: []string{"snapshot"}, from: fromParam, param: "SnapshotName", when: withTags, what: "tags on create"},
		},
		source: sarMemoryDB + ": CreateSnapshot, cluster* (no snapshot resource type); dependent action memorydb:TagResource",
	},
	"memorydb DescribeSnapshots": {
		auths:  []auth{{action: "memorydb:DescribeSnapshots", types: []string{"snapshot"}}},
		source: sarMemoryDB + ": DescribeSnapshots, snapshot*",
	},
	"memorydb ListTags": {
		auths:  []auth{{action: "memorydb:ListTags", types: []string{"any"}}},
		source: sarMemoryDB + ": ListTags, acl, cluster, parametergroup, snapshot, subnetgroup, user (optional): the resource named by ResourceArn",
	},
	"memorydb TagResource": {
		auths:  []auth{{action: "memorydb:TagResource", types: []string{"any"}}},
		source: sarMemoryDB + ": TagResource, acl, cluster, parametergroup, reservednode, snapshot, subnetgroup, user (optional): the resource named by ResourceArn",
	},
	"memorydb CopySnapshot": {
		auths: []auth{
			{action: "memorydb:CopySnapshot", types: []string{"snapshot"}, what: "the source"},
			{action: "memorydb:CopySnapshot", types: []string{"snapshot"}, from: fromParam, param: "TargetSnapshotName", when: withoutBucket, what: "the new copy"},
			{action: "memorydb:TagResource", types: []string{"snapshot"}, from: fromParam, param: "TargetSnapshotName", when: withTags | withoutBucket, what: "tags on the copy"},
			{action: "s3:GetBucketLocation", types: []string{"bucket"}, from: fromBucket, when: withBucket, what: "the export bucket"},
			{action: "s3:ListAllMyBuckets", from: fromNone, when: withBucket, what: "the export bucket"},
		},
		source: sarMemoryDB + ": CopySnapshot, snapshot*; dependent action memorydb:TagResource; with TargetBucket: " + mdbExportPerms,
	},
	"memorydb DeleteSnapshot": {
		auths:  []auth{{action: "memorydb:DeleteSnapshot", types: []string{"snapshot"}}},
		source: sarMemoryDB + ": DeleteSnapshot, snapshot* (condition key aws:ResourceTag/${TagKey})",
	},

	// --- Redshift Serverless (redshift-serverless) ---
	"redshift-serverless GetNamespace": {
		auths:  []auth{{action: "redshift-serverless:GetNamespace", types: []string{"namespace"}}},
		source: sarRedshiftSL + ": GetNamespace, namespace*",
	},
	"redshift-serverless ListNamespaces": {
		auths:  []auth{{action: "redshift-serverless:ListNamespaces", from: fromNone}},
		source: sarRedshiftSL + ": ListNamespaces, no resource types (Resource \"*\")",
	},
	"redshift-serverless CreateSnapshot": {
		auths: []auth{
			{action: "redshift-serverless:CreateSnapshot", types: []string{"namespace"}, what: "the source"},
			{action: "redshift-serverless:CreateSnapshot", types: []string{"snapshot"}, from: fromGenerated, what: "the new snapshot"},
			{action: "redshift-serverless:TagResource", types: []string{"snapshot"}, from: fromGenerated, when: withTags, what: "tags on create"},
		},
		source: sarRedshiftSL + ": CreateSnapshot, namespace*, snapshot*; dependent action redshift-serverless:TagResource",
	},
	"redshift-serverless GetSnapshot": {
		auths:  []auth{{action: "redshift-serverless:GetSnapshot", types: []string{"snapshot"}}},
		source: sarRedshiftSL + ": GetSnapshot, snapshot*",
	},
	"redshift-serverless ListSnapshots": {
		auths:  []auth{{action: "redshift-serverless:ListSnapshots", types: []string{"snapshot"}}},
		source: sarRedshiftSL + ": ListSnapshots, snapshot*",
	},
	"redshift-serverless ListTagsForResource": {
		auths:  []auth{{action: "redshift-serverless:ListTagsForResource", types: []string{"any"}}},
		source: sarRedshiftSL + ": ListTagsForResource, namespace, workgroup (optional; snapflow lists a snapshot's tags: checked on the resourceArn it names)",
	},
	"redshift-serverless TagResource": {
		auths:  []auth{{action: "redshift-serverless:TagResource", types: []string{"any"}}},
		source: sarRedshiftSL + ": TagResource, namespace, recoveryPoint, snapshot, workgroup (optional): the resource named by resourceArn",
	},
	"redshift-serverless DeleteSnapshot": {
		auths:  []auth{{action: "redshift-serverless:DeleteSnapshot", types: []string{"snapshot"}}},
		source: sarRedshiftSL + ": DeleteSnapshot, snapshot* (condition key aws:ResourceTag/${TagKey})",
	},

	// --- Resource Groups Tagging API (signing name tagging, prefix tag) ---
	"tagging GetResources": {
		auths:  []auth{{action: "tag:GetResources", from: fromNone}},
		source: sarTagging,
	},

	// --- S3: the IAM action is not always the operation's name ---
	"s3 ListObjectsV2": {auths: []auth{{action: "s3:ListBucket", types: []string{"bucket"}}}, source: s3Perms + "; bucket*"},
	"s3 ListObjects":   {auths: []auth{{action: "s3:ListBucket", types: []string{"bucket"}}}, source: s3Perms + "; bucket*"},
	"s3 HeadBucket":    {auths: []auth{{action: "s3:ListBucket", types: []string{"bucket"}}}, source: "Amazon S3 API Reference, HeadBucket, Permissions: s3:ListBucket on the bucket"},
	"s3 HeadObject":    {auths: []auth{{action: "s3:GetObject", types: []string{"object"}}}, source: s3Perms + "; object*"},
	"s3 GetObject":     {auths: []auth{{action: "s3:GetObject", types: []string{"object"}}}, source: s3Perms + "; object*"},
	"s3 PutObject":     {auths: []auth{{action: "s3:PutObject", types: []string{"object"}}}, source: s3Perms + "; object*"},
	"s3 GetBucketLocation": {
		auths: []auth{{action: "s3:GetBucketLocation", types: []string{"bucket"}}}, source: s3Perms + "; bucket*",
	},
	"s3 GetBucketAcl":    {auths: []auth{{action: "s3:GetBucketAcl", types: []string{"bucket"}}}, source: s3Perms + "; bucket*"},
	"s3 GetBucketPolicy": {auths: []auth{{action: "s3:GetBucketPolicy", types: []string{"bucket"}}}, source: s3Perms + "; bucket*"},
	"s3 ListBuckets":     {auths: []auth{{action: "s3:ListAllMyBuckets", from: fromNone}}, source: s3Perms + "; ListBuckets needs s3:ListAllMyBuckets, no resource types"},

	// --- The run state machine's direct integrations ---
	"sns Publish":      {auths: []auth{{action: "sns:Publish", types: []string{"topic"}}}, source: snsEvents},
	"events PutEvents": {auths: []auth{{action: "events:PutEvents", types: []string{"event-bus"}}}, source: snsEvents},
}

// prefixes are the IAM service prefixes of the local AWS's signing names.
var prefixes = map[string]string{
	"elasticache": "elasticache", "memorydb": "memorydb", "redshift-serverless": "redshift-serverless",
	"s3": "s3", "tagging": "tag", "sns": "sns", "events": "events",
}

// arnTypes are the resource types' ARN forms, service → type → what the
// ARN's resource part starts with (Service Authorization Reference,
// "Resource types defined by …").
var arnTypes = map[string]map[string]string{
	"elasticache": {"cluster": "cluster:", "replicationgroup": "replicationgroup:", "snapshot": "snapshot:",
		"serverlesscache": "serverlesscache:", "serverlesscachesnapshot": "serverlesscachesnapshot:"},
	"memorydb":            {"cluster": "cluster/", "snapshot": "snapshot/"},
	"redshift-serverless": {"namespace": "namespace/", "snapshot": "snapshot/", "workgroup": "workgroup/"},
	"events":              {"event-bus": "event-bus/", "rule": "rule/"},
	"kms":                 {"key": "key/", "alias": "alias/"},
	"sns":                 {"topic": ""},
	"s3":                  {"bucket": "", "object": ""},
}

// idKeyed are the types whose ARN ends in a generated ID rather than the
// name the API takes (Redshift Serverless: namespace/${NamespaceId},
// snapshot/${SnapshotId}).
var idKeyed = map[string]bool{"redshift-serverless namespace": true, "redshift-serverless snapshot": true}

// lowerNames are the services that store names in lower case (ElastiCache
// CreateSnapshot and MemoryDB CreateSnapshot, SnapshotName: "This value is
// stored as a lowercase string").
var lowerNames = map[string]bool{"elasticache": true, "memorydb": true}

// typeOf returns the service and resource type of an ARN ("" when it is
// not one).
func typeOf(arn string) (service, typ string) {
	p, ok := emu.ParseARN(arn)
	if !ok {
		return "", ""
	}
	switch p.Service {
	case "s3":
		if strings.Contains(p.Resource, "/") {
			return "s3", "object"
		}
		return "s3", "bucket"
	case "sns":
		return "sns", "topic"
	}
	best := ""
	for t, prefix := range arnTypes[p.Service] {
		if prefix != "" && strings.HasPrefix(p.Resource, prefix) && len(prefix) > len(arnTypes[p.Service][best]) {
			best = t
		}
	}
	return p.Service, best
}

// typeARN is the ARN of a resource of a type named name ("*" for the
// type-wide pattern).
func typeARN(partition, service, typ, region, account, name string) string {
	if service == "s3" {
		return "arn:" + partition + ":s3:::" + name
	}
	return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + arnTypes[service][typ] + name
}

// where is the partition, region and account ARNs are built in.
type where struct{ partition, region, account string }

// Needs returns the authorizations IAM makes for a recorded call, from the
// table (ops), with ARNs in the policies' partition and account and the
// call's region; d supplies what the record lacks (nil fields: unknown).
func (ps *Policies) Needs(c emu.Call, d Detail) []Need {
	return needs(c, d, where{ps.Partition, ps.Region, ps.Account})
}

func needs(c emu.Call, d Detail, w where) []Need {
	d = withRecord(c, d)
	if w.partition == "" {
		w.partition = "aws"
	}
	if c.Region != "" {
		w.region = c.Region
	}
	row, ok := ops[c.Service+" "+c.Action]
	if !ok {
		return []Need{unmapped(c, d, w)}
	}
	var out []Need
	for _, a := range row.auths {
		n := Need{Action: a.action, For: a.what, Source: row.source}
		if n.For == "" {
			n.For = "the resource acted on"
		}
		// Whether the authorization applies at all.
		if a.when&withTags != 0 {
			switch {
			case d.RequestTags == nil:
				n.Maybe = true
				n.Gap = "the record does not say whether the request carried Tags (snapflow's creates and copies always do)"
			case len(d.RequestTags) == 0:
				continue
			}
		}
		if a.when&(withBucket|withoutBucket) != 0 {
			if d.Params == nil {
				n.Maybe = true
				n.Gap = join(n.Gap, "the record does not say whether CopySnapshot had a TargetBucket (an export) or not (a copy)")
			} else if (d.Params["TargetBucket"] != "") != (a.when&withBucket != 0) {
				continue
			}
		}
		// The resource.
		svc := strings.SplitN(a.action, ":", 2)[0]
		typ := ""
		if len(a.types) > 0 {
			typ = a.types[0]
		}
		switch a.from {
		case fromNone:
			n.Resource = "*"
		case fromRecord:
			n.Resource = recorded(c, a.types, svc, w)
		case fromGenerated:
			if arn := made(c, svc, typ); arn != "" {
				n.Resource = arn
				break
			}
			n.Resource = typeARN(w.partition, svc, typ, w.region, w.account, "*")
			n.For += " (its ARN ends in a generated ID: only a grant on every " + typ + " can allow it)"
		case fromParam:
			name := d.Params[a.param]
			if name == "" {
				if arn := made(c, svc, typ); arn != "" {
					n.Resource = arn
					break
				}
				n.AnyOf = typeARN(w.partition, svc, typ, w.region, w.account, "*")
				n.Gap = join(n.Gap, "the record does not hold "+a.param+", which names "+a.what)
				break
			}
			if lowerNames[svc] {
				name = strings.ToLower(name)
			}
			n.Resource = typeARN(w.partition, svc, typ, w.region, w.account, name)
		case fromBucket:
			if b := d.Params["TargetBucket"]; b != "" {
				n.Resource = typeARN(w.partition, "s3", "bucket", "", "", b)
			} else if arn := made(c, "s3", "bucket"); arn != "" {
				n.Resource = arn
			} else {
				n.AnyOf = "arn:" + w.partition + ":s3:::*"
				n.Gap = join(n.Gap, "the record does not hold TargetBucket")
			}
		}
		n.Context, n.Multi = context(d)
		out = append(out, n)
	}
	return out
}

// withRecord is d with what the call's record holds where d says nothing
// (a nil field): Detail, when given, wins field by field.
func withRecord(c emu.Call, d Detail) Detail {
	if d.Params == nil {
		d.Params = c.Params
	}
	if d.RequestTags == nil {
		d.RequestTags = c.RequestTags
	}
	if d.ResourceTags == nil {
		d.ResourceTags = c.ResourceTags
	}
	return d
}

// made is the ARN of the given service and type among the resources the
// record says the call acts on besides its primary one (the snapshot a
// create or copy makes, the bucket of an export), "" when it names none.
func made(c emu.Call, service, typ string) string {
	for _, r := range c.Resources {
		if r == c.Resource {
			continue
		}
		if svc, t := typeOf(r); svc == service && t == typ {
			return r
		}
	}
	return ""
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// recorded is the resource of a fromRecord authorization: the recorded ARN
// when it is of one of the types (or any type), a name made into an ARN,
// else the type-wide ARN.
func recorded(c emu.Call, types []string, service string, w where) string {
	r := c.Resource
	if r == "" {
		return typeARN(w.partition, service, types[0], w.region, w.account, "*")
	}
	if svc, typ := typeOf(r); svc != "" {
		for _, t := range types {
			if t == "any" || t == typ {
				return r
			}
		}
		return typeARN(w.partition, service, types[0], w.region, w.account, "*")
	}
	// A bare name: the emulator records the name when the resource does
	// not exist (yet). A name-keyed type makes it an ARN; an ID-keyed one
	// cannot, and is checked on the whole type.
	t := types[0]
	if t == "any" || idKeyed[service+" "+t] {
		if t == "any" {
			return r
		}
		return typeARN(w.partition, service, t, w.region, w.account, "*")
	}
	if lowerNames[service] {
		r = strings.ToLower(r)
	}
	return typeARN(w.partition, service, t, w.region, w.account, r)
}

// context is the request context Detail gives: aws:ResourceTag/<key> for
// the resource's tags, aws:RequestTag/<key> and aws:TagKeys for the
// request's.
func context(d Detail) (map[string]string, map[string][]string) {
	ctx := map[string]string{}
	var multi map[string][]string
	for k, v := range d.ResourceTags {
		ctx["aws:ResourceTag/"+k] = v
	}
	if d.RequestTags != nil {
		keys := make([]string, 0, len(d.RequestTags))
		for k, v := range d.RequestTags {
			ctx["aws:RequestTag/"+k] = v
			keys = append(keys, k)
		}
		sort.Strings(keys)
		multi = map[string][]string{"aws:TagKeys": keys}
	}
	return ctx, multi
}

func prefixOf(service string) string {
	if p, ok := prefixes[service]; ok {
		return p
	}
	return service
}

// unmapped is the need of an operation the table does not have: the
// obvious "<prefix>:<Operation>" on the recorded resource ("*" when none).
func unmapped(c emu.Call, d Detail, w where) Need {
	n := Need{Action: prefixOf(c.Service) + ":" + c.Action, Resource: c.Resource, Unmapped: true,
		For: "the resource acted on", Source: "not in the table (needs.go): unsourced"}
	if n.Resource == "" {
		n.Resource = "*"
	}
	n.Context, n.Multi = context(d)
	return n
}

// ActionTypes returns, for every IAM action the table knows, the resource
// types it is authorized on ("" for none): Check uses it to tell a grant
// that can never apply (an action on a type it is not authorized on) from
// one no call happened to use.
func ActionTypes() map[string][]string {
	out := map[string][]string{}
	for _, row := range ops {
		for _, a := range row.auths {
			list := out[a.action]
			types := a.types
			if len(types) == 0 {
				types = []string{""}
			}
			for _, t := range types {
				found := false
				for _, x := range list {
					found = found || x == t
				}
				if !found {
					list = append(list, t)
				}
			}
			out[a.action] = list
		}
	}
	return out
}

// Describe prints the table: one line per operation with its
// authorizations and source.
func Describe() string {
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		row := ops[k]
		var parts []string
		for _, a := range row.auths {
			res := strings.Join(a.types, "|")
			switch a.from {
			case fromNone:
				res = "*"
			case fromParam:
				res += " named by " + a.param
			case fromGenerated:
				res += " (new, generated ID)"
			case fromBucket:
				res = "bucket named by TargetBucket"
			}
			cond := ""
			if a.when&withTags != 0 {
				cond += " if Tags"
			}
			if a.when&withBucket != 0 {
				cond += " if TargetBucket"
			}
			if a.when&withoutBucket != 0 {
				cond += " unless TargetBucket"
			}
			parts = append(parts, fmt.Sprintf("%s on %s%s", a.action, res, cond))
		}
		fmt.Fprintf(&b, "%s → %s\n    source: %s\n", k, strings.Join(parts, "; "), row.source)
	}
	return b.String()
}
