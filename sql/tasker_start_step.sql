-- The step executor's claim in one statement for the common case: the step is pending and has
-- never run, its parents are done and its task may run steps. Then it moves the step to in_progress
-- (through tasker_append_step_transition), marks it in process, moves a pending task to in_progress, and
-- reads the results of the step's completed ancestors; started = true. Otherwise it writes nothing
-- and returns started = false (the executor then takes its general path: retries, abandoned
-- attempts, settled steps). Row locks as tasker_claim_step: the task FOR KEY SHARE, then the step.
-- It reads the few facts it needs directly rather than through get_step_readiness_status, whose
-- per-call planning would cost more than the claim. No row when the task or step is missing. The
-- TypeScript transition table passes the states allowed to move into in_progress. A caller that
-- passes p_known_parent_id (a step whose results and ancestry it holds) gets ancestors = NULL when
-- that is the step's only parent, instead of a walk of the whole ancestry (O(depth) per step).
DROP FUNCTION IF EXISTS tasker_start_step(bigint, bigint, text, text[], text[]);
CREATE OR REPLACE FUNCTION tasker_start_step(
  p_task_id bigint,
  p_step_id bigint,
  p_job_id text,
  p_step_allowed_from text[],
  p_task_allowed_from text[],
  p_known_parent_id bigint DEFAULT NULL
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
  PERFORM 1 FROM tasker_tasks t WHERE t.task_id = p_task_id FOR KEY SHARE;
  PERFORM 1 FROM tasker_workflow_steps ws
    WHERE ws.workflow_step_id = p_step_id AND ws.task_id = p_task_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT t.task_id, nt.name::text AS task_name, tns.name::text AS namespace, nt.version::text AS version,
         COALESCE(tt.to_state, 'pending')::text AS task_state, t.context, t.tags, t.trace_context,
         ws.workflow_step_id AS step_id, ns.name::text AS step_name,
         COALESCE(st.to_state, 'pending')::text AS step_state, ws.attempts, ws.retry_limit, ws.retryable,
         ws.in_process, ws.processed, ws.timeout_seconds, ws.inputs, ws.backoff_request_seconds,
         (SELECT count(*)::integer FROM tasker_workflow_step_edges e WHERE e.to_step_id = ws.workflow_step_id)
           AS total_parents,
         NOT EXISTS (
           SELECT 1 FROM tasker_workflow_step_edges e
           LEFT JOIN LATERAL (SELECT p.to_state FROM tasker_workflow_step_transitions p
                               WHERE p.workflow_step_id = e.from_step_id AND p.most_recent LIMIT 1) parent ON true
            WHERE e.to_step_id = ws.workflow_step_id
              AND COALESCE(parent.to_state, 'pending') NOT IN ('complete', 'resolved_manually')
         ) AS parents_done
    INTO c
    FROM tasker_workflow_steps ws
    JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
    JOIN tasker_tasks t ON t.task_id = ws.task_id
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tns ON tns.task_namespace_id = nt.task_namespace_id
    LEFT JOIN LATERAL (SELECT x.to_state FROM tasker_task_transitions x
                        WHERE x.task_id = t.task_id AND x.most_recent LIMIT 1) tt ON true
    LEFT JOIN LATERAL (SELECT x.to_state FROM tasker_workflow_step_transitions x
                        WHERE x.workflow_step_id = ws.workflow_step_id AND x.most_recent LIMIT 1) st ON true
   WHERE ws.workflow_step_id = p_step_id;

  IF c.step_state <> 'pending' OR c.attempts > 0 OR c.processed OR c.backoff_request_seconds IS NOT NULL
     OR c.retry_limit < 1 OR c.task_state NOT IN ('pending', 'in_progress') OR NOT c.parents_done THEN
    RETURN QUERY SELECT c.task_id, c.task_name, c.namespace, c.version, c.task_state, c.context, c.tags,
      c.step_id, c.step_name, c.step_state, c.attempts, c.retry_limit, c.retryable, c.in_process,
      c.timeout_seconds, c.inputs, NULL::timestamptz, c.attempts < c.retry_limit, true, c.parents_done,
      c.total_parents, c.trace_context, false, NULL::timestamptz, NULL::timestamptz, NULL::jsonb;
    RETURN;
  END IF;

  -- The step's state and its parents were read under the step's lock just above.
  SELECT * INTO s FROM tasker_append_step_transition(
    p_step_id, 'in_progress', p_step_allowed_from,
    jsonb_build_object('attempt_number', c.attempts + 1, 'job_id', p_job_id)
  );
  IF NOT s.applied THEN
    RETURN QUERY SELECT c.task_id, c.task_name, c.namespace, c.version, c.task_state, c.context, c.tags,
      c.step_id, c.step_name, c.step_state, c.attempts, c.retry_limit, c.retryable, c.in_process,
      c.timeout_seconds, c.inputs, NULL::timestamptz, c.attempts < c.retry_limit, true, c.parents_done,
      c.total_parents, c.trace_context, false, NULL::timestamptz, NULL::timestamptz, NULL::jsonb;
    RETURN;
  END IF;
  UPDATE tasker_workflow_steps ws
     SET in_process = true, last_attempted_at = now(), updated_at = now()
   WHERE ws.workflow_step_id = p_step_id;

  IF c.task_state = 'pending' THEN
    -- Claims of a task's first steps run side by side: one of them starts the task, the others find
    -- it started (refused, nothing written).
    SELECT * INTO tk FROM tasker_append_task_transition(p_task_id, 'in_progress', p_task_allowed_from, '{}'::jsonb);
    IF tk.applied THEN
      v_task_at := tk.transitioned_at;
    END IF;
  END IF;

  IF c.total_parents = 1 AND p_known_parent_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM tasker_workflow_step_edges e WHERE e.to_step_id = p_step_id AND e.from_step_id = p_known_parent_id
  ) THEN
    -- The caller holds its only parent's results and ancestry: ancestors = NULL, it derives them.
    v_ancestors := NULL;
  ELSIF c.total_parents > 0 THEN
    v_ancestors := tasker_ancestor_results(p_step_id);
  END IF;

  RETURN QUERY SELECT c.task_id, c.task_name, c.namespace, c.version, c.task_state, c.context, c.tags,
    c.step_id, c.step_name, c.step_state, c.attempts, c.retry_limit, c.retryable, true, c.timeout_seconds,
    c.inputs, NULL::timestamptz, c.attempts < c.retry_limit, true, true, c.total_parents, c.trace_context,
    true, s.transitioned_at, v_task_at, v_ancestors;
END;
$$;
