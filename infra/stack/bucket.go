package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapflow/snapflow/internal/config"
)

// ElastiCacheCanonicalUser is the canonical user ElastiCache exports with in
// the AWS Regions enabled by default ("Exporting a backup", step "Grant
// ElastiCache access to your S3 bucket in a default Region", ElastiCache
// User Guide). Opt-in regions use the bucket policy for
// <region>.elasticache-snapshot.amazonaws.com instead; the stack sets both.
const ElastiCacheCanonicalUser = "540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353"

// snapshotServiceActions are what the ElastiCache and MemoryDB export guides
// grant their snapshot service principals on the bucket and its objects.
var snapshotServiceActions = []string{
	"s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:GetBucketAcl",
	"s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads",
}

// ExportBucketProps configures NewExportBucket.
type ExportBucketProps struct {
	Config       *config.ExportBucket
	LogRetention awslogs.RetentionDays
}

// ExportBucket is where snapshots are exported: created with everything
// ElastiCache and MemoryDB need, or an existing bucket the stack only
// references.
type ExportBucket struct {
	constructs.Construct
	Bucket awss3.IBucket
	// Name is the bucket's name (known at synth: policies name it).
	Name string
	// Key is the SSE-KMS key of a created bucket with encryption: kms.
	Key awskms.IKey
	// Created reports whether the stack manages the bucket.
	Created bool
}

// NewExportBucket makes the export bucket.
func NewExportBucket(scope constructs.Construct, id string, props *ExportBucketProps) *ExportBucket {
	c := constructs.NewConstruct(scope, jsii.String(id))
	cfg := props.Config
	b := &ExportBucket{Construct: c, Name: cfg.BucketName(), Created: cfg.Create}
	if !cfg.Create {
		b.Bucket = awss3.Bucket_FromBucketName(c, jsii.String("Existing"), jsii.String(cfg.ExistingBucketName))
		return b
	}
	stack := awscdk.Stack_Of(c)

	logs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration: awscdk.Duration_Days(jsii.Number(365)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	props3 := &awss3.BucketProps{
		BucketName:        jsii.String(cfg.Name),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(cfg.IsVersioned()),
		// ElastiCache writes exports through an ACL grant to its canonical
		// user, which needs ACLs enabled; "ACLs enabled – Bucket owner
		// preferred" is what the MemoryDB export guide asks for, and it makes
		// the bucket owner own objects written with
		// bucket-owner-full-control.
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_PREFERRED,
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("export-bucket/"),
		RemovalPolicy:          awscdk.RemovalPolicy_RETAIN,
		LifecycleRules:         lifecycle(cfg),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
	}
	if cfg.Encryption == config.EncryptionKMS {
		key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
			Description:       jsii.String("snapflow export bucket " + cfg.Name),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		})
		// MemoryDB writes through its snapshot service principal, which
		// then needs the key (config rejects ElastiCache exports to a KMS
		// bucket: ElastiCache documents SSE-S3 only for .rdb files).
		key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("MemoryDBSnapshotExport"),
			Principals: &[]awsiam.IPrincipal{snapshotPrincipal(stack, "memorydb")},
			Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
		}), nil)
		props3.Encryption = awss3.BucketEncryption_KMS
		props3.EncryptionKey = key
		props3.BucketKeyEnabled = jsii.Bool(true)
		b.Key = key
	}
	bucket := awss3.NewBucket(c, jsii.String("Bucket"), props3)
	b.Bucket = bucket

	// The snapshot service principals of the region, as the ElastiCache
	// (opt-in regions) and MemoryDB export guides grant them, limited to
	// this account's snapshots (confused deputy).
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("SnapshotServicesExport"),
		Principals: &[]awsiam.IPrincipal{snapshotPrincipal(stack, "elasticache"), snapshotPrincipal(stack, "memorydb")},
		Actions:    jsii.Strings(snapshotServiceActions...),
		Resources:  &[]*string{bucket.BucketArn(), bucket.ArnForObjects(jsii.String("*"))},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
	}))

	b.grantElastiCacheACL(c, bucket, props.LogRetention)
	return b
}

func lifecycle(cfg *config.ExportBucket) *[]*awss3.LifecycleRule {
	rule := &awss3.LifecycleRule{
		Id:                                  jsii.String("snapflow"),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
	}
	if cfg.ExpirationDays > 0 {
		rule.Expiration = awscdk.Duration_Days(jsii.Number(float64(cfg.ExpirationDays)))
	}
	if cfg.NoncurrentVersionExpirationDays > 0 && cfg.IsVersioned() {
		rule.NoncurrentVersionExpiration = awscdk.Duration_Days(jsii.Number(float64(cfg.NoncurrentVersionExpirationDays)))
	}
	return &[]*awss3.LifecycleRule{rule}
}

// snapshotPrincipal is "<region>.<service>-snapshot.amazonaws.com".
func snapshotPrincipal(stack awscdk.Stack, service string) awsiam.IPrincipal {
	return awsiam.NewServicePrincipal(jsii.String(*stack.Region()+"."+service+"-snapshot.amazonaws.com"), nil)
}

// grantElastiCacheACL grants ElastiCache's canonical user READ, WRITE and
// READ_ACP on the bucket ("List objects", "Write objects", "Read bucket
// permissions" in the export guide). CloudFormation's AccessControl takes
// only canned ACLs, none of which names another canonical user, so a custom
// resource calls PutBucketAcl. A PutBucketAcl replaces the whole ACL, so the
// owner's FULL_CONTROL grant is written again: a first call reads the
// owner's canonical ID with GetBucketAcl. On delete the ACL goes back to
// the canned "private" (the bucket itself is retained).
func (b *ExportBucket) grantElastiCacheACL(c constructs.Construct, bucket awss3.Bucket, retention awslogs.RetentionDays) {
	logs := awslogs.NewLogGroup(c, jsii.String("AclLogs"), &awslogs.LogGroupProps{Retention: retention})
	owner := customresources.NewAwsCustomResource(c, jsii.String("BucketOwner"), &customresources.AwsCustomResourceProps{
		OnUpdate: &customresources.AwsSdkCall{
			Service:            jsii.String("S3"),
			Action:             jsii.String("getBucketAcl"),
			Parameters:         map[string]any{"Bucket": bucket.BucketName()},
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String(b.Name + "-owner")),
			OutputPaths:        jsii.Strings("Owner.ID"),
		},
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			allow("ReadBucketAcl", []string{"s3:GetBucketAcl"}, []string{*bucket.BucketArn()}),
		}),
		InstallLatestAwsSdk: jsii.Bool(false),
		LogGroup:            logs,
	})
	ownerID := owner.GetResponseField(jsii.String("Owner.ID"))
	grant := "id=" + ElastiCacheCanonicalUser
	acl := customresources.NewAwsCustomResource(c, jsii.String("ElastiCacheAcl"), &customresources.AwsCustomResourceProps{
		OnUpdate: &customresources.AwsSdkCall{
			Service: jsii.String("S3"),
			Action:  jsii.String("putBucketAcl"),
			Parameters: map[string]any{
				"Bucket":           bucket.BucketName(),
				"GrantFullControl": jsii.String("id=" + *ownerID),
				"GrantRead":        jsii.String(grant),
				"GrantWrite":       jsii.String(grant),
				"GrantReadACP":     jsii.String(grant),
			},
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String(b.Name + "-elasticache-acl")),
		},
		OnDelete: &customresources.AwsSdkCall{
			Service:                  jsii.String("S3"),
			Action:                   jsii.String("putBucketAcl"),
			Parameters:               map[string]any{"Bucket": bucket.BucketName(), "ACL": "private"},
			IgnoreErrorCodesMatching: jsii.String("NoSuchBucket"),
		},
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			allow("WriteBucketAcl", []string{"s3:PutBucketAcl"}, []string{*bucket.BucketArn()}),
		}),
		InstallLatestAwsSdk: jsii.Bool(false),
		LogGroup:            logs,
	})
	acl.Node().AddDependency(owner)
	// Object Ownership must allow ACLs before the grant is written.
	acl.Node().AddDependency(bucket)
}
