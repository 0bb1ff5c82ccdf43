-- Step failures since since_timestamp (default: the last 24 hours) by error class, optionally
-- filtered by namespace, task name and version: the limit_count most frequent classes first (ties
-- by name), with how many distinct steps failed so, the step names concerned and the latest
-- failure. Attempts and their error_class are as listed by get_step_attempts_v01.
CREATE OR REPLACE FUNCTION get_error_classes_v01(
  since_timestamp timestamptz DEFAULT NULL,
  limit_count integer DEFAULT 10,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (
  error_class text,
  failures bigint,
  step_count bigint,
  step_names text[],
  last_failure_at timestamptz
)
LANGUAGE sql STABLE
AS $$
  -- The aggregation lives in get_bottleneck_report_v01 (which builds the attempts once for all of
  -- its sections); this function returns its error classes as rows.
  SELECT c."errorClass", c.failures, c."stepCount", c."stepNames", c."lastFailureAt"
    FROM get_bottleneck_report_v01(since_timestamp, limit_count, namespace_filter, task_name_filter, version_filter) r
   CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(r.error_classes) AS (
         "errorClass" text, failures bigint, "stepCount" bigint, "stepNames" text[], "lastFailureAt" timestamptz)) WITH ORDINALITY AS c
   ORDER BY c.ordinality
$$;
