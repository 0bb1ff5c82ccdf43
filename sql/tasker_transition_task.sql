-- Moves a task to p_to_state in one round trip (the TypeScript transition service owns the
-- transition table and passes the states allowed to move to p_to_state). Locks the task row, reads
-- its current state in a separate statement (VOLATILE: a fresh snapshot after the lock), applies the
-- guard for `complete` (every step complete or resolved manually), flips most_recent, appends the
-- transition and sets tasks.complete. Returns one row; applied = false with a refusal when refused;
-- no row when the task does not exist.
CREATE OR REPLACE FUNCTION tasker_transition_task(
  p_task_id bigint,
  p_to_state text,
  p_allowed_from text[],
  p_metadata jsonb,
  p_initial boolean DEFAULT false
)
RETURNS TABLE (
  from_state text,
  applied boolean,
  refusal text,
  transitioned_at timestamptz,
  task_name text,
  namespace text,
  version text
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_from text;
  v_sort integer;
  v_refusal text;
  v_at timestamptz;
  v_not_done bigint;
  v_name text;
  v_namespace text;
  v_version text;
BEGIN
  PERFORM 1 FROM tasker_tasks t WHERE t.task_id = p_task_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT cur.to_state, cur.sort_key, nt.name, ns.name, nt.version
    INTO v_from, v_sort, v_name, v_namespace, v_version
    FROM tasker_tasks t
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces ns ON ns.task_namespace_id = nt.task_namespace_id
    LEFT JOIN LATERAL (SELECT cur_t.to_state, cur_t.created_at, cur_t.sort_key FROM tasker_task_transitions cur_t WHERE cur_t.task_id = t.task_id AND cur_t.most_recent LIMIT 1) cur ON true
   WHERE t.task_id = p_task_id;

  IF p_initial THEN
    IF v_from IS NOT NULL THEN
      v_refusal := 'the task already has transitions';
    END IF;
  ELSIF COALESCE(v_from, 'pending') = p_to_state THEN
    v_refusal := format('already in state ''%s''', p_to_state);
  ELSIF NOT (COALESCE(v_from, 'pending') = ANY (p_allowed_from)) THEN
    v_refusal := format('''%s'' → ''%s'' is not an allowed transition', COALESCE(v_from, 'pending'), p_to_state);
  ELSIF p_to_state = 'complete' THEN
    -- A correlated lookup per step (the partial unique index on most_recent), so the cost follows
    -- the task's size, never the size of the whole transition history.
    SELECT count(*) INTO v_not_done
      FROM tasker_workflow_steps ws
     WHERE ws.task_id = p_task_id
       AND NOT EXISTS (
         SELECT 1 FROM tasker_workflow_step_transitions cur
          WHERE cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
            AND cur.to_state IN ('complete', 'resolved_manually')
       );
    IF v_not_done > 0 THEN
      v_refusal := format('%s step(s) are not complete', v_not_done);
    END IF;
  END IF;

  IF v_refusal IS NULL THEN
    UPDATE tasker_task_transitions tt SET most_recent = false, updated_at = now()
     WHERE tt.task_id = p_task_id AND tt.most_recent;
    INSERT INTO tasker_task_transitions (task_id, to_state, from_state, metadata, sort_key, most_recent)
    VALUES (
      p_task_id, p_to_state, CASE WHEN p_initial THEN NULL ELSE COALESCE(v_from, 'pending') END, p_metadata,
      CASE WHEN p_initial THEN 0 ELSE COALESCE(v_sort, 0) + 10 END, true
    )
    RETURNING created_at INTO v_at;
    IF p_to_state = 'complete' THEN
      UPDATE tasker_tasks t SET complete = true, updated_at = now() WHERE t.task_id = p_task_id;
    END IF;
  END IF;

  RETURN QUERY SELECT
    CASE WHEN p_initial THEN NULL ELSE COALESCE(v_from, 'pending') END,
    v_refusal IS NULL, v_refusal, v_at, v_name, v_namespace, v_version;
END;
$$;
