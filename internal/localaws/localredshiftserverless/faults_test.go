package localredshiftserverless

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	rss "github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"

	"github.com/snapflow/snapflow/internal/localaws/emu"
)

func TestFaultThrottle(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	ns := h.namespace(c, "sales", 0)
	h.faults.Add(emu.Fault{Service: SigningName, Action: "CreateSnapshot", Kind: emu.FaultThrottle, Count: 1})
	_, err := c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String("t-1")})
	// CreateSnapshot's model lists no ThrottlingException: the SDK gives a
	// generic API error with the code, which its retryer treats as throttling.
	wantCode(t, err, "ThrottlingException")
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 400 {
		t.Fatalf("status: %v", err)
	}
	h.snapshot(c, "sales", "t-1", nil) // Count 1: the fault is spent

	h.faults.Add(emu.Fault{Service: SigningName, Action: "TagResource", Kind: emu.FaultThrottle, Count: 1})
	_, err = c.TagResource(ctx, &rss.TagResourceInput{ResourceArn: ns.NamespaceArn, Tags: []types.Tag{}})
	wantErr[*types.ThrottlingException](t, err)

	calls := h.rec.Calls()
	var throttled int
	for _, call := range calls {
		if call.ErrorCode == "ThrottlingException" {
			throttled++
			if call.Fault != string(emu.FaultThrottle) {
				t.Fatalf("recorded fault %q", call.Fault)
			}
		}
	}
	if throttled != 2 {
		t.Fatalf("recorded %d throttled calls", throttled)
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	h.faults.SetRateLimit(emu.RateLimit{Service: SigningName, Action: "ListSnapshots", Rate: 1, Burst: 2})
	for i := 0; i < 2; i++ {
		if _, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{})
	wantCode(t, err, "ThrottlingException")
	h.advance(time.Second)
	if _, err := c.ListSnapshots(ctx, &rss.ListSnapshotsInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestFaultBusyQuotaAccessInternal(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	ns := h.namespace(c, "sales", 0)

	h.faults.Add(emu.Fault{Service: SigningName, Action: "CreateSnapshot", Kind: emu.FaultBusy, Count: 1})
	_, err := c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String("b-1")})
	ce := wantErr[*types.ConflictException](t, err)
	if !strings.Contains(aws.ToString(ce.Message), "operation running on the namespace") {
		t.Fatalf("busy message %q", aws.ToString(ce.Message))
	}

	h.faults.Add(emu.Fault{Service: SigningName, Action: "CreateSnapshot", Kind: emu.FaultQuota, Count: 1})
	_, err = c.CreateSnapshot(ctx, &rss.CreateSnapshotInput{NamespaceName: aws.String("sales"), SnapshotName: aws.String("b-1")})
	wantErr[*types.ServiceQuotaExceededException](t, err)

	h.faults.Add(emu.Fault{Service: SigningName, Action: "CreateSnapshotCopyConfiguration", Kind: emu.FaultAccessDenied, Count: 1})
	_, err = c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sales"), DestinationRegion: aws.String("us-west-2")})
	wantErr[*types.AccessDeniedException](t, err)
	h.faults.Add(emu.Fault{Service: SigningName, Action: "GetSnapshot", Kind: emu.FaultAccessDenied, Count: 1})
	_, err = c.GetSnapshot(ctx, &rss.GetSnapshotInput{SnapshotName: aws.String("b-1")})
	wantCode(t, err, "AccessDeniedException")

	h.faults.Add(emu.Fault{Service: SigningName, Action: "GetNamespace", Kind: emu.FaultInternal, Count: 1})
	_, err = c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("sales")})
	wantErr[*types.InternalServerException](t, err)
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
		t.Fatalf("internal status: %v", err)
	}

	h.faults.Add(emu.Fault{Service: SigningName, Action: "DeleteSnapshot", Kind: emu.FaultError, Code: "ValidationException", Message: "custom", Status: 400, Count: 1})
	_, err = c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("b-1")})
	if v := wantErr[*types.ValidationException](t, err); aws.ToString(v.Message) != "custom" {
		t.Fatalf("custom message %q", aws.ToString(v.Message))
	}

	// The namespace calls were recorded against the namespace ARN.
	for _, call := range h.rec.Calls() {
		if call.Action == "CreateSnapshot" && call.Resource != aws.ToString(ns.NamespaceArn) {
			t.Fatalf("CreateSnapshot resource %q", call.Resource)
		}
	}
}

func TestFaultSnapshotFailed(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	west := h.client("us-west-2")
	h.namespace(c, "sales", 600)
	other := h.namespace(c, "other", 600)
	if _, err := c.CreateSnapshotCopyConfiguration(ctx, &rss.CreateSnapshotCopyConfigurationInput{NamespaceName: aws.String("sales"), DestinationRegion: aws.String("us-west-2")}); err != nil {
		t.Fatal(err)
	}
	// Only the namespace whose ARN matches fails.
	h.faults.Add(emu.Fault{Service: SigningName, Action: "CreateSnapshot", Resource: aws.ToString(other.NamespaceArn), Kind: emu.FaultSnapshotFailed})
	h.snapshot(c, "other", "other-1", nil)
	sn := h.snapshot(c, "sales", "sales-1", nil)
	if sn.Status != types.SnapshotStatusCreating {
		t.Fatalf("status %s", sn.Status)
	}
	h.advance(120 * time.Second)
	if sn = h.get(c, "other-1"); sn.Status != types.SnapshotStatusFailed {
		t.Fatalf("other-1 %s", sn.Status)
	}
	if sn = h.get(c, "sales-1"); sn.Status != types.SnapshotStatusAvailable {
		t.Fatalf("sales-1 %s", sn.Status)
	}
	got, _ := c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("other")})
	if got.Namespace.Status != types.NamespaceStatusAvailable {
		t.Fatalf("namespace %s", got.Namespace.Status)
	}
	// A failed snapshot of a namespace with a copy configuration is not copied.
	h.faults.Reset()
	h.faults.Add(emu.Fault{Service: SigningName, Action: "CreateSnapshot", Kind: emu.FaultSnapshotFailed, Count: 1})
	h.snapshot(c, "sales", "sales-2", nil)
	h.advance(time.Hour)
	list, err := west.ListSnapshots(ctx, &rss.ListSnapshotsInput{})
	if err != nil || len(list.Snapshots) != 1 || aws.ToString(list.Snapshots[0].SnapshotName) != "sales-1" {
		t.Fatalf("copies %v %+v", err, list)
	}
	// Failed snapshots can be deleted.
	if _, err := c.DeleteSnapshot(ctx, &rss.DeleteSnapshotInput{SnapshotName: aws.String("sales-2")}); err != nil {
		t.Fatal(err)
	}
}

func TestProtocolErrors(t *testing.T) {
	h := newHarness(t, Options{})
	post := func(target, body string) (*http.Response, map[string]string) {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL, strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250301/us-east-1/redshift-serverless/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	resp, m := post("RedshiftServerless.NoSuchThing", "{}")
	if resp.StatusCode != 400 || m["__type"] != "UnknownOperationException" || resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Fatalf("unknown op: %d %v", resp.StatusCode, m)
	}
	resp, m = post("RedshiftServerless.GetNamespace", "{not json")
	if resp.StatusCode != 400 || m["__type"] != "SerializationException" {
		t.Fatalf("bad json: %d %v", resp.StatusCode, m)
	}
	resp, m = post("RedshiftServerless.GetNamespace", `{"namespaceName":"nope"}`)
	if resp.StatusCode != 400 || m["__type"] != "ResourceNotFoundException" || m["resourceName"] != "nope" || resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Fatalf("not found: %d %v", resp.StatusCode, m)
	}
	// Required members are checked on the server too (the CLI can skip
	// client-side validation).
	resp, m = post("RedshiftServerless.CreateSnapshot", `{"namespaceName":"x-y-z"}`)
	if resp.StatusCode != 400 || m["message"] != "1 validation error detected: Value null at 'snapshotName' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("required: %d %v", resp.StatusCode, m)
	}
	resp, m = post("RedshiftServerless.CreateSnapshot", `{}`)
	if !strings.HasPrefix(m["message"], "2 validation errors detected: ") {
		t.Fatalf("two errors: %d %v", resp.StatusCode, m)
	}
}
