-- Moves steps to p_to_state in one round trip (used by the TypeScript transition service, which owns
-- the transition table and passes the states allowed to move to p_to_state). Locks the steps in id
-- order, then reads their current state in a separate statement (this function is VOLATILE, so each
-- statement sees rows committed while it waited for the lock), flips most_recent and appends the rows.
-- Returns one row per requested step: applied = true when the transition was written, otherwise
-- refusal says why; nothing is written for refused steps.
CREATE OR REPLACE FUNCTION tasker_transition_steps(
  p_step_ids bigint[],
  p_to_state text,
  p_allowed_from text[],
  p_check_parents boolean,
  p_metadata jsonb
)
RETURNS TABLE (
  workflow_step_id bigint,
  task_id bigint,
  namespace text,
  step_name text,
  attempts integer,
  retry_limit integer,
  from_state text,
  applied boolean,
  refusal text,
  transitioned_at timestamptz
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
  PERFORM 1 FROM tasker_workflow_steps ws
    WHERE ws.workflow_step_id = ANY (p_step_ids) ORDER BY ws.workflow_step_id FOR UPDATE;

  RETURN QUERY
  WITH current AS (
    SELECT ws.workflow_step_id, ws.task_id, tns.name::text AS namespace, ns.name::text AS step_name, ws.attempts, ws.retry_limit,
           COALESCE(cur.to_state, 'pending')::text AS from_state, COALESCE(cur.sort_key, 0) AS sort_key,
           CASE
             WHEN COALESCE(cur.to_state, 'pending') = p_to_state THEN format('already in state ''%s''', p_to_state)
             WHEN NOT (COALESCE(cur.to_state, 'pending') = ANY (p_allowed_from))
               THEN format('''%s'' → ''%s'' is not an allowed transition', COALESCE(cur.to_state, 'pending'), p_to_state)
             WHEN p_check_parents AND EXISTS (
               SELECT 1 FROM tasker_workflow_step_edges e
               LEFT JOIN LATERAL (SELECT parent_t.to_state, parent_t.created_at, parent_t.sort_key FROM tasker_workflow_step_transitions parent_t WHERE parent_t.workflow_step_id = e.from_step_id AND parent_t.most_recent LIMIT 1) parent ON true
               WHERE e.to_step_id = ws.workflow_step_id
                 AND COALESCE(parent.to_state, 'pending') NOT IN ('complete', 'resolved_manually')
             ) THEN 'its parent steps are not all complete'
           END AS refusal
      FROM tasker_workflow_steps ws
      JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
      JOIN tasker_tasks t ON t.task_id = ws.task_id
      JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
      JOIN tasker_task_namespaces tns ON tns.task_namespace_id = nt.task_namespace_id
      LEFT JOIN LATERAL (SELECT cur_t.to_state, cur_t.created_at, cur_t.sort_key FROM tasker_workflow_step_transitions cur_t WHERE cur_t.workflow_step_id = ws.workflow_step_id AND cur_t.most_recent LIMIT 1) cur ON true
     WHERE ws.workflow_step_id = ANY (p_step_ids)
  ),
  flipped AS (
    UPDATE tasker_workflow_step_transitions t SET most_recent = false, updated_at = now()
      FROM current c
     WHERE c.refusal IS NULL AND t.workflow_step_id = c.workflow_step_id AND t.most_recent
    RETURNING t.workflow_step_id
  ),
  inserted AS (
    -- The scalar subquery makes the flip run first, so the partial unique index on most_recent holds.
    INSERT INTO tasker_workflow_step_transitions (workflow_step_id, to_state, from_state, metadata, sort_key, most_recent)
    SELECT c.workflow_step_id, p_to_state, c.from_state, p_metadata, c.sort_key + 10, true
      FROM current c
     WHERE c.refusal IS NULL AND (SELECT count(*) FROM flipped) >= 0
    RETURNING workflow_step_id, created_at
  )
  SELECT c.workflow_step_id, c.task_id, c.namespace, c.step_name, c.attempts, c.retry_limit, c.from_state,
         c.refusal IS NULL, c.refusal, i.created_at
    FROM current c
    LEFT JOIN inserted i ON i.workflow_step_id = c.workflow_step_id
   ORDER BY c.workflow_step_id;
END;
$$;
