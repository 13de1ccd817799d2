package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AlertsProps configures NewAlerts.
type AlertsProps struct {
	// Email, when set, is subscribed to the topic (the address confirms).
	Email string
}

// Alerts is the topic failed runs and alarms notify: encrypted with a
// customer managed key (CloudWatch can publish to it only through a key
// policy, which an AWS managed key does not allow), TLS-only.
type Alerts struct {
	constructs.Construct
	Topic awssns.Topic
	Key   awskms.Key
}

// NewAlerts makes the alert topic and its key.
func NewAlerts(scope constructs.Construct, id string, props *AlertsProps) *Alerts {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("snapflow alert topic"),
		EnableKeyRotation: jsii.Bool(true),
	})
	// CloudWatch alarm actions publish to the encrypted topic as the
	// CloudWatch service ("Encrypting topics", Amazon SNS Developer Guide:
	// the key policy must allow cloudwatch.amazonaws.com).
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike": map[string]any{"aws:SourceArn": "arn:" + *stack.Partition() + ":cloudwatch:" + *stack.Region() + ":" +
				*stack.Account() + ":alarm:*"},
		},
	}), nil)
	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("snapflow alerts"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if props.Email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.Email), nil))
	}
	return &Alerts{Construct: c, Topic: topic, Key: key}
}
