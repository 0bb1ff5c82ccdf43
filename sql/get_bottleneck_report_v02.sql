-- The step-attempt part of /analytics/bottlenecks in one call, as one row of three jsonb arrays
-- whose objects have the camelCase keys of src/db/queries/analytics.ts (timestamps as ISO
-- strings): the duration figures of get_duration_percentiles_v02, and the retry hot spots and
-- error classes (limit_count rows each) of the window's attempts, read once from the rolled-up
-- attempts (get_step_attempt_samples_v02) and aggregated by definition ids; names are joined to
-- the aggregates, not to every attempt.
CREATE OR REPLACE FUNCTION get_bottleneck_report_v02(
  since_timestamp timestamptz DEFAULT NULL,
  limit_count integer DEFAULT 10,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (durations jsonb, hotspots jsonb, error_classes jsonb)
LANGUAGE sql STABLE
SET work_mem = '256MB'
SET jit = off
AS $$
  WITH period AS (
    SELECT COALESCE(since_timestamp, now() - interval '24 hours') AS since
  ),
  attempts AS MATERIALIZED (
    SELECT a.*
    FROM get_step_attempt_samples_v02(
      (SELECT p.since FROM period p), namespace_filter, task_name_filter, version_filter
    ) a
  ),
  definitions AS (
    SELECT nt.named_task_id, nt.name AS task_name, tn.name AS namespace_name, nt.version
    FROM tasker_named_tasks nt
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
  ),
  class_counts AS (
    SELECT a.named_task_id, a.named_step_id, a.error_class, count(*) AS failures
    FROM attempts a
    WHERE a.outcome = 'error'
    GROUP BY a.named_task_id, a.named_step_id, a.error_class
  ),
  -- Two levels (per step, then per definition) rather than count(DISTINCT workflow_step_id),
  -- which would sort every attempt.
  step_totals AS (
    SELECT
      a.named_task_id,
      a.named_step_id,
      count(*) AS attempts,
      count(*) FILTER (WHERE a.attempt_number > 1) AS retries,
      count(*) FILTER (WHERE a.outcome = 'error') AS failures,
      sum(a.run_seconds) FILTER (WHERE a.outcome = 'complete') AS run_sum,
      count(a.run_seconds) FILTER (WHERE a.outcome = 'complete') AS run_count,
      sum(a.queue_wait_seconds) AS wait_sum,
      count(a.queue_wait_seconds) AS wait_count,
      max(a.ended_at) FILTER (WHERE a.outcome = 'error') AS last_failure_at
    FROM attempts a
    GROUP BY a.workflow_step_id, a.named_task_id, a.named_step_id
  ),
  per_step AS (
    SELECT
      s.named_task_id,
      s.named_step_id,
      count(*) AS step_count,
      sum(s.attempts) AS attempts,
      sum(s.retries) AS retries,
      sum(s.failures) AS failures,
      (sum(s.run_sum) / NULLIF(sum(s.run_count), 0))::numeric AS avg_run,
      (sum(s.wait_sum) / NULLIF(sum(s.wait_count), 0))::numeric AS avg_wait,
      max(s.last_failure_at) AS last_failure_at
    FROM step_totals s
    GROUP BY s.named_task_id, s.named_step_id
  ),
  hotspot_rows AS (
    SELECT
      row_number() OVER (
        ORDER BY p.retries DESC, p.failures DESC, COALESCE(p.avg_run, 0) + COALESCE(p.avg_wait, 0) DESC,
                 d.namespace_name, d.task_name, d.version, ns.name
      ) AS position,
      ns.name AS "stepName",
      d.task_name AS "taskName",
      d.namespace_name AS namespace,
      d.version,
      p.step_count AS "stepCount",
      p.attempts,
      p.retries,
      p.failures,
      COALESCE((
        SELECT jsonb_object_agg(c.error_class, c.failures)
        FROM class_counts c
        WHERE c.named_task_id = p.named_task_id AND c.named_step_id = p.named_step_id
      ), '{}'::jsonb) AS "errorClasses",
      round(p.avg_run, 3) AS "avgRunSeconds",
      round(p.avg_wait, 3) AS "avgQueueWaitSeconds",
      p.last_failure_at AS "lastFailureAt"
    FROM per_step p
    JOIN definitions d ON d.named_task_id = p.named_task_id
    JOIN tasker_named_steps ns ON ns.named_step_id = p.named_step_id
  ),
  class_rows AS (
    SELECT
      row_number() OVER (ORDER BY count(*) DESC, a.error_class) AS position,
      a.error_class AS "errorClass",
      count(*) AS failures,
      count(DISTINCT a.workflow_step_id) AS "stepCount",
      array_agg(DISTINCT ns.name::text ORDER BY ns.name::text) AS "stepNames",
      max(a.ended_at) AS "lastFailureAt"
    FROM attempts a
    JOIN tasker_named_steps ns ON ns.named_step_id = a.named_step_id
    WHERE a.outcome = 'error'
    GROUP BY a.error_class
  )
  SELECT
    (SELECT jsonb_agg(jsonb_build_object(
              'metric', d.metric, 'count', d.sample_count, 'avg', d.avg_seconds, 'p50', d.p50_seconds,
              'p95', d.p95_seconds, 'p99', d.p99_seconds, 'max', d.max_seconds) ORDER BY d.position)
       FROM get_duration_percentiles_v02(
         (SELECT p.since FROM period p), namespace_filter, task_name_filter, version_filter
       ) WITH ORDINALITY AS d(metric, sample_count, avg_seconds, p50_seconds, p95_seconds, p99_seconds,
                               max_seconds, position)),
    (SELECT COALESCE(jsonb_agg(to_jsonb(h) - 'position' ORDER BY h.position), '[]'::jsonb)
       FROM hotspot_rows h WHERE h.position <= limit_count),
    (SELECT COALESCE(jsonb_agg(to_jsonb(c) - 'position' ORDER BY c.position), '[]'::jsonb)
       FROM class_rows c WHERE c.position <= limit_count)
$$;
