-- A new task in one statement: the task row (unless its identity_hash exists: no row then), its
-- steps (in the order given; p_in_process marks the ones the caller enqueues), the edges between
-- them (1-based positions in the step arrays) and the task's first transition (none → pending,
-- through tasker_transition_task). Returns the ids and timestamps the caller reports.
CREATE OR REPLACE FUNCTION tasker_create_task(
  p_named_task_id integer,
  p_requested_at timestamptz,
  p_initiator text,
  p_source_system text,
  p_reason text,
  p_bypass_steps jsonb,
  p_tags jsonb,
  p_context jsonb,
  p_identity_hash text,
  p_trace_context jsonb,
  p_named_step_ids integer[],
  p_retryable boolean[],
  p_retry_limits integer[],
  p_skippable boolean[],
  p_timeout_seconds integer[],
  p_in_process boolean[],
  p_edge_from integer[],
  p_edge_to integer[],
  p_created_metadata jsonb
)
RETURNS TABLE (task_id bigint, created_at timestamptz, updated_at timestamptz, step_ids bigint[], transitioned_at timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_task record;
  v_step_ids bigint[];
  v_transition record;
BEGIN
  INSERT INTO tasker_tasks AS t (named_task_id, requested_at, initiator, source_system, reason, bypass_steps, tags,
                                 context, identity_hash, trace_context)
  VALUES (p_named_task_id, p_requested_at, p_initiator, p_source_system, p_reason, p_bypass_steps, p_tags,
          p_context, p_identity_hash, p_trace_context)
  ON CONFLICT (identity_hash) DO NOTHING
  RETURNING t.task_id, t.created_at, t.updated_at INTO v_task;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  WITH inserted AS (
    INSERT INTO tasker_workflow_steps AS ws (task_id, named_step_id, retryable, retry_limit, skippable, timeout_seconds, in_process)
    SELECT v_task.task_id, s.named_step_id, s.retryable, s.retry_limit, s.skippable, s.timeout_seconds, s.in_process
      FROM unnest(p_named_step_ids, p_retryable, p_retry_limits, p_skippable, p_timeout_seconds, p_in_process)
           AS s(named_step_id, retryable, retry_limit, skippable, timeout_seconds, in_process)
    RETURNING ws.workflow_step_id, ws.named_step_id
  )
  -- A task's steps have distinct named steps, so the named step id maps each back to its position.
  SELECT array_agg(i.workflow_step_id ORDER BY p.position)
    INTO v_step_ids
    FROM unnest(p_named_step_ids) WITH ORDINALITY AS p(named_step_id, position)
    JOIN inserted i ON i.named_step_id = p.named_step_id;

  IF cardinality(p_edge_from) > 0 THEN
    INSERT INTO tasker_workflow_step_edges (from_step_id, to_step_id, name)
    SELECT v_step_ids[e.from_position], v_step_ids[e.to_position], 'provides'
      FROM unnest(p_edge_from, p_edge_to) AS e(from_position, to_position);
  END IF;

  SELECT * INTO v_transition
    FROM tasker_transition_task(v_task.task_id, 'pending', '{}'::text[], p_created_metadata, true);
  IF NOT v_transition.applied THEN
    RAISE EXCEPTION 'tasker_create_task: task % already has transitions', v_task.task_id;
  END IF;

  RETURN QUERY SELECT v_task.task_id, v_task.created_at, v_task.updated_at, v_step_ids, v_transition.transitioned_at;
END;
$$;
