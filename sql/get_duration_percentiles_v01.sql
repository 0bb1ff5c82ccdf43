-- Duration distributions over the window since since_timestamp (default: the last 24 hours),
-- optionally filtered by namespace, task name and version: one row per metric, in this order,
--   * task: tasks whose current state became complete or error in the window, from the task's
--     creation to that terminal transition;
--   * step_run: step attempts that completed in the window, from their in_progress transition to
--     their complete transition (the run time of get_analytics_metrics_v01's avg_step_duration);
--   * step_queue_wait: step attempts that ended in the window or are running and began in it, from
--     when they became runnable to their in_progress transition (the approximation is described in
--     get_step_attempts_v01).
-- Seconds; percentiles are continuous (percentile_cont, interpolated between samples). Figures are
-- NULL and sample_count 0 when a metric has no sample; they are rounded to 3 decimals, not cast,
-- so that an unusually long duration cannot overflow.
-- Cost: terminal task transitions are range-scanned in task_transitions_current_state_index.
CREATE OR REPLACE FUNCTION get_duration_percentiles_v01(
  since_timestamp timestamptz DEFAULT NULL,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (
  metric text,
  sample_count bigint,
  avg_seconds numeric(12, 3),
  p50_seconds numeric(12, 3),
  p95_seconds numeric(12, 3),
  p99_seconds numeric(12, 3),
  max_seconds numeric(12, 3)
)
LANGUAGE sql STABLE
AS $$
  WITH period AS (
    SELECT COALESCE(since_timestamp, now() - interval '24 hours') AS since
  ),
  scope AS (
    SELECT nt.named_task_id
    FROM tasker_named_tasks nt
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    WHERE (namespace_filter IS NULL OR tn.name = namespace_filter)
      AND (task_name_filter IS NULL OR nt.name = task_name_filter)
      AND (version_filter IS NULL OR nt.version = version_filter)
  ),
  task_samples AS (
    SELECT extract(epoch FROM done.created_at - t.created_at) AS seconds
    FROM tasker_task_transitions done
    JOIN tasker_tasks t ON t.task_id = done.task_id
    WHERE done.most_recent
      AND done.to_state IN ('complete', 'error')
      AND done.created_at > (SELECT p.since FROM period p)
      AND t.named_task_id IN (SELECT s.named_task_id FROM scope s)
  ),
  attempts AS (
    SELECT a.outcome, a.run_seconds, a.queue_wait_seconds
    FROM get_step_attempts_v01(
      (SELECT p.since FROM period p), namespace_filter, task_name_filter, version_filter
    ) a
  ),
  samples AS (
    SELECT 'task' AS metric, ts.seconds FROM task_samples ts
    UNION ALL
    SELECT 'step_run', a.run_seconds FROM attempts a WHERE a.outcome = 'complete'
    UNION ALL
    SELECT 'step_queue_wait', a.queue_wait_seconds FROM attempts a
  )
  SELECT
    m.metric,
    count(s.seconds),
    round(avg(s.seconds), 3),
    round(percentile_cont(0.50) WITHIN GROUP (ORDER BY s.seconds::double precision)::numeric, 3),
    round(percentile_cont(0.95) WITHIN GROUP (ORDER BY s.seconds::double precision)::numeric, 3),
    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY s.seconds::double precision)::numeric, 3),
    round(max(s.seconds), 3)
  FROM (VALUES (1, 'task'), (2, 'step_run'), (3, 'step_queue_wait')) AS m(position, metric)
  LEFT JOIN samples s ON s.metric = m.metric
  GROUP BY m.position, m.metric
  ORDER BY m.position
$$;
