package loadtest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

// OpResult is what one operation of the mix measured.
type OpResult struct {
	Op        string
	Count     int             // requests made, errors included
	Latencies []time.Duration // one per request, sorted ascending
	// Errors counts failed requests by "status message" ("409 conflict:
	// …", or "transport: …" when no answer came).
	Errors map[string]int
	// Retried counts answers the registry asked to retry (503 with
	// Retry-After) by "status message"; the request was sent again, so
	// they are not errors.
	Retried map[string]int
}

// ErrorCount is the number of failed requests.
func (r OpResult) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// Percentile returns the q-quantile (0 < q ≤ 1) of the latencies by the
// nearest-rank method (the smallest latency with at least q of them at or
// below it), 0 when there are none.
func (r OpResult) Percentile(q float64) time.Duration {
	return percentile(r.Latencies, q)
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// Nearest rank: ceil(q·n), 1-based.
	rank := int(q*float64(len(sorted)) + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Max is the largest latency, 0 when there are none.
func (r OpResult) Max() time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[len(r.Latencies)-1]
}

// recorder collects latencies and errors per operation; safe for the
// clients' goroutines.
type recorder struct {
	mu       sync.Mutex
	ops      map[string]*OpResult
	requests int
	errors   int
}

func newRecorder() *recorder { return &recorder{ops: map[string]*OpResult{}} }

// add records one request of op; errMsg is empty when it succeeded.
func (rc *recorder) add(op string, d time.Duration, errMsg string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	r := rc.ops[op]
	if r == nil {
		r = &OpResult{Op: op, Errors: map[string]int{}, Retried: map[string]int{}}
		rc.ops[op] = r
	}
	r.Count++
	r.Latencies = append(r.Latencies, d)
	rc.requests++
	if errMsg != "" {
		r.Errors[errMsg]++
		rc.errors++
	}
}

// retry tallies one answer of op that asked to be retried.
func (rc *recorder) retry(op, msg string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	r := rc.ops[op]
	if r == nil {
		r = &OpResult{Op: op, Errors: map[string]int{}, Retried: map[string]int{}}
		rc.ops[op] = r
	}
	r.Retried[msg]++
}

func (rc *recorder) counts() (requests, errors int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests, rc.errors
}

// results returns the operations in order (the mix's order, then any
// other by name), latencies sorted.
func (rc *recorder) results(order []string) []OpResult {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	names := slices.Sorted(maps.Keys(rc.ops))
	slices.SortStableFunc(names, func(a, b string) int {
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		if ia < 0 {
			ia = len(order)
		}
		if ib < 0 {
			ib = len(order)
		}
		return ia - ib
	})
	out := make([]OpResult, 0, len(names))
	for _, n := range names {
		r := *rc.ops[n]
		r.Latencies = slices.Clone(r.Latencies)
		slices.Sort(r.Latencies)
		r.Errors = maps.Clone(r.Errors)
		r.Retried = maps.Clone(r.Retried)
		out = append(out, r)
	}
	return out
}

// WriteTable writes one row per operation (count, throughput over
// elapsed, p50/p90/p99/max latency in milliseconds, errors), the errors
// and the retried answers by status and message under it, and a last line
// with the totals.
func WriteTable(w io.Writer, ops []OpResult, elapsed time.Duration) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\t")
	secs := elapsed.Seconds()
	if secs <= 0 {
		secs = 1e-9
	}
	total, errs := 0, 0
	for _, r := range ops {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t\n", r.Op, r.Count, float64(r.Count)/secs,
			ms(r.Percentile(.50)), ms(r.Percentile(.90)), ms(r.Percentile(.99)), ms(r.Max()), r.ErrorCount())
		total += r.Count
		errs += r.ErrorCount()
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range ops {
		for _, msg := range slices.Sorted(maps.Keys(r.Errors)) {
			fmt.Fprintf(w, "  error  %s: %d × %s\n", r.Op, r.Errors[msg], msg)
		}
		for _, msg := range slices.Sorted(maps.Keys(r.Retried)) {
			fmt.Fprintf(w, "  retried  %s: %d × %s (sent again after its Retry-After)\n", r.Op, r.Retried[msg], msg)
		}
	}
	_, err := fmt.Fprintf(w, "total: %d requests, %d errors, %.1f requests/s over %s\n", total, errs, float64(total)/secs, elapsed.Round(time.Millisecond))
	return err
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}
