-- System analytics as one row (reference §4.7, same columns): current load, catalogue size, and
-- outcomes, rates and durations since since_timestamp (default: the last hour).
-- Fixes over the reference, which used step states as a proxy for task outcomes (§16 item 24):
--   * active_tasks_count: tasks whose current TASK state is pending or in_progress, or that have
--     no transition row yet (pending);
--   * completion_count / error_count: tasks created in the window whose current task state is
--     complete / error; system_health_score = completed / (completed + errored) over the same
--     window (the reference always used the last hour), 1.000 when there are none; the rates are
--     percentages of task_throughput, 0 when it is 0;
--   * avg_task_duration: seconds from task creation to its complete transition, over tasks that
--     completed in the window (whenever they were created);
--   * avg_step_duration: the steps' run time, from the step's last in_progress transition to its
--     complete transition, over steps that completed in the window (the reference measured from
--     step creation, which includes waiting for dependencies and backoff).
-- Durations are 0 when nothing completed. The declared numeric precisions document the scale;
-- values are rounded rather than cast so that an unusually long average cannot overflow.
CREATE OR REPLACE FUNCTION get_analytics_metrics_v01(since_timestamp timestamptz DEFAULT NULL)
RETURNS TABLE (
  active_tasks_count bigint,
  total_namespaces_count bigint,
  unique_task_types_count bigint,
  system_health_score numeric(5, 3),
  task_throughput bigint,
  completion_count bigint,
  error_count bigint,
  completion_rate numeric(5, 2),
  error_rate numeric(5, 2),
  avg_task_duration numeric(10, 3),
  avg_step_duration numeric(10, 3),
  step_throughput bigint,
  analysis_period_start timestamptz,
  calculated_at timestamptz
)
LANGUAGE sql STABLE
AS $$
  WITH period AS (
    SELECT COALESCE(since_timestamp, now() - interval '1 hour') AS since
  ),
  -- Every task is active unless its current transition is a finished state (no row means pending).
  active AS (
    SELECT
      (SELECT count(*) FROM tasker_tasks)
      - (
        SELECT count(*) FROM tasker_task_transitions tt
        WHERE tt.most_recent AND tt.to_state IN ('complete', 'error', 'cancelled', 'resolved_manually')
      ) AS tasks
  ),
  catalogue AS (
    SELECT count(DISTINCT nt.task_namespace_id) AS namespaces, count(DISTINCT nt.name) AS task_types
    FROM tasker_named_tasks nt
    WHERE EXISTS (SELECT 1 FROM tasker_tasks t WHERE t.named_task_id = nt.named_task_id)
  ),
  -- Per-row lookups (scalar subqueries) keep the cost proportional to the window, not the history.
  recent_tasks AS (
    SELECT
      t.task_id,
      (SELECT tt.to_state FROM tasker_task_transitions tt WHERE tt.task_id = t.task_id AND tt.most_recent) AS to_state
    FROM tasker_tasks t
    WHERE t.created_at > (SELECT p.since FROM period p)
  ),
  outcomes AS (
    SELECT
      count(*) AS throughput,
      count(*) FILTER (WHERE r.to_state = 'complete') AS completed,
      count(*) FILTER (WHERE r.to_state = 'error') AS errored,
      (
        SELECT count(*) FROM tasker_workflow_steps ws
        WHERE ws.task_id IN (SELECT rt.task_id FROM recent_tasks rt)
      ) AS steps
    FROM recent_tasks r
  ),
  task_durations AS (
    SELECT
      avg(extract(epoch FROM done.created_at - (SELECT t.created_at FROM tasker_tasks t WHERE t.task_id = done.task_id)))
        AS seconds
    FROM tasker_task_transitions done
    WHERE done.most_recent AND done.to_state = 'complete' AND done.created_at > (SELECT p.since FROM period p)
  ),
  step_durations AS (
    SELECT avg(extract(epoch FROM done.created_at - started.created_at)) AS seconds
    FROM tasker_workflow_step_transitions done
    CROSS JOIN LATERAL (
      SELECT s.created_at
      FROM tasker_workflow_step_transitions s
      WHERE s.workflow_step_id = done.workflow_step_id AND s.to_state = 'in_progress' AND s.sort_key < done.sort_key
      ORDER BY s.sort_key DESC
      LIMIT 1
    ) started
    WHERE done.most_recent AND done.to_state = 'complete' AND done.created_at > (SELECT p.since FROM period p)
  )
  SELECT
    a.tasks,
    c.namespaces,
    c.task_types,
    CASE WHEN o.completed + o.errored > 0
      THEN round(o.completed::numeric / (o.completed + o.errored), 3)
      ELSE 1.000
    END,
    o.throughput,
    o.completed,
    o.errored,
    CASE WHEN o.throughput > 0 THEN round(o.completed::numeric / o.throughput * 100, 2) ELSE 0.00 END,
    CASE WHEN o.throughput > 0 THEN round(o.errored::numeric / o.throughput * 100, 2) ELSE 0.00 END,
    round(COALESCE(td.seconds, 0), 3),
    round(COALESCE(sd.seconds, 0), 3),
    o.steps,
    p.since,
    now()
  FROM period p
  CROSS JOIN active a
  CROSS JOIN catalogue c
  CROSS JOIN outcomes o
  CROSS JOIN task_durations td
  CROSS JOIN step_durations sd
$$;
