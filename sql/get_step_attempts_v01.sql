-- One row per attempt (an in_progress transition) of the workflow steps whose state changed since
-- since_timestamp (default: the last 24 hours), for attempts that ended in the window or are still
-- running and began in it; optionally filtered by their task's namespace, name and version. The
-- building block of the step duration, hot-spot and error-class analytics.
-- Durations are seconds:
--   * run_seconds: from the attempt's in_progress transition to the transition that ended it
--     (complete, error, cancelled…); NULL while it runs;
--   * queue_wait_seconds: from when the attempt became runnable to its in_progress transition,
--     never negative. Tasker records no "enqueued" transition, so "runnable" is approximated as the
--     latest of: the task's creation; for a first attempt, the latest completion (current state
--     complete or resolved_manually, at or before the attempt) of its parents; and the transition
--     just before the attempt when it is an error (its backoff_until when a retry was scheduled
--     later) or a pending (a task retry, or the step's initialisation). The error → pending that
--     the executor writes with a retry's in_progress (at the same instant) marks no readiness: the
--     wait is counted from the failure before it (or its backoff).
-- error_class, for attempts that ended in error: the error transition's metadata error_class, else
-- the class recorded in the step's results under _error (the latest failure), else 'unknown'.
-- Cost: the steps of the window are found first, in step_transitions_current_state_index (a step
-- whose attempt ended in the window has its current transition in the window too); their
-- histories are then read in one ordered pass (window functions), and the parents' completions
-- of first attempts joined as a set. Both queries are dynamic SQL,
-- planned for each call with the actual window and number of steps, so the cost follows the
-- window, not the history.
CREATE OR REPLACE FUNCTION get_step_attempts_v01(
  since_timestamp timestamptz DEFAULT NULL,
  namespace_filter text DEFAULT NULL,
  task_name_filter text DEFAULT NULL,
  version_filter text DEFAULT NULL
)
RETURNS TABLE (
  workflow_step_id bigint,
  task_id bigint,
  step_name varchar(128),
  task_name varchar(64),
  namespace_name varchar(64),
  version varchar(64),
  attempt_number integer,
  ready_at timestamptz,
  started_at timestamptz,
  ended_at timestamptz,
  outcome varchar(32),
  error_class text,
  run_seconds numeric,
  queue_wait_seconds numeric
)
LANGUAGE plpgsql STABLE
-- The window is usually a small part of the history and its rows are read by index; with the
-- default random_page_cost (4, for spinning disks) the planner would rather scan whole tables.
SET random_page_cost = 1.1
-- Enough memory to sort the window's transitions without spilling (100k tasks ≈ 1M rows), and no
-- JIT: compiling the expressions costs more than it saves on these one-pass queries.
SET work_mem = '256MB'
SET jit = off
AS $fn$
DECLARE
  since timestamptz := COALESCE(since_timestamp, now() - interval '24 hours');
  step_ids bigint[];
BEGIN
  EXECUTE $query$
    SELECT COALESCE(array_agg(cur.workflow_step_id), '{}')
    FROM unnest(ARRAY['pending', 'in_progress', 'complete', 'error', 'cancelled', 'resolved_manually']) AS s(state)
    -- One range scan of step_transitions_current_state_index per state.
    CROSS JOIN LATERAL (
      SELECT c.workflow_step_id
      FROM tasker_workflow_step_transitions c
      WHERE c.most_recent AND c.to_state = s.state AND c.created_at > $1
      OFFSET 0
    ) cur
    JOIN tasker_workflow_steps ws ON ws.workflow_step_id = cur.workflow_step_id
    JOIN tasker_tasks t ON t.task_id = ws.task_id
    JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
    JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
    WHERE ($2::text IS NULL OR tn.name = $2)
      AND ($3::text IS NULL OR nt.name = $3)
      AND ($4::text IS NULL OR nt.version = $4)
  $query$
  INTO step_ids
  USING since, namespace_filter, task_name_filter, version_filter;

  RETURN QUERY EXECUTE $query$
    WITH steps AS (
      SELECT
        ws.workflow_step_id,
        ws.task_id,
        ns.name AS step_name,
        ws.results -> '_error' ->> 'error_class' AS last_error_class,
        t.created_at AS task_created_at,
        nt.name AS task_name,
        tn.name AS namespace_name,
        nt.version
      FROM tasker_workflow_steps ws
      JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
      JOIN tasker_tasks t ON t.task_id = ws.task_id
      JOIN tasker_named_tasks nt ON nt.named_task_id = t.named_task_id
      JOIN tasker_task_namespaces tn ON tn.task_namespace_id = nt.task_namespace_id
      WHERE ws.workflow_step_id = ANY ($1)
    ),
    -- One ordered pass over each step's history: every in_progress row with the transition that
    -- ended it (next) and the two before it (previous, earlier).
    history AS (
      SELECT
        tr.workflow_step_id,
        tr.to_state,
        tr.created_at,
        count(*) FILTER (WHERE tr.to_state = 'in_progress') OVER step_order AS attempt_number,
        lead(tr.created_at) OVER step_order AS next_at,
        lead(tr.to_state) OVER step_order AS next_state,
        lead(tr.error_class) OVER step_order AS next_error_class,
        lag(tr.to_state) OVER step_order AS previous_state,
        lag(tr.created_at) OVER step_order AS previous_at,
        lag(tr.ready_after) OVER step_order AS previous_ready_after,
        lag(tr.to_state, 2) OVER step_order AS earlier_state,
        lag(tr.ready_after, 2) OVER step_order AS earlier_ready_after
      FROM (
        SELECT
          t.workflow_step_id,
          t.sort_key,
          t.to_state,
          t.created_at,
          CASE WHEN t.to_state = 'error' THEN t.metadata ->> 'error_class' END AS error_class,
          -- When a failure allows a retry: its backoff_until when later than the failure itself.
          CASE WHEN t.to_state = 'error' THEN greatest(
            t.created_at,
            CASE WHEN jsonb_typeof(t.metadata -> 'backoff_until') = 'string'
              THEN (t.metadata ->> 'backoff_until')::timestamptz END
          ) ELSE t.created_at END AS ready_after
        FROM tasker_workflow_step_transitions t
        WHERE t.workflow_step_id = ANY ($1)
      ) tr
      WINDOW step_order AS (PARTITION BY tr.workflow_step_id ORDER BY tr.sort_key)
    ),
    -- The retry's own error → pending written with its in_progress (same instant) marks no
    -- readiness: look through it to the failure.
    attempts AS (
      SELECT
        h.*,
        CASE
          WHEN h.previous_state = 'pending' AND h.previous_at = h.created_at AND h.earlier_state = 'error'
            THEN h.earlier_ready_after
          WHEN h.previous_state = 'pending' AND h.previous_at = h.created_at THEN NULL
          WHEN h.previous_state IN ('pending', 'error') THEN h.previous_ready_after
        END AS retry_ready_at
      FROM history h
      WHERE h.to_state = 'in_progress' AND COALESCE(h.next_at, h.created_at) > $2
    ),
    -- The latest completion of each first attempt's parents at or before it began: one set-based
    -- join (hash joins over the window's first attempts) rather than a lookup per attempt.
    parents AS (
      SELECT a.workflow_step_id, max(done.created_at) AS done_at
      FROM attempts a
      JOIN tasker_workflow_step_edges e ON e.to_step_id = a.workflow_step_id
      JOIN tasker_workflow_step_transitions done
        ON done.workflow_step_id = e.from_step_id AND done.most_recent
       AND done.to_state IN ('complete', 'resolved_manually')
      WHERE a.attempt_number = 1 AND done.created_at <= a.created_at
      GROUP BY a.workflow_step_id
    ),
    timed AS (
      SELECT
        a.workflow_step_id,
        st.task_id,
        st.step_name,
        st.task_name,
        st.namespace_name,
        st.version,
        a.attempt_number::integer AS attempt_number,
        greatest(st.task_created_at, parents.done_at, a.retry_ready_at) AS ready_at,
        a.created_at AS started_at,
        a.next_at AS ended_at,
        a.next_state AS outcome,
        CASE WHEN a.next_state = 'error'
          THEN COALESCE(a.next_error_class, st.last_error_class, 'unknown') END AS error_class
      FROM attempts a
      JOIN steps st ON st.workflow_step_id = a.workflow_step_id
      -- A retry became runnable after its failure, so only first attempts look at the parents.
      LEFT JOIN parents ON parents.workflow_step_id = a.workflow_step_id AND a.attempt_number = 1
    )
    SELECT
      t.workflow_step_id,
      t.task_id,
      t.step_name,
      t.task_name,
      t.namespace_name,
      t.version,
      t.attempt_number,
      t.ready_at,
      t.started_at,
      t.ended_at,
      t.outcome,
      t.error_class,
      extract(epoch FROM t.ended_at - t.started_at) AS run_seconds,
      greatest(extract(epoch FROM t.started_at - t.ready_at), 0) AS queue_wait_seconds
    FROM timed t
  $query$
  USING step_ids, since;
END
$fn$;
