-- The executor's fast paths append one transition for a step or a task they have already read and
-- locked. Unlike tasker_transition_steps / tasker_transition_task these read no names and run no
-- guard beyond the transition table (the caller has checked the rest under its locks): read the
-- current row through the partial unique index, refuse a move the table does not allow, flip
-- most_recent and append the next row (sort_key + 10). applied = false writes nothing.

-- The caller holds the step's row lock (FOR UPDATE, or an UPDATE of the step).
CREATE OR REPLACE FUNCTION tasker_append_step_transition(
  p_step_id bigint,
  p_to_state text,
  p_allowed_from text[],
  p_metadata jsonb,
  OUT from_state text,
  OUT applied boolean,
  OUT transitioned_at timestamptz
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_id bigint;
  v_sort integer;
BEGIN
  SELECT cur.id, cur.to_state, cur.sort_key INTO v_id, from_state, v_sort
    FROM tasker_workflow_step_transitions cur
   WHERE cur.workflow_step_id = p_step_id AND cur.most_recent;
  from_state := COALESCE(from_state, 'pending');
  applied := from_state <> p_to_state AND from_state = ANY (p_allowed_from);
  IF NOT applied THEN
    RETURN;
  END IF;
  IF v_id IS NOT NULL THEN
    UPDATE tasker_workflow_step_transitions t SET most_recent = false, updated_at = now() WHERE t.id = v_id;
  END IF;
  INSERT INTO tasker_workflow_step_transitions (workflow_step_id, to_state, from_state, metadata, sort_key, most_recent)
  VALUES (p_step_id, p_to_state, from_state, p_metadata, COALESCE(v_sort, 0) + 10, true)
  RETURNING created_at INTO transitioned_at;
END;
$$;

-- Takes the task's row lock (FOR NO KEY UPDATE) itself, so a state read before it is read again.
-- A move to complete also sets tasks.complete; the caller has checked that every step is done.
CREATE OR REPLACE FUNCTION tasker_append_task_transition(
  p_task_id bigint,
  p_to_state text,
  p_allowed_from text[],
  p_metadata jsonb,
  OUT from_state text,
  OUT applied boolean,
  OUT transitioned_at timestamptz
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_id bigint;
  v_sort integer;
BEGIN
  PERFORM 1 FROM tasker_tasks t WHERE t.task_id = p_task_id FOR NO KEY UPDATE;
  SELECT cur.id, cur.to_state, cur.sort_key INTO v_id, from_state, v_sort
    FROM tasker_task_transitions cur
   WHERE cur.task_id = p_task_id AND cur.most_recent;
  from_state := COALESCE(from_state, 'pending');
  applied := from_state <> p_to_state AND from_state = ANY (p_allowed_from);
  IF NOT applied THEN
    RETURN;
  END IF;
  IF v_id IS NOT NULL THEN
    UPDATE tasker_task_transitions t SET most_recent = false, updated_at = now() WHERE t.id = v_id;
  END IF;
  INSERT INTO tasker_task_transitions (task_id, to_state, from_state, metadata, sort_key, most_recent)
  VALUES (p_task_id, p_to_state, from_state, p_metadata, COALESCE(v_sort, 0) + 10, true)
  RETURNING created_at INTO transitioned_at;
  IF p_to_state = 'complete' THEN
    UPDATE tasker_tasks t SET complete = true, updated_at = now() WHERE t.task_id = p_task_id;
  END IF;
END;
$$;
