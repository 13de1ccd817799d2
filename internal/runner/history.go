package runner

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/naming"
	"github.com/snapflow/snapflow/internal/snapshot"
	"github.com/snapflow/snapflow/internal/snapshot/adapters"
)

// HistoryAccessKey makes the older snapshots of CreateHistory.
const HistoryAccessKey = "history"

// CreateHistory gives targets the snapshots a policy would have made at
// earlier slots, so a run has something to prune: for each slot, oldest
// first, it moves the clock to the slot, creates every target's snapshot
// with the name and managed tags snapflow gives it (plus tags), and moves
// the clock on until all are available. Call it before starting runs: it
// moves the one clock. It returns the snapshot names by target ID.
func (r *Runner) CreateHistory(ctx context.Context, policyName string, targets []events.Target, slots []time.Time, tags map[string]string) (map[string][]string, error) {
	set := adapters.New(r.AWSConfig(HistoryAccessKey))
	sorted := append([]time.Time(nil), slots...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	out := map[string][]string{}
	for _, slot := range sorted {
		r.aws.Clock().AdvanceTo(slot)
		type pending struct {
			a    snapshot.Adapter
			name string
		}
		var waits []pending
		for _, t := range targets {
			a, err := set.For(t.Service)
			if err != nil {
				return nil, err
			}
			name := naming.SnapshotName(t.Service, policyName, t.ID, slot)
			all := maps.Clone(tags)
			if all == nil {
				all = map[string]string{}
			}
			maps.Copy(all, naming.ManagedTags(policyName, t.ID, slot))
			if _, err := a.Create(ctx, snapshot.CreateInput{SourceID: t.ID, SourceKind: t.Kind, Name: name, Tags: all}); err != nil {
				return nil, fmt.Errorf("history: %s %s at %s: %w", t.Service, t.ID, slot.Format(time.RFC3339), err)
			}
			out[t.ID] = append(out[t.ID], name)
			waits = append(waits, pending{a, name})
		}
		for _, w := range waits {
			if err := r.waitAvailable(ctx, w.a, w.name); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// CopyHistory gives the snapshots CreateHistory made the copies the policy
// would have made of them (the default copy prefix, the managed tags plus
// tags, and snapflow:copy-of), each slot at its own time. It returns the
// copy names by target ID.
func (r *Runner) CopyHistory(ctx context.Context, policyName string, targets []events.Target, slots []time.Time, tags map[string]string) (map[string][]string, error) {
	set := adapters.New(r.AWSConfig(HistoryAccessKey))
	sorted := append([]time.Time(nil), slots...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	out := map[string][]string{}
	for _, slot := range sorted {
		if r.aws.Clock().Now().Before(slot) {
			r.aws.Clock().AdvanceTo(slot)
		}
		for _, t := range targets {
			a, err := set.For(t.Service)
			if err != nil {
				return nil, err
			}
			all := maps.Clone(tags)
			if all == nil {
				all = map[string]string{}
			}
			maps.Copy(all, naming.ManagedTags(policyName, t.ID, slot))
			source := naming.SnapshotName(t.Service, policyName, t.ID, slot)
			all[tagCopyOf] = source
			name := naming.CopyName(t.Service, "", policyName, t.ID, slot)
			if _, err := a.Copy(ctx, snapshot.CopyInput{SourceName: source, TargetName: name, Tags: all}); err != nil {
				return nil, fmt.Errorf("history: copy of %s: %w", source, err)
			}
			if err := r.waitAvailable(ctx, a, name); err != nil {
				return nil, err
			}
			out[t.ID] = append(out[t.ID], name)
		}
	}
	return out, nil
}

// waitAvailable moves the clock a minute at a time until the snapshot is
// available.
func (r *Runner) waitAvailable(ctx context.Context, a snapshot.Adapter, name string) error {
	for i := 0; ; i++ {
		sn, err := a.Describe(ctx, name)
		if err != nil {
			return fmt.Errorf("history: %s: %w", name, err)
		}
		if sn.Status == snapshot.Available {
			return nil
		}
		if sn.Status == snapshot.Failed || i > 1000 {
			return fmt.Errorf("history: %s is %s", name, sn.RawStatus)
		}
		r.aws.Clock().Advance(time.Minute)
	}
}
