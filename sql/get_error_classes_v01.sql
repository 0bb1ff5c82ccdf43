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
  SELECT
    a.error_class,
    count(*),
    count(DISTINCT a.workflow_step_id),
    array_agg(DISTINCT a.step_name::text ORDER BY a.step_name::text),
    max(a.ended_at)
  FROM get_step_attempts_v01(since_timestamp, namespace_filter, task_name_filter, version_filter) a
  WHERE a.outcome = 'error'
  GROUP BY a.error_class
  ORDER BY count(*) DESC, a.error_class
  LIMIT limit_count
$$;
