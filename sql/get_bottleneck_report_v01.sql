-- The step-attempt part of /analytics/bottlenecks in one call: what get_duration_percentiles_v01,
-- get_step_hotspots_v01 (limit_count rows) and get_error_classes_v01 (limit_count rows) return for
-- the same window and filters, as one row of three jsonb arrays whose objects have the camelCase
-- keys of src/db/queries/analytics.ts (timestamps as ISO strings). The attempts are built ONCE
-- (get_step_attempts_v01, materialised) instead of once per function: the attempts are most of
-- the cost, so this is about three times cheaper than calling the three functions.
CREATE OR REPLACE FUNCTION get_bottleneck_report_v01(
  since_timestamp timestamptz DEFAULT NULL,
  limit_count integer DEFAULT 10,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (durations jsonb, hotspots jsonb, error_classes jsonb)
LANGUAGE sql STABLE
SET jit = off
AS $$
  WITH period AS (
    SELECT COALESCE(since_timestamp, now() - interval '24 hours') AS since
  ),
  attempts AS MATERIALIZED (
    SELECT a.*
    FROM get_step_attempts_v01(
      (SELECT p.since FROM period p), namespace_filter, task_name_filter, version_filter
    ) a
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
  samples AS (
    SELECT 'task' AS metric, ts.seconds FROM task_samples ts
    UNION ALL
    SELECT 'step_run', a.run_seconds FROM attempts a WHERE a.outcome = 'complete'
    UNION ALL
    SELECT 'step_queue_wait', a.queue_wait_seconds FROM attempts a
  ),
  duration_rows AS (
    SELECT
      m.position,
      m.metric,
      count(s.seconds) AS "count",
      round(avg(s.seconds), 3) AS "avg",
      round(percentile_cont(0.50) WITHIN GROUP (ORDER BY s.seconds::double precision)::numeric, 3) AS p50,
      round(percentile_cont(0.95) WITHIN GROUP (ORDER BY s.seconds::double precision)::numeric, 3) AS p95,
      round(percentile_cont(0.99) WITHIN GROUP (ORDER BY s.seconds::double precision)::numeric, 3) AS p99,
      round(max(s.seconds), 3) AS "max"
    FROM (VALUES (1, 'task'), (2, 'step_run'), (3, 'step_queue_wait')) AS m(position, metric)
    LEFT JOIN samples s ON s.metric = m.metric
    GROUP BY m.position, m.metric
  ),
  classes AS (
    SELECT c.step_name, c.task_name, c.namespace_name, c.version, jsonb_object_agg(c.error_class, c.failures) AS counts
    FROM (
      SELECT a.step_name, a.task_name, a.namespace_name, a.version, a.error_class, count(*) AS failures
      FROM attempts a
      WHERE a.outcome = 'error'
      GROUP BY a.step_name, a.task_name, a.namespace_name, a.version, a.error_class
    ) c
    GROUP BY c.step_name, c.task_name, c.namespace_name, c.version
  ),
  per_step AS (
    SELECT
      a.step_name,
      a.task_name,
      a.namespace_name,
      a.version,
      count(DISTINCT a.workflow_step_id) AS step_count,
      count(*) AS attempts,
      count(*) FILTER (WHERE a.attempt_number > 1) AS retries,
      count(*) FILTER (WHERE a.outcome = 'error') AS failures,
      avg(a.run_seconds) FILTER (WHERE a.outcome = 'complete') AS avg_run,
      avg(a.queue_wait_seconds) AS avg_wait,
      max(a.ended_at) FILTER (WHERE a.outcome = 'error') AS last_failure_at
    FROM attempts a
    GROUP BY a.step_name, a.task_name, a.namespace_name, a.version
  ),
  hotspot_rows AS (
    SELECT
      row_number() OVER (
        ORDER BY p.retries DESC, p.failures DESC, COALESCE(p.avg_run, 0) + COALESCE(p.avg_wait, 0) DESC,
                 p.namespace_name, p.task_name, p.version, p.step_name
      ) AS position,
      p.step_name AS "stepName",
      p.task_name AS "taskName",
      p.namespace_name AS namespace,
      p.version,
      p.step_count AS "stepCount",
      p.attempts,
      p.retries,
      p.failures,
      COALESCE(c.counts, '{}'::jsonb) AS "errorClasses",
      round(p.avg_run, 3) AS "avgRunSeconds",
      round(p.avg_wait, 3) AS "avgQueueWaitSeconds",
      p.last_failure_at AS "lastFailureAt"
    FROM per_step p
    LEFT JOIN classes c
      ON c.step_name = p.step_name AND c.task_name = p.task_name
     AND c.namespace_name = p.namespace_name AND c.version = p.version
  ),
  class_rows AS (
    SELECT
      row_number() OVER (ORDER BY count(*) DESC, a.error_class) AS position,
      a.error_class AS "errorClass",
      count(*) AS failures,
      count(DISTINCT a.workflow_step_id) AS "stepCount",
      array_agg(DISTINCT a.step_name::text ORDER BY a.step_name::text) AS "stepNames",
      max(a.ended_at) AS "lastFailureAt"
    FROM attempts a
    WHERE a.outcome = 'error'
    GROUP BY a.error_class
  )
  SELECT
    (SELECT jsonb_agg(to_jsonb(d) - 'position' ORDER BY d.position) FROM duration_rows d),
    (SELECT COALESCE(jsonb_agg(to_jsonb(h) - 'position' ORDER BY h.position), '[]'::jsonb)
       FROM hotspot_rows h WHERE h.position <= limit_count),
    (SELECT COALESCE(jsonb_agg(to_jsonb(c) - 'position' ORDER BY c.position), '[]'::jsonb)
       FROM class_rows c WHERE c.position <= limit_count)
$$;
