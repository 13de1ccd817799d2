package localredshiftserverless

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rss "github.com/aws/aws-sdk-go-v2/service/redshiftserverless"
	"github.com/aws/aws-sdk-go-v2/service/redshiftserverless/types"
)

func TestNamespaceLifecycle(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	out, err := c.CreateNamespace(ctx, &rss.CreateNamespaceInput{
		NamespaceName: aws.String("sales"), AdminUsername: aws.String("admin"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("bi")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ns := out.Namespace
	if ns.Status != types.NamespaceStatusAvailable || aws.ToString(ns.DbName) != "dev" || aws.ToString(ns.KmsKeyId) != "AWS_OWNED_KMS_KEY" {
		t.Fatalf("namespace = %+v", ns)
	}
	if !strings.HasPrefix(aws.ToString(ns.NamespaceArn), "arn:aws:redshift-serverless:us-east-1:123456789012:namespace/"+aws.ToString(ns.NamespaceId)) {
		t.Fatalf("arn %s", aws.ToString(ns.NamespaceArn))
	}
	if !ns.CreationDate.Equal(t0) {
		t.Fatalf("creationDate %v", ns.CreationDate)
	}
	got, err := c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("sales")})
	if err != nil || aws.ToString(got.Namespace.NamespaceId) != aws.ToString(ns.NamespaceId) {
		t.Fatalf("GetNamespace: %v %+v", err, got)
	}
	tags, err := c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: ns.NamespaceArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "bi" {
		t.Fatalf("tags: %v %+v", err, tags)
	}

	_, err = c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String("sales")})
	wantErr[*types.ConflictException](t, err)

	del, err := c.DeleteNamespace(ctx, &rss.DeleteNamespaceInput{NamespaceName: aws.String("sales")})
	if err != nil || del.Namespace.Status != types.NamespaceStatusDeleting {
		t.Fatalf("DeleteNamespace: %v %+v", err, del)
	}
	got, err = c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("sales")})
	if err != nil || got.Namespace.Status != types.NamespaceStatusDeleting {
		t.Fatalf("while deleting: %v %+v", err, got)
	}
	_, err = c.DeleteNamespace(ctx, &rss.DeleteNamespaceInput{NamespaceName: aws.String("sales")})
	wantErr[*types.ConflictException](t, err)
	h.advance(time.Minute)
	_, err = c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("sales")})
	nf := wantErr[*types.ResourceNotFoundException](t, err)
	if aws.ToString(nf.Message) != "Serverless namespace sales not found." || aws.ToString(nf.ResourceName) != "sales" {
		t.Fatalf("not found = %q %q", aws.ToString(nf.Message), aws.ToString(nf.ResourceName))
	}
	// Its tags went with it.
	_, err = c.ListTagsForResource(ctx, &rss.ListTagsForResourceInput{ResourceArn: ns.NamespaceArn})
	wantErr[*types.ResourceNotFoundException](t, err)
}

func TestNamespaceValidation(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	_, err := c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String("Bad_Name")})
	v := wantErr[*types.ValidationException](t, err)
	want := "1 validation error detected: Value 'Bad_Name' at 'namespaceName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9-]+$"
	if aws.ToString(v.Message) != want {
		t.Fatalf("message %q", aws.ToString(v.Message))
	}
	_, err = c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("ab")})
	v = wantErr[*types.ValidationException](t, err)
	if !strings.Contains(aws.ToString(v.Message), "Member must have length greater than or equal to 3") {
		t.Fatalf("message %q", aws.ToString(v.Message))
	}
	_, err = c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}})
	wantErr[*types.ValidationException](t, err)
	var many []types.Tag
	for i := 0; i < 51; i++ {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String("tagged"), Tags: many})
	wantErr[*types.TooManyTagsException](t, err)
	_, err = c.ListNamespaces(ctx, &rss.ListNamespacesInput{MaxResults: aws.Int32(101)})
	v = wantErr[*types.ValidationException](t, err)
	if !strings.Contains(aws.ToString(v.Message), "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100") {
		t.Fatalf("message %q", aws.ToString(v.Message))
	}
	_, err = c.ListNamespaces(ctx, &rss.ListNamespacesInput{NextToken: aws.String("garbage")})
	wantErr[*types.ValidationException](t, err)
}

func TestNamespaceQuotaAndPagination(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	for i := 0; i < 25; i++ {
		if _, err := c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String(fmt.Sprintf("ns-%02d", i))}); err != nil {
			t.Fatal(err)
		}
		h.advance(time.Second)
	}
	_, err := c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String("ns-25")})
	wantErr[*types.ValidationException](t, err)
	// Another Region has its own quota and its own namespaces.
	if _, err := h.client("eu-west-1").CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String("ns-00")}); err != nil {
		t.Fatal(err)
	}

	p := rss.NewListNamespacesPaginator(c, &rss.ListNamespacesInput{}, func(o *rss.ListNamespacesPaginatorOptions) { o.Limit = 10 })
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, n := range out.Namespaces {
			names = append(names, aws.ToString(n.NamespaceName))
		}
	}
	if pages != 3 || len(names) != 25 || names[0] != "ns-00" || names[24] != "ns-24" {
		t.Fatalf("pages %d names %v", pages, names)
	}
}

func TestWorkgroups(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	if _, err := c.CreateNamespace(ctx, &rss.CreateNamespaceInput{NamespaceName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateWorkgroup(ctx, &rss.CreateWorkgroupInput{NamespaceName: aws.String("missing"), WorkgroupName: aws.String("wg-x")})
	wantErr[*types.ResourceNotFoundException](t, err)
	out, err := c.CreateWorkgroup(ctx, &rss.CreateWorkgroupInput{NamespaceName: aws.String("ops"), WorkgroupName: aws.String("ops-wg")})
	if err != nil {
		t.Fatal(err)
	}
	wg := out.Workgroup
	if wg.Status != types.WorkgroupStatusAvailable || aws.ToInt32(wg.BaseCapacity) != 128 || aws.ToString(wg.NamespaceName) != "ops" ||
		!strings.Contains(aws.ToString(wg.WorkgroupArn), ":workgroup/") {
		t.Fatalf("workgroup %+v", wg)
	}
	// One workgroup per namespace; names are unique.
	_, err = c.CreateWorkgroup(ctx, &rss.CreateWorkgroupInput{NamespaceName: aws.String("ops"), WorkgroupName: aws.String("ops-wg2")})
	wantErr[*types.ConflictException](t, err)
	_, err = c.CreateWorkgroup(ctx, &rss.CreateWorkgroupInput{NamespaceName: aws.String("ops"), WorkgroupName: aws.String("ops-wg")})
	wantErr[*types.ConflictException](t, err)
	_, err = c.CreateWorkgroup(ctx, &rss.CreateWorkgroupInput{NamespaceName: aws.String("ops"), WorkgroupName: aws.String("x"), BaseCapacity: aws.Int32(7)})
	wantErr[*types.ValidationException](t, err)

	list, err := c.ListWorkgroups(ctx, &rss.ListWorkgroupsInput{})
	if err != nil || len(list.Workgroups) != 1 {
		t.Fatalf("ListWorkgroups %v %+v", err, list)
	}
	// The namespace can't go while its workgroup is there.
	_, err = c.DeleteNamespace(ctx, &rss.DeleteNamespaceInput{NamespaceName: aws.String("ops")})
	wantErr[*types.ConflictException](t, err)

	del, err := c.DeleteWorkgroup(ctx, &rss.DeleteWorkgroupInput{WorkgroupName: aws.String("ops-wg")})
	if err != nil || del.Workgroup.Status != types.WorkgroupStatusDeleting {
		t.Fatalf("DeleteWorkgroup %v %+v", err, del)
	}
	h.advance(time.Minute)
	_, err = c.GetWorkgroup(ctx, &rss.GetWorkgroupInput{WorkgroupName: aws.String("ops-wg")})
	nf := wantErr[*types.ResourceNotFoundException](t, err)
	if aws.ToString(nf.Message) != "Serverless workgroup ops-wg not found." {
		t.Fatalf("message %q", aws.ToString(nf.Message))
	}
	if _, err := c.DeleteNamespace(ctx, &rss.DeleteNamespaceInput{NamespaceName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteNamespaceWithFinalSnapshot(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.east()
	h.namespace(c, "final", 1200) // 60 s + 120 s
	if _, err := c.DeleteWorkgroup(ctx, &rss.DeleteWorkgroupInput{WorkgroupName: aws.String("final-wg")}); err != nil {
		t.Fatal(err)
	}
	del, err := c.DeleteNamespace(ctx, &rss.DeleteNamespaceInput{NamespaceName: aws.String("final"),
		FinalSnapshotName: aws.String("final-last"), FinalSnapshotRetentionPeriod: aws.Int32(7)})
	if err != nil || del.Namespace.Status != types.NamespaceStatusDeleting {
		t.Fatalf("DeleteNamespace %v %+v", err, del)
	}
	sn := h.get(c, "final-last")
	if sn.Status != types.SnapshotStatusCreating || aws.ToInt32(sn.SnapshotRetentionPeriod) != 7 {
		t.Fatalf("final snapshot %+v", sn)
	}
	h.advance(2 * time.Minute)
	if _, err := c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("final")}); err != nil {
		t.Fatalf("namespace should stay DELETING until the final snapshot is done: %v", err)
	}
	h.advance(time.Minute)
	_, err = c.GetNamespace(ctx, &rss.GetNamespaceInput{NamespaceName: aws.String("final")})
	wantErr[*types.ResourceNotFoundException](t, err)
	if sn := h.get(c, "final-last"); sn.Status != types.SnapshotStatusAvailable || aws.ToString(sn.NamespaceName) != "final" {
		t.Fatalf("final snapshot after delete %+v", sn)
	}
}
