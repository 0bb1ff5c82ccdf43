-- The step executor's claim in one statement for the common case: the step is pending, its
-- parents are done and its task may run steps. Then it moves the step to in_progress (guards and
-- locks as tasker_transition_steps), marks it in process, moves a pending task to in_progress, and
-- reads the results of the step's completed ancestors; started = true. Otherwise it writes nothing
-- and returns started = false (the executor then takes its general path: retries, abandoned
-- attempts, settled steps). No row when the task or step is missing. The TypeScript transition
-- table passes the states allowed to move into in_progress.
CREATE OR REPLACE FUNCTION tasker_start_step(
  p_task_id bigint,
  p_step_id bigint,
  p_job_id text,
  p_step_allowed_from text[],
  p_task_allowed_from text[]
)
RETURNS TABLE (
  task_id bigint,
  task_name text,
  namespace text,
  version text,
  task_state text,
  context jsonb,
  tags jsonb,
  step_id bigint,
  step_name text,
  step_state text,
  attempts integer,
  retry_limit integer,
  retryable boolean,
  in_process boolean,
  timeout_seconds integer,
  inputs jsonb,
  next_retry_at timestamptz,
  retry_eligible boolean,
  retry_due boolean,
  dependencies_satisfied boolean,
  total_parents integer,
  trace_context jsonb,
  started boolean,
  step_transitioned_at timestamptz,
  task_transitioned_at timestamptz,
  ancestors jsonb
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  c record;
  s record;
  tk record;
  v_task_at timestamptz;
  v_ancestors jsonb := '[]'::jsonb;
BEGIN
  SELECT * INTO c FROM tasker_claim_step(p_task_id, p_step_id);
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF c.step_state <> 'pending' OR c.task_state NOT IN ('pending', 'in_progress') OR NOT c.dependencies_satisfied THEN
    RETURN QUERY SELECT c.task_id, c.task_name, c.namespace, c.version, c.task_state, c.context, c.tags, c.step_id,
           c.step_name, c.step_state, c.attempts, c.retry_limit, c.retryable, c.in_process, c.timeout_seconds,
           c.inputs, c.next_retry_at, c.retry_eligible, c.retry_due, c.dependencies_satisfied, c.total_parents,
           NULL::jsonb, false, NULL::timestamptz, NULL::timestamptz, NULL::jsonb;
    RETURN;
  END IF;

  SELECT * INTO s FROM tasker_transition_steps(
    ARRAY[p_step_id], 'in_progress', p_step_allowed_from, true,
    jsonb_build_object('attempt_number', c.attempts + 1, 'job_id', p_job_id)
  );
  IF NOT s.applied THEN
    RETURN QUERY SELECT c.task_id, c.task_name, c.namespace, c.version, c.task_state, c.context, c.tags, c.step_id,
           c.step_name, c.step_state, c.attempts, c.retry_limit, c.retryable, c.in_process, c.timeout_seconds,
           c.inputs, c.next_retry_at, c.retry_eligible, c.retry_due, c.dependencies_satisfied, c.total_parents,
           NULL::jsonb, false, NULL::timestamptz, NULL::timestamptz, NULL::jsonb;
    RETURN;
  END IF;
  UPDATE tasker_workflow_steps ws
     SET in_process = true, last_attempted_at = now(), updated_at = now()
   WHERE ws.workflow_step_id = p_step_id;

  IF c.task_state = 'pending' THEN
    -- Claims of a task's first steps run side by side: one of them starts the task, the others find
    -- it started (refused, nothing written).
    SELECT * INTO tk FROM tasker_transition_task(p_task_id, 'in_progress', p_task_allowed_from, '{}'::jsonb);
    IF tk.applied THEN
      v_task_at := tk.transitioned_at;
    END IF;
  END IF;

  IF c.total_parents > 0 THEN
    WITH RECURSIVE ancestry(step_id) AS (
      SELECT e.from_step_id FROM tasker_workflow_step_edges e WHERE e.to_step_id = p_step_id
      UNION
      SELECT e.from_step_id FROM tasker_workflow_step_edges e JOIN ancestry a ON e.to_step_id = a.step_id
    )
    SELECT COALESCE(jsonb_agg(jsonb_build_object('name', ns.name, 'results', ws.results)), '[]'::jsonb)
      INTO v_ancestors
      FROM ancestry a
      JOIN tasker_workflow_steps ws ON ws.workflow_step_id = a.step_id
      JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
     WHERE EXISTS (
       SELECT 1 FROM tasker_workflow_step_transitions cur
        WHERE cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
          AND cur.to_state IN ('complete', 'resolved_manually')
     );
  END IF;

  RETURN QUERY
  SELECT c.task_id, c.task_name, c.namespace, c.version, c.task_state, c.context, c.tags, c.step_id,
         c.step_name, c.step_state, c.attempts, c.retry_limit, c.retryable, c.in_process, c.timeout_seconds,
         c.inputs, c.next_retry_at, c.retry_eligible, c.retry_due, c.dependencies_satisfied, c.total_parents,
         t.trace_context, true, s.transitioned_at, v_task_at, v_ancestors
    FROM tasker_tasks t WHERE t.task_id = p_task_id;
END;
$$;
