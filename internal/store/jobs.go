package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

func (t *tx) EnsureJob(ctx context.Context, name string, firstRun, latest time.Time) error {
	if _, err := t.exec(ctx, `INSERT INTO job_leases (name, next_run_at) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET next_run_at = CASE WHEN job_leases.next_run_at > ? THEN ? ELSE job_leases.next_run_at END`,
		name, tm(firstRun), tm(latest), tm(latest)); err != nil {
		return fmt.Errorf("ensure job %s: %w", name, err)
	}
	return nil
}

const jobColumns = `name, next_run_at, running_by, lease_until, run_requested_by, started_at, finished_at, last_result,
	last_error, last_items, last_duration_ms, failed_attempts, runs, failures, items`

type rowScanner interface{ Scan(dest ...any) error }

func scanJob(r rowScanner) (*registry.JobState, error) {
	var j registry.JobState
	var next, lease, started, finished string
	var ms int64
	if err := r.Scan(&j.Name, &next, &j.RunningBy, &lease, &j.RunRequestedBy, &started, &finished, &j.LastResult,
		&j.LastError, &j.LastItems, &ms, &j.FailedAttempts, &j.Runs, &j.Failures, &j.Items); err != nil {
		return nil, err
	}
	j.NextRunAt, j.LeaseUntil, j.StartedAt, j.FinishedAt = parseTime(next), parseTime(lease), parseTime(started), parseTime(finished)
	j.LastDuration = time.Duration(ms) * time.Millisecond
	return &j, nil
}

func (t *tx) ClaimJob(ctx context.Context, name, runner string, now, leaseUntil time.Time) (*registry.JobState, error) {
	// One conditional UPDATE: the row lock (PostgreSQL) or the write lock
	// (SQLite) lets exactly one claimer match; the others see the lease
	// already set and update nothing. A lease that ended (its runner
	// crashed or hung) can be taken over.
	rows, err := t.query(ctx, `UPDATE job_leases SET running_by = ?, lease_until = ?, run_requested_by = ''
		WHERE name = ? AND next_run_at <= ? AND (running_by = '' OR lease_until <= ?)
		RETURNING `+jobColumns, runner, tm(leaseUntil), name, tm(now), tm(now))
	if err != nil {
		return nil, fmt.Errorf("claim job %s: %w", name, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	j, err := scanJob(rows)
	if err != nil {
		return nil, fmt.Errorf("claim job %s: %w", name, err)
	}
	return j, rows.Err()
}

func (t *tx) FinishJob(ctx context.Context, name, runner string, r registry.JobRun) (bool, error) {
	result, failed := "ok", 0
	if r.Err != "" {
		result, failed = "failed", 1
	}
	// A run asked for while this one ran (run_requested_by set after the
	// claim cleared it) makes the job due again at once.
	res, err := t.exec(ctx, `UPDATE job_leases SET running_by = '', lease_until = '',
		next_run_at = CASE WHEN run_requested_by <> '' THEN ? ELSE ? END,
		started_at = ?, finished_at = ?, last_result = ?, last_error = ?, last_items = ?, last_duration_ms = ?,
		failed_attempts = CASE WHEN ? = 1 THEN failed_attempts + 1 ELSE 0 END,
		runs = runs + 1, failures = failures + ?, items = items + ?
		WHERE name = ? AND running_by = ?`,
		tm(r.FinishedAt), tm(r.NextRunAt), tm(r.StartedAt), tm(r.FinishedAt), result, r.Err, r.Items, r.Duration.Milliseconds(),
		failed, failed, r.Items, name, runner)
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", name, err)
	}
	if n != 1 {
		return false, nil
	}
	// The run's own row, in the same transaction as the lease it ends, and
	// the job's rows older than the history kept.
	if _, err := t.exec(ctx, `INSERT INTO job_runs (name, runner, due_at, started_at, finished_at, result, items)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, name, runner, tm(r.DueAt), tm(r.StartedAt), tm(r.FinishedAt), result, r.Items); err != nil {
		return false, fmt.Errorf("finish job %s: record the run: %w", name, err)
	}
	if _, err := t.exec(ctx, `DELETE FROM job_runs WHERE name = ? AND finished_at < ?`,
		name, tm(r.FinishedAt.Add(-registry.JobRunsKept))); err != nil {
		return false, fmt.Errorf("finish job %s: prune its runs: %w", name, err)
	}
	return true, nil
}

func (t *tx) JobRuns(ctx context.Context, name string) ([]registry.JobRunRecord, error) {
	rows, err := t.query(ctx, `SELECT runner, due_at, started_at, finished_at, result, items FROM job_runs
		WHERE name = ? ORDER BY started_at, runner`, name)
	if err != nil {
		return nil, fmt.Errorf("job runs %s: %w", name, err)
	}
	defer rows.Close()
	var out []registry.JobRunRecord
	for rows.Next() {
		var r registry.JobRunRecord
		var due, start, end string
		if err := rows.Scan(&r.Runner, &due, &start, &end, &r.Result, &r.Items); err != nil {
			return nil, fmt.Errorf("job runs %s: %w", name, err)
		}
		r.DueAt, r.StartedAt, r.FinishedAt = parseTime(due), parseTime(start), parseTime(end)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t *tx) RenewJobLease(ctx context.Context, name, runner string, now, until time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE job_leases SET lease_until = ? WHERE name = ? AND running_by = ? AND lease_until > ?`,
		tm(until), name, runner, tm(now))
	if err != nil {
		return false, fmt.Errorf("renew job lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("renew job lease %s: %w", name, err)
	}
	return n == 1, nil
}

func (t *tx) RequestJobRun(ctx context.Context, name, by string, at time.Time) error {
	res, err := t.exec(ctx, `UPDATE job_leases SET run_requested_by = ?,
		next_run_at = CASE WHEN next_run_at > ? THEN ? ELSE next_run_at END WHERE name = ?`, by, tm(at), tm(at), name)
	if err := mustAffect(res, err, "no background job is named %q", name); err != nil {
		return fmt.Errorf("request job run: %w", err)
	}
	return nil
}

func (t *tx) JobStates(ctx context.Context) ([]*registry.JobState, error) {
	rows, err := t.query(ctx, `SELECT `+jobColumns+` FROM job_leases ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("job states: %w", err)
	}
	defer rows.Close()
	var out []*registry.JobState
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("job states: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
