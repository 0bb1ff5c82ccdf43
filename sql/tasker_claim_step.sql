-- What the step executor needs to claim a step job, in one round trip. Takes the task's row lock in
-- FOR KEY SHARE mode (claims of one task run in parallel, but wait for a cancellation, which holds
-- FOR UPDATE) and then the step's row lock, always in that order; reads the state in a separate
-- statement so it sees what was committed while waiting. No row when the task or step is missing.
CREATE OR REPLACE FUNCTION tasker_claim_step(p_task_id bigint, p_step_id bigint)
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
  total_parents integer
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
  PERFORM 1 FROM tasker_tasks t WHERE t.task_id = p_task_id FOR KEY SHARE;
  PERFORM 1 FROM tasker_workflow_steps ws WHERE ws.workflow_step_id = p_step_id FOR UPDATE;
  RETURN QUERY
  SELECT t.task_id, nt.name::text, ns.name::text, nt.version::text, COALESCE(tt.to_state, 'pending')::text,
         t.context, t.tags, ws.workflow_step_id, r.name, r.current_state, r.attempts, r.retry_limit,
         r.retryable, r.in_process, ws.timeout_seconds, ws.inputs, r.next_retry_at, r.retry_eligible,
         (r.next_retry_at IS NULL OR r.next_retry_at <= now()), r.dependencies_satisfied, r.total_parents
    FROM tasker_workflow_steps ws
    JOIN tasker_tasks t ON t.task_id = ws.task_id
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces ns ON ns.task_namespace_id = nt.task_namespace_id
    LEFT JOIN LATERAL (SELECT tt_t.to_state, tt_t.created_at, tt_t.sort_key FROM tasker_task_transitions tt_t WHERE tt_t.task_id = t.task_id AND tt_t.most_recent LIMIT 1) tt ON true
    CROSS JOIN LATERAL get_step_readiness_status(ws.task_id, ARRAY[ws.workflow_step_id]) r
   WHERE ws.workflow_step_id = p_step_id AND ws.task_id = p_task_id;
END;
$$;
