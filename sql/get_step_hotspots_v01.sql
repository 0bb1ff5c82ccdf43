-- Per step (step name within a task namespace, name and version), the attempts since
-- since_timestamp (default: the last 24 hours) as listed by get_step_attempts_v01, optionally
-- filtered by namespace, task name and version; the limit_count steps with the most retries
-- first, then the most failures, then the longest average run plus queue wait.
--   * attempts: attempts in the window; retries: those that were not their step's first attempt
--     (summed over the steps, attempts − 1 each when all of a step's attempts fall in the window);
--   * failures: attempts that ended in error, and error_classes those failures by class
--     ({"TimeoutError": 3, …}, {} when none);
--   * avg_run_seconds: over attempts that completed; avg_queue_wait_seconds: over all attempts
--     (NULL without a sample).
CREATE OR REPLACE FUNCTION get_step_hotspots_v01(
  since_timestamp timestamptz DEFAULT NULL,
  limit_count integer DEFAULT 10,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (
  step_name varchar(128),
  task_name varchar(64),
  namespace_name varchar(64),
  version varchar(64),
  step_count bigint,
  attempts bigint,
  retries bigint,
  failures bigint,
  error_classes jsonb,
  avg_run_seconds numeric(12, 3),
  avg_queue_wait_seconds numeric(12, 3),
  last_failure_at timestamptz
)
LANGUAGE sql STABLE
AS $$
  WITH attempts AS (
    SELECT *
    FROM get_step_attempts_v01(since_timestamp, namespace_filter, task_name_filter, version_filter)
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
  )
  SELECT
    p.step_name,
    p.task_name,
    p.namespace_name,
    p.version,
    p.step_count,
    p.attempts,
    p.retries,
    p.failures,
    COALESCE(c.counts, '{}'::jsonb),
    round(p.avg_run, 3),
    round(p.avg_wait, 3),
    p.last_failure_at
  FROM per_step p
  LEFT JOIN classes c
    ON c.step_name = p.step_name AND c.task_name = p.task_name
   AND c.namespace_name = p.namespace_name AND c.version = p.version
  ORDER BY p.retries DESC, p.failures DESC, COALESCE(p.avg_run, 0) + COALESCE(p.avg_wait, 0) DESC,
           p.namespace_name, p.task_name, p.version, p.step_name
  LIMIT limit_count
$$;
