package steps_test

import (
	"context"
	"testing"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/localaws/emu"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/steps"
)

// Policies the error tests start from.
const (
	ordersPolicy    = `{"name": "nightly", "targets": [{"service": "elasticache", "id": "orders"}], "copy": {}, "export": {"bucket": "ec-exports"}, "retention": {"keepLast": 1}}`
	cartsPolicy     = `{"name": "nightly", "targets": [{"service": "elasticache-serverless", "id": "carts"}], "copy": {}, "export": {"bucket": "ec-exports"}}`
	ledgerPolicy    = `{"name": "nightly", "targets": [{"service": "memorydb", "id": "ledger"}], "copy": {}, "export": {"bucket": "mdb-exports"}}`
	analyticsPolicy = `{"name": "nightly", "targets": [{"service": "redshift-serverless", "id": "analytics"}], "retention": {"keepLast": 1}}`
)

// errorCase provokes one error class of one handler through the local AWS:
// setup returns the handler's input.
type errorCase struct {
	name     string
	step     string
	class    string
	mentions []string
	setup    func(f *fixture) any
}

func runErrorCases(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			in := tc.setup(f)
			_, ie := f.step(tc.step, in)
			wantError(t, ie, tc.class, tc.mentions...)
			t.Logf("%s: %s", ie.Type, ie.Message)
		})
	}
}

// item plans a policy's only item at the current clock.
func (f *fixture) item(doc string) events.WorkItem {
	f.t.Helper()
	out := f.mustPlan(doc, f.aws.Clock().Now())
	return steps.WorkItem(out.Spec, out.Items[0], out.Slot, f.steps.ExportBucket)
}

// snapshotted runs create and polls until the snapshot is available.
func (f *fixture) snapshotted(doc string) events.TargetState {
	f.t.Helper()
	return f.wait(f.must("create", events.TargetState{Item: f.item(doc)}))
}

// exported runs the target up to a finished export, before verify.
func (f *fixture) exported(doc string) events.TargetState {
	f.t.Helper()
	st := f.snapshotted(doc)
	return f.wait(f.must("export", st))
}

func faulted(service, action string, kind emu.FaultKind, then func(f *fixture) any) func(f *fixture) any {
	return func(f *fixture) any {
		in := then(f)
		f.fault(service, action, kind, 0)
		return in
	}
}

func createInput(doc string) func(f *fixture) any {
	return func(f *fixture) any { return events.TargetState{Item: f.item(doc)} }
}

func TestCreateErrors(t *testing.T) {
	runErrorCases(t, []errorCase{
		{"InvalidInput empty item", "create", "Snapflow.InvalidInput", []string{"item.policy: is required"},
			func(f *fixture) any { return []byte(`{"item": {}}`) }},
		{"InvalidInput wrong type", "create", "Snapflow.InvalidInput", []string{"input: must be a JSON TargetState"},
			func(f *fixture) any { return []byte(`{"item": {"slot": 5}}`) }},
		{"Unsupported memcached", "create", "Snapflow.Unsupported", []string{"pages", "Memcached"},
			createInput(`{"name": "nightly", "targets": [{"service": "elasticache", "id": "pages", "kind": "cache-cluster"}]}`)},
		{"Unsupported member of a cluster-mode-enabled group", "create", "Snapflow.Unsupported", []string{"catalog-0001-001", "cluster mode enabled"},
			createInput(`{"name": "nightly", "targets": [{"service": "elasticache", "id": "catalog-0001-001", "kind": "cache-cluster"}]}`)},
		{"NotFound", "create", "Snapflow.NotFound", []string{"nosuch"},
			createInput(`{"name": "nightly", "targets": [{"service": "elasticache", "id": "nosuch"}]}`)},
		{"NotFound redshift", "create", "Snapflow.NotFound", []string{"nosuch"},
			createInput(`{"name": "nightly", "targets": [{"service": "redshift-serverless", "id": "nosuch"}]}`)},
		{"TargetBusy another snapshot running", "create", "Snapflow.TargetBusy", []string{"orders"},
			func(f *fixture) any {
				f.must("create", events.TargetState{Item: f.item(ordersPolicy)})
				f.aws.Clock().Advance(time.Minute)
				return events.TargetState{Item: f.item(ordersPolicy)}
			}},
		{"TargetBusy redshift", "create", "Snapflow.TargetBusy", []string{"analytics"},
			func(f *fixture) any {
				f.must("create", events.TargetState{Item: f.item(analyticsPolicy)})
				f.aws.Clock().Advance(time.Minute)
				return events.TargetState{Item: f.item(analyticsPolicy)}
			}},
		{"QuotaExceeded", "create", "Snapflow.QuotaExceeded", []string{"CreateSnapshot"},
			faulted("elasticache", "CreateSnapshot", emu.FaultQuota, createInput(ordersPolicy))},
		{"QuotaExceeded memorydb", "create", "Snapflow.QuotaExceeded", []string{"CreateSnapshot"},
			faulted("memorydb", "CreateSnapshot", emu.FaultQuota, createInput(ledgerPolicy))},
		{"AlreadyExists not made by snapflow", "create", "Snapflow.AlreadyExists", []string{"was not made by snapflow"},
			func(f *fixture) any {
				it := f.item(ordersPolicy)
				if _, err := f.adapter("elasticache").Create(context.Background(), snapshot.CreateInput{SourceID: "orders", Name: it.SnapshotName}); err != nil {
					f.t.Fatal(err)
				}
				f.aws.Clock().Advance(time.Hour)
				return events.TargetState{Item: it}
			}},
		{"AlreadyExists another slot's tags", "create", "Snapflow.AlreadyExists", []string{"was not made by snapflow"},
			func(f *fixture) any {
				it := f.item(ledgerPolicy)
				tags := map[string]string{"snapflow:managed": "true", "snapflow:policy": "nightly", "snapflow:target": "ledger", "snapflow:slot": "2020-01-01T00:00:00Z"}
				if _, err := f.adapter("memorydb").Create(context.Background(), snapshot.CreateInput{SourceID: "ledger", Name: it.SnapshotName, Tags: tags}); err != nil {
					f.t.Fatal(err)
				}
				f.aws.Clock().Advance(time.Hour)
				return events.TargetState{Item: it}
			}},
		{"AccessDenied", "create", "Snapflow.AccessDenied", []string{"CreateSnapshot"},
			faulted("elasticache", "CreateSnapshot", emu.FaultAccessDenied, createInput(ordersPolicy))},
		{"AccessDenied source", "create", "Snapflow.AccessDenied", []string{"DescribeServerlessCaches"},
			faulted("elasticache", "DescribeServerlessCaches", emu.FaultAccessDenied, createInput(cartsPolicy))},
		{"Throttled", "create", "Snapflow.Throttled", []string{"CreateSnapshot"},
			faulted("memorydb", "CreateSnapshot", emu.FaultThrottle, createInput(ledgerPolicy))},
		{"Throttled redshift", "create", "Snapflow.Throttled", []string{"CreateSnapshot"},
			faulted("redshift-serverless", "CreateSnapshot", emu.FaultThrottle, createInput(analyticsPolicy))},
		{"Transient", "create", "Snapflow.Transient", []string{"CreateServerlessCacheSnapshot"},
			faulted("elasticache", "CreateServerlessCacheSnapshot", emu.FaultInternal, createInput(cartsPolicy))},
		{"TargetBusy this slot's failed snapshot deleted", "create", "Snapflow.TargetBusy", []string{"had failed", "deleted it"},
			func(f *fixture) any {
				f.fault("elasticache", "CreateSnapshot", emu.FaultSnapshotFailed, 1)
				it := f.item(ordersPolicy)
				f.must("create", events.TargetState{Item: it})
				f.aws.Clock().Advance(time.Hour)
				return events.TargetState{Item: it}
			}},
	})
}

func TestPollErrors(t *testing.T) {
	failedSnapshot := func(service, action, doc string) func(f *fixture) any {
		return func(f *fixture) any {
			f.fault(service, action, emu.FaultSnapshotFailed, 1)
			st := f.must("create", events.TargetState{Item: f.item(doc)})
			f.aws.Clock().Advance(time.Hour)
			return st
		}
	}
	describeFault := func(service, action string, kind emu.FaultKind, doc string) func(f *fixture) any {
		return func(f *fixture) any {
			st := f.must("create", events.TargetState{Item: f.item(doc)})
			f.fault(service, action, kind, 0)
			return st
		}
	}
	runErrorCases(t, []errorCase{
		{"InvalidInput phase", "poll", "Snapflow.InvalidInput", []string{"phase: must be one of"},
			func(f *fixture) any {
				st := f.must("create", events.TargetState{Item: f.item(ordersPolicy)})
				st.Phase = "restore"
				return st
			}},
		{"InvalidInput no snapshot", "poll", "Snapflow.InvalidInput", []string{"snapshot: is missing"},
			func(f *fixture) any {
				return events.TargetState{Item: f.item(ordersPolicy), Phase: events.PhaseSnapshot}
			}},
		{"SnapshotFailed elasticache", "poll", "Snapflow.SnapshotFailed", []string{"snapshot sf-nightly-orders", "failed"},
			failedSnapshot("elasticache", "CreateSnapshot", ordersPolicy)},
		{"SnapshotFailed serverless", "poll", "Snapflow.SnapshotFailed", []string{"carts"},
			failedSnapshot("elasticache", "CreateServerlessCacheSnapshot", cartsPolicy)},
		{"SnapshotFailed memorydb", "poll", "Snapflow.SnapshotFailed", []string{"ledger"},
			failedSnapshot("memorydb", "CreateSnapshot", ledgerPolicy)},
		{"SnapshotFailed redshift", "poll", "Snapflow.SnapshotFailed", []string{"analytics", "FAILED"},
			failedSnapshot("redshift-serverless", "CreateSnapshot", analyticsPolicy)},
		{"SnapshotFailed copy", "poll", "Snapflow.SnapshotFailed", []string{"copy sfc-nightly-orders"},
			func(f *fixture) any {
				st := f.snapshotted(ordersPolicy)
				f.fault("elasticache", "CopySnapshot", emu.FaultSnapshotFailed, 1)
				st = f.must("copy", st)
				f.aws.Clock().Advance(time.Hour)
				return st
			}},
		{"SnapshotFailed deleted meanwhile", "poll", "Snapflow.SnapshotFailed", []string{"deleting"},
			func(f *fixture) any {
				st := f.snapshotted(ledgerPolicy)
				st = f.must("copy", st)
				f.aws.Clock().Advance(time.Hour)
				if err := f.adapter("memorydb").Delete(context.Background(), st.Copy.Name); err != nil {
					f.t.Fatal(err)
				}
				return st
			}},
		{"NotFound", "poll", "Snapflow.NotFound", []string{"sf-gone"},
			func(f *fixture) any {
				st := f.must("create", events.TargetState{Item: f.item(ordersPolicy)})
				st.Snapshot.Name = "sf-gone"
				return st
			}},
		{"ExportFailed", "poll", "Snapflow.ExportFailed", []string{"s3://ec-exports", "deleting"},
			func(f *fixture) any {
				st := f.must("export", f.snapshotted(cartsPolicy))
				f.aws.Clock().Advance(time.Hour)
				if err := f.adapter("elasticache-serverless").Delete(context.Background(), st.Snapshot.Name); err != nil {
					f.t.Fatal(err)
				}
				return st
			}},
		{"Throttled", "poll", "Snapflow.Throttled", []string{"DescribeSnapshots"},
			describeFault("elasticache", "DescribeSnapshots", emu.FaultThrottle, ordersPolicy)},
		{"AccessDenied", "poll", "Snapflow.AccessDenied", []string{"GetSnapshot"},
			describeFault("redshift-serverless", "GetSnapshot", emu.FaultAccessDenied, analyticsPolicy)},
		{"Transient", "poll", "Snapflow.Transient", []string{"DescribeSnapshots"},
			describeFault("memorydb", "DescribeSnapshots", emu.FaultInternal, ledgerPolicy)},
	})
}

func TestCopyErrors(t *testing.T) {
	copyInput := func(doc string) func(f *fixture) any {
		return func(f *fixture) any { return f.snapshotted(doc) }
	}
	runErrorCases(t, []errorCase{
		{"InvalidInput no snapshot", "copy", "Snapflow.InvalidInput", []string{"snapshot: is missing"},
			func(f *fixture) any { return events.TargetState{Item: f.item(ordersPolicy), HasCopy: true} }},
		{"InvalidInput no copy name", "copy", "Snapflow.InvalidInput", []string{"item.copyName: is required"},
			func(f *fixture) any {
				st := f.snapshotted(ordersPolicy)
				st.Item.CopyName = ""
				return st
			}},
		{"Unsupported redshift", "copy", "Snapflow.Unsupported", []string{"redshift-serverless"},
			func(f *fixture) any {
				st := f.snapshotted(analyticsPolicy)
				st.HasCopy, st.Item.Copy, st.Item.CopyName = true, &events.CopySpec{}, "sfc-x"
				return st
			}},
		{"AlreadyExists not made by snapflow", "copy", "Snapflow.AlreadyExists", []string{"sfc-nightly-ledger", "was not made by snapflow"},
			func(f *fixture) any {
				st := f.snapshotted(ledgerPolicy)
				if _, err := f.adapter("memorydb").Copy(context.Background(), snapshot.CopyInput{SourceName: st.Snapshot.Name, TargetName: st.Item.CopyName}); err != nil {
					f.t.Fatal(err)
				}
				f.aws.Clock().Advance(time.Hour)
				return st
			}},
		{"TargetBusy source being copied", "copy", "Snapflow.TargetBusy", []string{"CopySnapshot"},
			func(f *fixture) any {
				st := f.snapshotted(ordersPolicy)
				if _, err := f.adapter("elasticache").Copy(context.Background(), snapshot.CopyInput{SourceName: st.Snapshot.Name, TargetName: "someone-elses-copy"}); err != nil {
					f.t.Fatal(err)
				}
				return st
			}},
		{"NotFound", "copy", "Snapflow.NotFound", []string{"sf-gone"},
			func(f *fixture) any {
				st := f.snapshotted(cartsPolicy)
				st.Snapshot.Name = "sf-gone"
				return st
			}},
		{"QuotaExceeded", "copy", "Snapflow.QuotaExceeded", []string{"CopySnapshot"},
			faulted("elasticache", "CopySnapshot", emu.FaultQuota, copyInput(ordersPolicy))},
		{"AccessDenied", "copy", "Snapflow.AccessDenied", []string{"CopySnapshot"},
			faulted("memorydb", "CopySnapshot", emu.FaultAccessDenied, copyInput(ledgerPolicy))},
		{"Throttled", "copy", "Snapflow.Throttled", []string{"CopyServerlessCacheSnapshot"},
			faulted("elasticache", "CopyServerlessCacheSnapshot", emu.FaultThrottle, copyInput(cartsPolicy))},
		{"Transient", "copy", "Snapflow.Transient", []string{"CopySnapshot"},
			faulted("elasticache", "CopySnapshot", emu.FaultInternal, copyInput(ordersPolicy))},
		{"TargetBusy this slot's failed copy deleted", "copy", "Snapflow.TargetBusy", []string{"sfc-nightly-orders", "had failed"},
			func(f *fixture) any {
				st := f.snapshotted(ordersPolicy)
				f.fault("elasticache", "CopySnapshot", emu.FaultSnapshotFailed, 1)
				f.must("copy", st)
				f.aws.Clock().Advance(time.Hour)
				return st
			}},
	})
}

func TestExportErrors(t *testing.T) {
	exportInput := func(doc string) func(f *fixture) any {
		return func(f *fixture) any { return f.snapshotted(doc) }
	}
	withBucket := func(doc, bucket string) func(f *fixture) any {
		return func(f *fixture) any {
			st := f.snapshotted(doc)
			st.Item.Export.Bucket = bucket
			return st
		}
	}
	runErrorCases(t, []errorCase{
		{"InvalidInput no bucket", "export", "Snapflow.InvalidInput", []string{"item.export.bucket: is required when SNAPFLOW_EXPORT_BUCKET is not set"},
			withBucket(ordersPolicy, "")},
		{"InvalidInput no snapshot", "export", "Snapflow.InvalidInput", []string{"snapshot: is missing"},
			func(f *fixture) any { return events.TargetState{Item: f.item(ordersPolicy), HasExport: true} }},
		{"AccessDenied bucket without the grant", "export", "Snapflow.AccessDenied", []string{"plain-bucket"},
			withBucket(ordersPolicy, "plain-bucket")},
		{"AccessDenied memorydb bucket policy", "export", "Snapflow.AccessDenied", []string{"ec-exports"},
			withBucket(ledgerPolicy, "ec-exports")},
		{"AccessDenied fault", "export", "Snapflow.AccessDenied", []string{"ExportServerlessCacheSnapshot"},
			faulted("elasticache", "ExportServerlessCacheSnapshot", emu.FaultAccessDenied, exportInput(cartsPolicy))},
		{"NotFound bucket", "export", "Snapflow.NotFound", []string{"no-such-bucket"},
			withBucket(cartsPolicy, "no-such-bucket")},
		{"Unsupported data tiering", "export", "Snapflow.Unsupported", []string{"tiered"},
			func(f *fixture) any {
				st := f.snapshotted(`{"name": "nightly", "targets": [{"service": "elasticache", "id": "tiered"}], "export": {"bucket": "ec-exports"}}`)
				st.HasExport = true // create said no; the service says why
				return st
			}},
		{"TargetBusy snapshot being copied", "export", "Snapflow.TargetBusy", []string{"CopySnapshot"},
			func(f *fixture) any {
				st := f.snapshotted(ordersPolicy)
				f.must("copy", st)
				return st
			}},
		{"Throttled", "export", "Snapflow.Throttled", []string{"CopySnapshot"},
			faulted("memorydb", "CopySnapshot", emu.FaultThrottle, exportInput(ledgerPolicy))},
		{"Transient", "export", "Snapflow.Transient", []string{"CopySnapshot"},
			faulted("elasticache", "CopySnapshot", emu.FaultInternal, exportInput(ordersPolicy))},
	})
}

func TestVerifyErrors(t *testing.T) {
	putObject := func(doc, content string) func(f *fixture) any {
		return func(f *fixture) any {
			st := f.snapshotted(doc)
			b, ok := f.aws.S3().Bucket("ec-exports")
			if !ok {
				f.t.Fatal("no bucket")
			}
			if err := b.PutObject(st.Item.SnapshotName+"-0001.rdb", []byte(content)); err != nil {
				f.t.Fatal(err)
			}
			st = f.must("export", st) // resumes: the object is there
			return f.wait(st)
		}
	}
	s3Fault := func(action string, kind emu.FaultKind) func(f *fixture) any {
		return func(f *fixture) any {
			st := f.exported(ordersPolicy)
			f.fault("s3", action, kind, 0)
			return st
		}
	}
	runErrorCases(t, []errorCase{
		{"InvalidInput no export", "verify", "Snapflow.InvalidInput", []string{"export: is missing"},
			func(f *fixture) any { return events.TargetState{Item: f.item(ordersPolicy), HasExport: true} }},
		{"ExportFailed missing objects", "verify", "Snapflow.ExportFailed", []string{"s3://ec-exports/sf-nightly-orders-202611200200-0001.rdb is missing"},
			func(f *fixture) any {
				st := f.snapshotted(ordersPolicy)
				f.fault("elasticache", "CopySnapshot", emu.FaultSnapshotFailed, 1)
				return f.wait(f.must("export", st))
			}},
		{"ExportFailed no objects serverless", "verify", "Snapflow.ExportFailed", []string{"no object s3://ec-exports/sf-nightly-carts"},
			func(f *fixture) any {
				st := f.snapshotted(cartsPolicy)
				f.fault("elasticache", "ExportServerlessCacheSnapshot", emu.FaultSnapshotFailed, 1)
				return f.wait(f.must("export", st))
			}},
		{"ExportFailed not RDB", "verify", "Snapflow.ExportFailed", []string{"-0001.rdb has no valid RDB header"},
			putObject(ordersPolicy, "<html>not a backup</html>")},
		{"ExportFailed empty", "verify", "Snapflow.ExportFailed", []string{"-0001.rdb is empty"},
			putObject(ordersPolicy, "")},
		{"AccessDenied", "verify", "Snapflow.AccessDenied", []string{"HeadObject"}, s3Fault("HeadObject", emu.FaultAccessDenied)},
		{"Throttled", "verify", "Snapflow.Throttled", []string{"GetObject"}, s3Fault("GetObject", emu.FaultThrottle)},
		{"Transient", "verify", "Snapflow.Transient", []string{"HeadObject"}, s3Fault("HeadObject", emu.FaultInternal)},
	})
}

func TestPruneErrors(t *testing.T) {
	// pruneInput leaves the state after two runs a day apart with
	// keep-last 1, the first run's snapshot left to delete.
	pruneInput := func(doc string) func(f *fixture) any {
		return func(f *fixture) any {
			keep := f.item(doc)
			keep.Retention = &events.Retention{KeepLast: 5}
			f.run(keep)
			f.aws.Clock().Advance(24 * time.Hour)
			st := f.snapshotted(doc)
			return st
		}
	}
	runErrorCases(t, []errorCase{
		{"InvalidInput time zone", "prune", "Snapflow.InvalidInput", []string{"item.timeZone"},
			func(f *fixture) any {
				st := events.TargetState{Item: f.item(ordersPolicy)}
				st.Item.TimeZone = "Mars/Olympus"
				return st
			}},
		{"NotFound", "prune", "Snapflow.NotFound", []string{"nosuch"},
			createInput(`{"name": "nightly", "targets": [{"service": "elasticache", "id": "nosuch", "kind": "cache-cluster"}], "retention": {"keepLast": 1}}`)},
		{"AccessDenied", "prune", "Snapflow.AccessDenied", []string{"DeleteSnapshot"},
			faulted("elasticache", "DeleteSnapshot", emu.FaultAccessDenied, pruneInput(ordersPolicy))},
		{"TargetBusy", "prune", "Snapflow.TargetBusy", []string{"DeleteSnapshot"},
			faulted("elasticache", "DeleteSnapshot", emu.FaultBusy, pruneInput(ordersPolicy))},
		{"Throttled", "prune", "Snapflow.Throttled", []string{"ListSnapshots"},
			faulted("redshift-serverless", "ListSnapshots", emu.FaultThrottle, pruneInput(analyticsPolicy))},
		{"Transient", "prune", "Snapflow.Transient", []string{"DeleteSnapshot"},
			faulted("redshift-serverless", "DeleteSnapshot", emu.FaultInternal, pruneInput(analyticsPolicy))},
	})
}
