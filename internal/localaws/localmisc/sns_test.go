package localmisc

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

func TestSNSTopics(t *testing.T) {
	h := newHarness(t)
	c := h.snsClient("us-east-1")
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts"),
		Attributes: map[string]string{"KmsMasterKeyId": "alias/aws/sns", "DisplayName": "Alerts"},
		Tags:       []types.Tag{{Key: aws.String("app"), Value: aws.String("snapflow")}}})
	must(t, err)
	arn := aws.ToString(out.TopicArn)
	if arn != "arn:aws:sns:us-east-1:123456789012:alerts" {
		t.Fatalf("arn %s", arn)
	}
	// Idempotent with the same attributes, refused with different ones.
	again, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts"), Attributes: map[string]string{"DisplayName": "Alerts"}})
	must(t, err)
	if aws.ToString(again.TopicArn) != arn {
		t.Fatal("second CreateTopic returned another ARN")
	}
	_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts"), Attributes: map[string]string{"DisplayName": "Other"}})
	mustAs[*types.InvalidParameterException](t, err)
	_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bad name!")})
	mustAs[*types.InvalidParameterException](t, err)
	_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("q.fifo")})
	mustAs[*types.InvalidParameterException](t, err)
	_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("x"), Attributes: map[string]string{"Colour": "blue"}})
	mustAs[*types.InvalidParameterException](t, err)

	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	must(t, err)
	if attrs.Attributes["KmsMasterKeyId"] != "alias/aws/sns" || attrs.Attributes["TopicArn"] != arn || attrs.Attributes["Owner"] != "123456789012" {
		t.Fatalf("attributes %v", attrs.Attributes)
	}
	_, err = c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("New")})
	must(t, err)
	attrs, _ = c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if attrs.Attributes["DisplayName"] != "New" {
		t.Fatal("SetTopicAttributes")
	}
	_, err = c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:nope")})
	mustAs[*types.NotFoundException](t, err)

	// Tags, and the tag source the tagging API reads.
	_, err = c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}})
	must(t, err)
	_, err = c.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
	mustAs[*types.InvalidParameterException](t, err)
	lt, err := c.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	must(t, err)
	if len(lt.Tags) != 2 || aws.ToString(lt.Tags[0].Key) != "app" {
		t.Fatalf("tags %+v", lt.Tags)
	}
	_, err = c.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team"}})
	must(t, err)
	if tr := h.sns.TaggedResources("us-east-1"); len(tr) != 1 || tr[0].ARN != arn || len(tr[0].Tags) != 1 {
		t.Fatalf("tagged %+v", tr)
	}

	// ListTopics: 100 a page, per region.
	for i := 0; i < 104; i++ {
		_, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(fmt.Sprintf("t-%03d", i))})
		must(t, err)
	}
	_, err = h.snsClient("eu-west-1").CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("elsewhere")})
	must(t, err)
	var arns []string
	pages := 0
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		pages++
		for _, tp := range page.Topics {
			arns = append(arns, aws.ToString(tp.TopicArn))
		}
	}
	if pages != 2 || len(arns) != 105 {
		t.Fatalf("%d pages, %d topics", pages, len(arns))
	}

	// DeleteTopic is idempotent.
	_, err = c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
	must(t, err)
	_, err = c.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
	must(t, err)
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	mustAs[*types.NotFoundException](t, err)
}

func TestSNSPublish(t *testing.T) {
	h := newHarness(t)
	c := h.snsClient("us-east-1")
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	must(t, err)
	arn := out.TopicArn

	h.clock.Advance(90 * time.Second)
	pub, err := c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Subject: aws.String("Snapflow run failed"), Message: aws.String(`{"failed":2}`),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"policy":   {DataType: aws.String("String"), StringValue: aws.String("nightly")},
			"failures": {DataType: aws.String("Number"), StringValue: aws.String("2")},
			"blob":     {DataType: aws.String("Binary"), BinaryValue: []byte{1, 2, 3}},
			"targets":  {DataType: aws.String("String.Array"), StringValue: aws.String(`["a","b"]`)},
		}})
	must(t, err)
	msgs := h.sns.Messages()
	if len(msgs) != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	m := msgs[0]
	if m.MessageID != aws.ToString(pub.MessageId) || m.TopicArn != aws.ToString(arn) || m.Subject != "Snapflow run failed" ||
		m.Message != `{"failed":2}` || !m.Time.Equal(t0.Add(90*time.Second)) {
		t.Fatalf("message %+v", m)
	}
	if m.Attributes["failures"].StringValue != "2" || string(m.Attributes["blob"].BinaryValue) != "\x01\x02\x03" || m.Attributes["policy"].DataType != "String" {
		t.Fatalf("attributes %+v", m.Attributes)
	}
	if call := h.lastCall("Publish"); call.Resource != aws.ToString(arn) {
		t.Fatalf("resource %q", call.Resource)
	}

	bad := []*sns.PublishInput{
		{TopicArn: arn, Message: aws.String("")},
		{Message: aws.String("no target")},
		{TopicArn: arn, Message: aws.String("x"), Subject: aws.String("two\nlines")},
		{TopicArn: arn, Message: aws.String("x"), Subject: aws.String(strings.Repeat("s", 100))},
		{TopicArn: arn, Message: aws.String(strings.Repeat("m", 262145))},
		{TopicArn: arn, Message: aws.String(`{"email":"x"}`), MessageStructure: aws.String("json")},
		{TopicArn: aws.String("not-an-arn"), Message: aws.String("x")},
	}
	for i, in := range bad {
		_, err := c.Publish(ctx, in)
		mustAs[*types.InvalidParameterException](t, err)
		_ = i
	}
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String("x"),
		MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Integer"), StringValue: aws.String("1")}}})
	mustAs[*types.InvalidParameterValueException](t, err)
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String("x"),
		MessageAttributes: map[string]types.MessageAttributeValue{"AWS.reserved": {DataType: aws.String("String"), StringValue: aws.String("1")}}})
	mustAs[*types.InvalidParameterValueException](t, err)
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: arn, Message: aws.String(`{"default":"hi","email":"hello"}`), MessageStructure: aws.String("json")})
	must(t, err)
	_, err = c.Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String("+15555550100"), Message: aws.String("sms")})
	must(t, err)
	if got := len(h.sns.Messages()); got != 3 {
		t.Fatalf("%d messages", got)
	}
}

func TestSNSFIFO(t *testing.T) {
	h := newHarness(t)
	c := h.snsClient("us-east-1")
	out, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("runs.fifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	must(t, err)
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: out.TopicArn, Message: aws.String("x")})
	mustAs[*types.InvalidParameterException](t, err)
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: out.TopicArn, Message: aws.String("x"), MessageGroupId: aws.String("g")})
	mustAs[*types.InvalidParameterException](t, err)
	p1, err := c.Publish(ctx, &sns.PublishInput{TopicArn: out.TopicArn, Message: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")})
	must(t, err)
	if aws.ToString(p1.SequenceNumber) == "" {
		t.Fatal("FIFO publish without sequence number")
	}
	p2, err := c.Publish(ctx, &sns.PublishInput{TopicArn: out.TopicArn, Message: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d1")})
	must(t, err)
	if aws.ToString(p2.MessageId) != aws.ToString(p1.MessageId) || len(h.sns.Messages()) != 1 {
		t.Fatal("duplicate within 5 minutes was delivered again")
	}
}

func TestSNSFaultsAndSeed(t *testing.T) {
	h := newHarness(t)
	c := h.snsClient("us-east-1")
	seed := `{"topics": [{"name": "alerts", "attributes": {"KmsMasterKeyId": "alias/k"}, "tags": {"app": "snapflow"}},
	                     {"name": "west", "region": "us-west-2"}]}`
	must(t, h.sns.Seed("us-east-1", json.RawMessage(seed)))
	arn := "arn:aws:sns:us-east-1:123456789012:alerts"

	h.env.Faults.Add(emu.Fault{Service: "sns", Action: "Publish", Kind: emu.FaultThrottle, Count: 1})
	_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	mustCode(t, err, "ThrottlingException")
	if call := h.lastCall("Publish"); call.Fault != "throttle" || call.ErrorCode != "ThrottlingException" || call.Resource != arn {
		t.Fatalf("call %+v", call)
	}
	h.env.Faults.Add(emu.Fault{Service: "sns", Resource: "alerts", Kind: emu.FaultAccessDenied, Count: 1})
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	mustAs[*types.AuthorizationErrorException](t, err)
	h.env.Faults.Add(emu.Fault{Service: "sns", Kind: emu.FaultInternal, Count: 1})
	_, err = c.ListTopics(ctx, &sns.ListTopicsInput{})
	mustAs[*types.InternalErrorException](t, err)
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	must(t, err)

	west, err := h.snsClient("us-west-2").ListTopics(ctx, &sns.ListTopicsInput{})
	must(t, err)
	if len(west.Topics) != 1 {
		t.Fatalf("west topics %+v", west.Topics)
	}
	for _, bad := range []string{`{"topics": [{"name": "bad name"}]}`, `{"topics": [{"nme": "x"}]}`} {
		if err := h.sns.Seed("us-east-1", json.RawMessage(bad)); err == nil {
			t.Fatalf("seed accepted: %s", bad)
		}
	}
}
