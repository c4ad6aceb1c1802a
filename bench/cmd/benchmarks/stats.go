package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// samples are repeated measurements of one thing.
type samples []time.Duration

// quantile is the nearest-rank q-quantile (0 < q <= 1).
func (s samples) quantile(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

func (s samples) median() time.Duration { return s.quantile(0.5) }
func (s samples) p90() time.Duration    { return s.quantile(0.9) }
func (s samples) min() time.Duration    { return slices.Min(s) }
func (s samples) max() time.Duration    { return slices.Max(s) }

func (s samples) sum() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// ms formats a duration in milliseconds with a precision that suits its size.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 1000:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// ratio formats a/b as "N.N×".
func ratio(a, b time.Duration) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

// mib formats kibibytes as MiB.
func mib(kib int64) string { return fmt.Sprintf("%.0f MiB", float64(kib)/1024) }
