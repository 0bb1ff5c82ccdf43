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
  -- The aggregation lives in get_bottleneck_report_v01 (which builds the attempts once for all of
  -- its sections); this function returns its hot spots as rows.
  SELECT h."stepName", h."taskName", h.namespace, h.version, h."stepCount", h.attempts, h.retries,
         h.failures, h."errorClasses", h."avgRunSeconds", h."avgQueueWaitSeconds", h."lastFailureAt"
    FROM get_bottleneck_report_v01(since_timestamp, limit_count, namespace_filter, task_name_filter, version_filter) r
   CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(r.hotspots) AS (
         "stepName" varchar(128), "taskName" varchar(64), namespace varchar(64), version varchar(64),
         "stepCount" bigint, attempts bigint, retries bigint, failures bigint, "errorClasses" jsonb,
         "avgRunSeconds" numeric(12, 3), "avgQueueWaitSeconds" numeric(12, 3), "lastFailureAt" timestamptz)) WITH ORDINALITY AS h
   ORDER BY h.ordinality
$$;
