-- Task duration (creation → complete/error), step run time (in_progress → complete) and step queue
-- wait (runnable → in_progress) in one window: count, average, p50/p95/p99 (percentile_cont,
-- interpolated) and maximum, in seconds rounded to milliseconds; NULL figures when a metric has no
-- samples. The answers of get_duration_percentiles_v01, from the rolled-up attempts
-- (get_step_attempt_samples_v02) and one sort per metric (the three percentiles are computed
-- together).
CREATE OR REPLACE FUNCTION get_duration_percentiles_v02(
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
SET work_mem = '256MB'
SET jit = off
AS $$
  WITH period AS (
    SELECT COALESCE(since_timestamp, now() - interval '24 hours') AS since
  ),
  task_samples AS (
    SELECT date_part('epoch', done.created_at - t.created_at) AS seconds
    FROM tasker_task_transitions done
    JOIN tasker_tasks t ON t.task_id = done.task_id
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    WHERE done.most_recent
      AND done.to_state IN ('complete', 'error')
      AND done.created_at > (SELECT p.since FROM period p)
      AND (namespace_filter IS NULL OR tn.name = namespace_filter)
      AND (task_name_filter IS NULL OR nt.name = task_name_filter)
      AND (version_filter IS NULL OR nt.version = version_filter)
  ),
  attempts AS (
    SELECT a.outcome, a.run_seconds, a.queue_wait_seconds
    FROM get_step_attempt_samples_v02(
      (SELECT p.since FROM period p), namespace_filter, task_name_filter, version_filter
    ) a
  ),
  figures AS (
    SELECT 1 AS position, 'task' AS metric, count(s.seconds) AS n, avg(s.seconds::numeric) AS mean,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY s.seconds) AS p, max(s.seconds) AS top
    FROM task_samples s
    UNION ALL
    SELECT 2, 'step_run', count(a.run_seconds), avg(a.run_seconds::numeric),
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY a.run_seconds), max(a.run_seconds)
    FROM attempts a WHERE a.outcome = 'complete'
    UNION ALL
    SELECT 3, 'step_queue_wait', count(a.queue_wait_seconds), avg(a.queue_wait_seconds::numeric),
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY a.queue_wait_seconds),
           max(a.queue_wait_seconds)
    FROM attempts a
  )
  SELECT f.metric, f.n, round(f.mean, 3), round(f.p[1]::numeric, 3), round(f.p[2]::numeric, 3),
         round(f.p[3]::numeric, 3), round(f.top::numeric, 3)
  FROM figures f
  ORDER BY f.position
$$;
