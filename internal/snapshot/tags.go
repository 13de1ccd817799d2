package snapshot

import (
	"context"
	"maps"
	"strings"
)

// How every adapter reads and attaches tags is the same around its own SDK
// calls, which it passes in: a DescribeFunc and a TagsFunc.

// DescribeFunc finds one snapshot by name, without its tags (one call); a
// snapshot that does not exist is errclass.NotFound.
type DescribeFunc func(ctx context.Context, name string) (Snapshot, error)

// TagsFunc reads the tags of a snapshot (one call, by its ARN).
type TagsFunc func(ctx context.Context, sn Snapshot) (map[string]string, error)

// WithTags returns sn with a copy of tags: what Create and Copy answer for a
// snapshot tagged on creation.
func WithTags(sn Snapshot, tags map[string]string) Snapshot {
	sn.Tags = maps.Clone(tags)
	return sn
}

// DescribeTagged is Adapter.Describe: the snapshot describe finds, with the
// tags that tags reads (two calls).
func DescribeTagged(ctx context.Context, name string, describe DescribeFunc, tags TagsFunc) (Snapshot, error) {
	sn, err := describe(ctx, name)
	if err != nil {
		return Snapshot{}, err
	}
	if sn.Tags, err = tags(ctx, sn); err != nil {
		return Snapshot{}, err
	}
	return sn, nil
}

// AttachTags sets the Tags of each snapshot of list, in order, from tags
// (one call per snapshot), and returns list; the first error ends it. It is
// the second half of Adapter.List.
func AttachTags(ctx context.Context, list []Snapshot, tags TagsFunc) ([]Snapshot, error) {
	for i := range list {
		t, err := tags(ctx, list[i])
		if err != nil {
			return nil, err
		}
		list[i].Tags = t
	}
	return list, nil
}

// ResolveARN returns name when it is an ARN ("arn:…"), and otherwise the
// ARN of the snapshot describe finds by that name: Adapter.Tag's lookup,
// which an ARN saves.
func ResolveARN(ctx context.Context, name string, describe DescribeFunc) (string, error) {
	if strings.HasPrefix(name, "arn:") {
		return name, nil
	}
	sn, err := describe(ctx, name)
	if err != nil {
		return "", err
	}
	return sn.ARN, nil
}
