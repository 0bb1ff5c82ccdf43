-- Steps waiting on their dependencies now: steps of unfinished tasks (current task state pending
-- or in_progress, or no transition yet) that are pending (or have no transition) and have at
-- least one parent that is neither complete nor resolved_manually, optionally filtered by
-- namespace, task name and version. Grouped per step (step name within a task namespace, name and
-- version), most blocked first (ties by longest wait, then name): how many are blocked, the age in
-- seconds of the longest-waiting one (since its last pending transition, else its creation), and
-- the names of the parents they wait on.
-- Steps of tasks that ended (e.g. in error, where never-ready steps stay pending) are not blocked
-- but abandoned, and are left out.
-- Cost: unfinished tasks come from idx_tasks_active_operations (complete = false) and their
-- unprocessed steps from idx_workflow_steps_task_readiness, so finished history is not read.
CREATE OR REPLACE FUNCTION get_blocked_steps_v01(
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
  blocked_count bigint,
  oldest_blocked_seconds numeric(12, 3),
  waiting_on text[]
)
LANGUAGE sql STABLE
AS $$
  WITH scope AS (
    SELECT nt.named_task_id, nt.name AS task_name, tn.name AS namespace_name, nt.version
    FROM tasker_named_tasks nt
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    WHERE (namespace_filter IS NULL OR tn.name = namespace_filter)
      AND (task_name_filter IS NULL OR nt.name = task_name_filter)
      AND (version_filter IS NULL OR nt.version = version_filter)
  ),
  live_tasks AS (
    SELECT t.task_id, s.task_name, s.namespace_name, s.version
    FROM tasker_tasks t
    JOIN scope s ON s.named_task_id = t.named_task_id
    WHERE t.complete = false
      AND NOT EXISTS (
        SELECT 1 FROM tasker_task_transitions tt
        WHERE tt.task_id = t.task_id AND tt.most_recent
          AND tt.to_state IN ('complete', 'error', 'cancelled', 'resolved_manually')
      )
  ),
  pending_steps AS (
    SELECT
      ws.workflow_step_id,
      ws.named_step_id,
      lt.task_name,
      lt.namespace_name,
      lt.version,
      COALESCE(cur.created_at, ws.created_at) AS pending_since
    FROM live_tasks lt
    JOIN tasker_workflow_steps ws ON ws.task_id = lt.task_id AND ws.processed = false
    LEFT JOIN tasker_workflow_step_transitions cur
      ON cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
    WHERE COALESCE(cur.to_state, 'pending') = 'pending'
  ),
  waits AS (
    SELECT ps.*, parent_name.name AS parent_name
    FROM pending_steps ps
    JOIN tasker_workflow_step_edges e ON e.to_step_id = ps.workflow_step_id
    JOIN tasker_workflow_steps parent ON parent.workflow_step_id = e.from_step_id
    JOIN tasker_named_steps parent_name ON parent_name.named_step_id = parent.named_step_id
    LEFT JOIN tasker_workflow_step_transitions pcur
      ON pcur.workflow_step_id = e.from_step_id AND pcur.most_recent
    WHERE COALESCE(pcur.to_state, 'pending') NOT IN ('complete', 'resolved_manually')
  )
  SELECT
    ns.name,
    w.task_name,
    w.namespace_name,
    w.version,
    count(DISTINCT w.workflow_step_id),
    round(extract(epoch FROM now() - min(w.pending_since)), 3),
    array_agg(DISTINCT w.parent_name::text ORDER BY w.parent_name::text)
  FROM waits w
  JOIN tasker_named_steps ns ON ns.named_step_id = w.named_step_id
  GROUP BY ns.name, w.task_name, w.namespace_name, w.version
  ORDER BY count(DISTINCT w.workflow_step_id) DESC, min(w.pending_since), w.namespace_name, w.task_name,
           w.version, ns.name
  LIMIT limit_count
$$;
