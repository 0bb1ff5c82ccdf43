-- Rolls up into tasker_step_attempt_facts the attempts whose latest activity (end, or start while
-- running) lies between the previous watermark and now() - settle_interval, then moves the
-- watermark there. The settle interval leaves room for transactions still in flight, whose
-- transitions carry their start time. Returns the number of attempts written; 0 when another
-- session is rolling up (it does the same work) or nothing is due. Safe to call often: the cost
-- follows the steps that changed since the last call.
CREATE OR REPLACE FUNCTION tasker_refresh_step_attempt_facts(settle_interval interval DEFAULT interval '1 minute')
RETURNS integer
LANGUAGE plpgsql
SET work_mem = '256MB'
SET jit = off
AS $fn$
DECLARE
  rolled_up timestamptz;
  cutoff timestamptz := now() - settle_interval;
  written integer;
BEGIN
  -- Arbitrary constant shared by every Tasker process (the migrator uses 727274001).
  IF NOT pg_try_advisory_xact_lock(727274002) THEN
    RETURN 0;
  END IF;
  SELECT r.rolled_up_to INTO rolled_up FROM tasker_analytics_rollups r WHERE r.name = 'step_attempts';
  rolled_up := COALESCE(rolled_up, '-infinity');
  IF cutoff <= rolled_up THEN
    RETURN 0;
  END IF;

  INSERT INTO tasker_step_attempt_facts AS f (
    workflow_step_id, attempt_number, named_task_id, named_step_id,
    ready_at, started_at, ended_at, outcome, error_class
  )
  SELECT a.workflow_step_id, a.attempt_number, t.named_task_id, ws.named_step_id,
         a.ready_at, a.started_at, a.ended_at, a.outcome, a.error_class
  FROM get_step_attempts_v01(rolled_up) a
  JOIN tasker_workflow_steps ws ON ws.workflow_step_id = a.workflow_step_id
  JOIN tasker_tasks t ON t.task_id = a.task_id
  WHERE COALESCE(a.ended_at, a.started_at) <= cutoff
  ON CONFLICT (workflow_step_id, attempt_number) DO UPDATE SET
    ready_at = EXCLUDED.ready_at,
    started_at = EXCLUDED.started_at,
    ended_at = EXCLUDED.ended_at,
    outcome = EXCLUDED.outcome,
    error_class = EXCLUDED.error_class;
  GET DIAGNOSTICS written = ROW_COUNT;

  INSERT INTO tasker_analytics_rollups (name, rolled_up_to) VALUES ('step_attempts', cutoff)
  ON CONFLICT (name) DO UPDATE SET rolled_up_to = EXCLUDED.rolled_up_to;
  RETURN written;
END
$fn$;
