-- The step executor's record of a successful attempt, in one statement (inside the transaction
-- that also completes the attempt's job): stores the results, moves the step to complete, takes the
-- task's row lock (FOR NO KEY UPDATE, late, so outcomes of one task overlap until here) and marks
-- the children that became ready for their first attempt as owned by a job (ready_ids: the
-- caller enqueues them). It reads what it needs directly rather than through
-- get_step_readiness_status and get_task_execution_context, whose per-call planning would cost
-- more than the whole record.
-- When nothing became ready and no other step is queued or running, or every child was already
-- settled, the task itself may change: if all its steps are done it is walked to complete here
-- (task_transitions lists what was written, in order); anything else (a failure blocking the task,
-- steps ready elsewhere, retries waiting) is left to the general reconciler: reconcile = true.
-- p_transitions maps each target state to the states allowed into it (the TypeScript transition
-- table). No row when the step is missing.
CREATE OR REPLACE FUNCTION tasker_complete_step(
  p_task_id bigint,
  p_step_id bigint,
  p_results jsonb,
  p_transitions jsonb
)
RETURNS TABLE (
  attempts integer,
  retry_limit integer,
  step_name text,
  from_state text,
  applied boolean,
  refusal text,
  transitioned_at timestamptz,
  task_name text,
  namespace text,
  version text,
  ready_ids bigint[],
  reconcile boolean,
  task_transitions jsonb
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_attempts integer;
  v_retry_limit integer;
  v_named_step_id bigint;
  s record;
  v_child_ids bigint[];
  v_settled integer;
  v_ready bigint[];
  v_others boolean;
  v_total bigint;
  v_done bigint;
  tk record;
  v_state text;
  v_task_transitions jsonb := '[]'::jsonb;
  v_reconcile boolean := false;
  v_path text[];
  v_next text;
BEGIN
  -- The update takes the step's row lock, under which its transition is appended.
  UPDATE tasker_workflow_steps ws
     SET processed = true, processed_at = now(), in_process = false, attempts = ws.attempts + 1,
         last_attempted_at = now(), backoff_request_seconds = NULL, results = p_results, updated_at = now()
   WHERE ws.workflow_step_id = p_step_id
  RETURNING ws.attempts, ws.retry_limit, ws.named_step_id INTO v_attempts, v_retry_limit, v_named_step_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  SELECT * INTO s FROM tasker_append_step_transition(
    p_step_id, 'complete', ARRAY(SELECT jsonb_array_elements_text(p_transitions -> 'step_complete')),
    jsonb_build_object('attempt_number', v_attempts)
  );
  IF NOT s.applied THEN
    RETURN QUERY SELECT v_attempts, v_retry_limit, ns.name::text, s.from_state, false,
      CASE WHEN s.from_state = 'complete' THEN 'already in state ''complete'''
           ELSE format('''%s'' → ''complete'' is not an allowed transition', s.from_state) END,
      NULL::timestamptz, NULL::text, tns.name::text, NULL::text, '{}'::bigint[], false, '[]'::jsonb
      FROM tasker_named_steps ns, tasker_tasks t
      JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
      JOIN tasker_task_namespaces tns ON tns.task_namespace_id = nt.task_namespace_id
     WHERE ns.named_step_id = v_named_step_id AND t.task_id = p_task_id;
    RETURN;
  END IF;

  PERFORM 1 FROM tasker_tasks t WHERE t.task_id = p_task_id FOR NO KEY UPDATE;

  -- Children that became ready for their first attempt: pending, never run, not owned by a job, and
  -- every parent done (what get_step_readiness_status decides for them, without its per-call
  -- planning). A child that has run before (pending or error again after a manual change) is left
  -- to the general reconciler, which applies every readiness rule.
  v_child_ids := ARRAY(SELECT e.to_step_id FROM tasker_workflow_step_edges e WHERE e.from_step_id = p_step_id);
  IF cardinality(v_child_ids) > 0 THEN
    SELECT count(*) FILTER (WHERE c.state IN ('complete', 'resolved_manually')),
           COALESCE(array_agg(c.workflow_step_id) FILTER (
             WHERE c.state = 'pending' AND c.attempts = 0 AND NOT c.processed AND NOT c.in_process
               AND c.retry_limit > 0 AND c.backoff_request_seconds IS NULL AND c.parents_done), '{}'),
           bool_or(c.state IN ('pending', 'error') AND c.attempts > 0 AND NOT c.processed AND NOT c.in_process)
      INTO v_settled, v_ready, v_reconcile
      FROM (
        SELECT ws.workflow_step_id, COALESCE(cur.to_state, 'pending') AS state, ws.attempts, ws.processed,
               ws.in_process, ws.retry_limit, ws.backoff_request_seconds,
               -- Newest parents first: steps run roughly in id order, so an unfinished parent of a
               -- wide join is found at once instead of after every finished one (n² over the join).
               NOT EXISTS (
                 SELECT 1 FROM (SELECT pe.from_step_id FROM tasker_workflow_step_edges pe
                                 WHERE pe.to_step_id = ws.workflow_step_id
                                 ORDER BY pe.from_step_id DESC) pe
                 LEFT JOIN LATERAL (SELECT p.to_state FROM tasker_workflow_step_transitions p
                                     WHERE p.workflow_step_id = pe.from_step_id AND p.most_recent LIMIT 1) parent ON true
                  WHERE COALESCE(parent.to_state, 'pending') NOT IN ('complete', 'resolved_manually')
               ) AS parents_done
          FROM tasker_workflow_steps ws
          LEFT JOIN LATERAL (SELECT x.to_state FROM tasker_workflow_step_transitions x
                              WHERE x.workflow_step_id = ws.workflow_step_id AND x.most_recent LIMIT 1) cur ON true
         WHERE ws.workflow_step_id = ANY (v_child_ids)
      ) c;
    v_reconcile := COALESCE(v_reconcile, false);
  ELSE
    v_settled := 0;
    v_ready := '{}';
  END IF;
  IF cardinality(v_ready) > 0 THEN
    UPDATE tasker_workflow_steps ws SET in_process = true, updated_at = now()
     WHERE ws.workflow_step_id = ANY (v_ready);
  END IF;
  SELECT EXISTS (
    SELECT 1 FROM tasker_workflow_steps ws
     WHERE ws.task_id = p_task_id AND ws.processed = false AND ws.in_process AND ws.workflow_step_id <> p_step_id
  ) INTO v_others;

  -- When nothing else is under way (or every child was settled already) the task itself may be
  -- done: complete it here if every step is; anything else goes to the general reconciler.
  IF NOT v_reconcile AND ((cardinality(v_ready) = 0 AND NOT v_others) OR cardinality(v_child_ids) = v_settled) THEN
    SELECT count(*), count(*) FILTER (WHERE COALESCE(cur.to_state, 'pending') IN ('complete', 'resolved_manually'))
      INTO v_total, v_done
      FROM tasker_workflow_steps ws
      LEFT JOIN LATERAL (SELECT x.to_state FROM tasker_workflow_step_transitions x
                          WHERE x.workflow_step_id = ws.workflow_step_id AND x.most_recent LIMIT 1) cur ON true
     WHERE ws.task_id = p_task_id;
    SELECT COALESCE((SELECT x.to_state FROM tasker_task_transitions x WHERE x.task_id = p_task_id AND x.most_recent LIMIT 1),
                    'pending')
      INTO v_state;
    IF v_state IN ('complete', 'cancelled', 'resolved_manually') THEN
      NULL;
    ELSIF v_total = v_done THEN
      -- From wherever the task is (error → pending → in_progress → complete).
      v_path := CASE v_state
        WHEN 'pending' THEN ARRAY['in_progress', 'complete']
        WHEN 'in_progress' THEN ARRAY['complete']
        ELSE ARRAY['pending', 'in_progress', 'complete'] END;
      FOREACH v_next IN ARRAY v_path LOOP
        -- Every step was counted done under the task's lock just above.
        SELECT * INTO tk FROM tasker_append_task_transition(
          p_task_id, v_next, ARRAY(SELECT jsonb_array_elements_text(p_transitions -> ('task_' || v_next))),
          jsonb_build_object('completed_steps', v_done, 'total_steps', v_total)
        );
        IF NOT tk.applied THEN
          RAISE EXCEPTION 'tasker_complete_step: task % refused % → %', p_task_id, tk.from_state, v_next;
        END IF;
        v_task_transitions := v_task_transitions || jsonb_build_object(
          'from', tk.from_state, 'to', v_next, 'at', tk.transitioned_at,
          'metadata', jsonb_build_object('completed_steps', v_done, 'total_steps', v_total));
      END LOOP;
    ELSE
      v_reconcile := true;
    END IF;
  END IF;

  RETURN QUERY
  SELECT v_attempts, v_retry_limit, ns.name::text, s.from_state, true, NULL::text, s.transitioned_at,
         nt.name::text, tns.name::text, nt.version::text, v_ready, v_reconcile, v_task_transitions
    FROM tasker_named_steps ns, tasker_tasks t
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tns ON tns.task_namespace_id = nt.task_namespace_id
   WHERE ns.named_step_id = v_named_step_id AND t.task_id = p_task_id;
END;
$$;
