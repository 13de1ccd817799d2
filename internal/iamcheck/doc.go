// Package iamcheck proves that the AWS calls snapflow's handlers make are
// allowed by the IAM policies the synthesized stack gives them, and lists
// the permissions no call used.
//
// The pieces:
//
//   - Load reads a synthesized CloudFormation template (cdk.out) and builds,
//     for every Lambda function, the identity policy of its role: the
//     statements of the AWS::IAM::Policy resources attached to it, with the
//     intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
//     Fn::Split) resolved against an account, region and partition and the
//     names the local runner gives the stack's resources (a Resolver).
//   - Evaluate decides one request (action, resource, context) against a
//     policy the way IAM does for a single identity policy: explicit deny
//     wins, then any allow, else implicit deny; Action/NotAction,
//     Resource/NotResource with * and ? wildcards, and the condition
//     operators the stack uses.
//   - Policies.Needs maps a call the local AWS recorded (emu.Call) to the
//     authorizations IAM makes for it: the action, and every resource type
//     the Service Authorization Reference lists for the operation (the
//     source and the new snapshot of a create, the tag-on-create action, …).
//     The table is in needs.go, one sourced row per operation snapflow calls
//     (Describe prints it).
//   - Check runs every recorded call of every function through the two and
//     reports what IAM would deny, what the record does not say enough to
//     decide, and the grants no call used.
//
// In an end-to-end test on the local runner:
//
//	ps, err := iamcheck.Load(template, iamcheck.Options{Stack: r.Template.Stack})
//	...
//	rep := iamcheck.CheckWith(r.AWS().Calls(), r.FunctionOfAccessKey, ps, iamcheck.CheckOptions{Detail: detail})
//	if err := rep.Err(); err != nil {
//		t.Fatal(err) // every call IAM would deny, with the statement that came closest
//	}
//	t.Log(rep) // unverified authorizations and unused grants
//
// fnForKey may return a handler name (runner.FunctionOfAccessKey) or a
// logical ID (LogicalIDOfKey strips the sandbox number from the runner's
// "<logical ID>-<n>" keys); Policies.For knows both, and the role and state
// machine logical IDs (map the runner's "states" key to the run state
// machine's logical ID to check its sns:Publish and events:PutEvents).
//
// What the record holds. Beyond the primary resource (Resource), the local
// AWS records in emu.Call, for the operations snapflow calls:
//
//   - Resources: every ARN the call acts on, Resource first, then the new
//     ones (CreateSnapshot: arn:…:snapshot:<SnapshotName>; CopySnapshot:
//     the target snapshot, or with TargetBucket the bucket
//     arn:aws:s3:::<bucket>; Redshift Serverless CreateSnapshot: the new
//     snapshot's ARN, which ends in a generated ID);
//   - Params: the request parameters that name resources or change the
//     authorization (SnapshotName, TargetSnapshotName, TargetBucket,
//     ServerlessCacheSnapshotName, TargetServerlessCacheSnapshotName,
//     S3BucketName, KmsKeyId, …), a parameter the request lacked being
//     absent from a non-nil map;
//   - RequestTags: the Tags the request carried, empty when none, for the
//     tag-on-create authorizations, aws:RequestTag/… and aws:TagKeys;
//   - ResourceTags: the tags of the resource acted on as they were before
//     the call (a delete removes them), for aws:ResourceTag/….
//
// Check uses them, so a record of the local AWS decides every
// authorization of the table. A record without them (an older one, or a
// call the services do not detail) leaves undecided the new snapshot a
// create or copy makes (and the tag on create on it), whether a
// CopySnapshot is a copy or an export (and the export bucket), and the
// managed-tag condition on deletes: those are reported as unverified,
// never as allowed. CheckOptions.Detail supplies them; a field it gives
// wins over the record's (nil means unknown, and an empty map none).
//
// Limitations: only identity policies (no resource policies, permission
// boundaries, SCPs or session policies); policy variables (${aws:...}) are
// taken literally; Numeric, Date, IpAddress and Binary condition operators
// are not modelled (a statement using one never allows, and a Deny using
// one always applies); calls services make on the caller's behalf (KMS for
// an encrypted copy) and the state machines' Lambda and Step Functions
// integrations (run by the local runner itself) are not recorded, so their
// grants show as unobservable (DefaultUnobservable).
package iamcheck
