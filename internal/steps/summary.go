package steps

import (
	"context"

	"github.com/snapflow/snapflow/events"
	"github.com/snapflow/snapflow/internal/summary"
)

// Summary sums up a run (internal/summary) with s's logger, metrics writer
// and clock.
func (s *Steps) Summary(ctx context.Context, in events.SummaryInput) (events.RunSummary, error) {
	return (&summary.Summarizer{Log: s.log(), Metrics: s.Metrics, Now: s.now}).Summary(ctx, in)
}
