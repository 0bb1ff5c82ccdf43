-- The performance trends of /analytics/performance in one pass: for each of window_hours (default
-- 1, 4 and 24 hours before as_of, default now()), one row with the figures
-- get_analytics_metrics_v01(as_of − window) returns for the same names (same definitions). The
-- tasks created and the tasks and steps that finished in the widest window are read once and
-- counted per window with FILTER clauses, instead of one get_analytics_metrics_v01 call per window.
CREATE OR REPLACE FUNCTION get_analytics_trends_v01(
  as_of timestamptz DEFAULT NULL,
  window_hours integer[] DEFAULT ARRAY[1, 4, 24]
)
RETURNS TABLE (
  hours integer,
  task_throughput bigint,
  completion_count bigint,
  error_count bigint,
  completion_rate numeric(5, 2),
  error_rate numeric(5, 2),
  avg_task_duration numeric(10, 3),
  avg_step_duration numeric(10, 3),
  step_throughput bigint
)
LANGUAGE sql STABLE
SET jit = off
AS $$
  WITH windows AS (
    SELECT w.hours, COALESCE(as_of, now()) - make_interval(hours => w.hours) AS since
    FROM unnest(window_hours) AS w(hours)
  ),
  widest AS (
    SELECT min(w.since) AS since FROM windows w
  ),
  recent_tasks AS MATERIALIZED (
    SELECT
      t.task_id,
      t.created_at,
      (SELECT tt.to_state FROM tasker_task_transitions tt WHERE tt.task_id = t.task_id AND tt.most_recent) AS to_state,
      (SELECT count(*) FROM tasker_workflow_steps ws WHERE ws.task_id = t.task_id) AS steps
    FROM tasker_tasks t
    WHERE t.created_at > (SELECT since FROM widest)
  ),
  task_done AS MATERIALIZED (
    SELECT done.created_at AS done_at, extract(epoch FROM done.created_at - t.created_at) AS seconds
    FROM tasker_task_transitions done
    JOIN tasker_tasks t ON t.task_id = done.task_id
    WHERE done.most_recent AND done.to_state = 'complete' AND done.created_at > (SELECT since FROM widest)
  ),
  step_done AS MATERIALIZED (
    SELECT done.created_at AS done_at, extract(epoch FROM done.created_at - started.created_at) AS seconds
    FROM tasker_workflow_step_transitions done
    CROSS JOIN LATERAL (
      SELECT s.created_at
      FROM tasker_workflow_step_transitions s
      WHERE s.workflow_step_id = done.workflow_step_id AND s.to_state = 'in_progress' AND s.sort_key < done.sort_key
      ORDER BY s.sort_key DESC
      LIMIT 1
    ) started
    WHERE done.most_recent AND done.to_state = 'complete' AND done.created_at > (SELECT since FROM widest)
  ),
  outcomes AS (
    SELECT
      w.hours,
      count(r.task_id) AS throughput,
      count(r.task_id) FILTER (WHERE r.to_state = 'complete') AS completed,
      count(r.task_id) FILTER (WHERE r.to_state = 'error') AS errored,
      COALESCE(sum(r.steps), 0)::bigint AS steps
    FROM windows w
    LEFT JOIN recent_tasks r ON r.created_at > w.since
    GROUP BY w.hours
  ),
  task_durations AS (
    SELECT w.hours, avg(d.seconds) AS seconds
    FROM windows w LEFT JOIN task_done d ON d.done_at > w.since
    GROUP BY w.hours
  ),
  step_durations AS (
    SELECT w.hours, avg(d.seconds) AS seconds
    FROM windows w LEFT JOIN step_done d ON d.done_at > w.since
    GROUP BY w.hours
  )
  SELECT
    o.hours,
    o.throughput,
    o.completed,
    o.errored,
    CASE WHEN o.throughput > 0 THEN round(o.completed::numeric / o.throughput * 100, 2) ELSE 0.00 END,
    CASE WHEN o.throughput > 0 THEN round(o.errored::numeric / o.throughput * 100, 2) ELSE 0.00 END,
    round(COALESCE(td.seconds, 0), 3),
    round(COALESCE(sd.seconds, 0), 3),
    o.steps
  FROM outcomes o
  JOIN task_durations td ON td.hours = o.hours
  JOIN step_durations sd ON sd.hours = o.hours
  ORDER BY o.hours
$$;
