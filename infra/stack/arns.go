package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// arns builds the ARNs the function roles are scoped to: in the stack's
// account, in the stack's region and every region an explicit target names.
type arns struct {
	partition, account string
	regions            []string
}

func newARNs(stack awscdk.Stack, targetRegions []string) arns {
	regions := []string{*stack.Region()}
	for _, r := range targetRegions {
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	return arns{partition: *stack.Partition(), account: *stack.Account(), regions: regions}
}

// of returns service ARNs of resource (the part after the account, e.g.
// "snapshot:sf-*") in every region.
func (a arns) of(service string, resources ...string) []string {
	var out []string
	for _, r := range a.regions {
		for _, res := range resources {
			out = append(out, "arn:"+a.partition+":"+service+":"+r+":"+a.account+":"+res)
		}
	}
	return out
}

// named returns the ARNs of resources of type typ (with sep between type and
// name) whose names start with one of prefixes and a hyphen.
func (a arns) named(service, typ, sep string, prefixes []string) []string {
	res := make([]string, len(prefixes))
	for i, p := range prefixes {
		res[i] = typ + sep + p + "-*"
	}
	return a.of(service, res...)
}

// allow is a policy statement allowing actions on resources.
func allow(sid string, actions, resources []string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(resources...),
	})
}

// allowIf is allow with a condition.
func allowIf(sid string, actions, resources []string, conditions map[string]any) awsiam.PolicyStatement {
	s := allow(sid, actions, resources)
	s.AddConditions(&conditions)
	return s
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
