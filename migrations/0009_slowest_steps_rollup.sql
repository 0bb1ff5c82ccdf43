-- The slowest completed steps from the rolled-up attempts, longest first along an index.
CREATE INDEX step_attempt_facts_run_time_index
  ON tasker_step_attempt_facts ((ended_at - started_at) DESC, workflow_step_id)
  WHERE outcome = 'complete';
-- @include sql/get_slowest_steps_v02.sql
