-- Rolled-up step attempts, so the attempt analytics (duration percentiles, hot spots, error classes)
-- read finished history from a narrow table instead of re-deriving every attempt from the step
-- transitions on each call (seconds on 100k tasks). get_step_attempts_v01 still defines what an
-- attempt is; the _v02 functions read its rows rolled up to a watermark and compute the rest live.
-- The _v01 report functions of 0003 stay as they were (same answers, slower).

-- One row per attempt whose latest activity (its end, or its start while it runs) was at or before
-- the watermark; a running attempt is rewritten when it ends.
CREATE TABLE tasker_step_attempt_facts (
  workflow_step_id bigint NOT NULL REFERENCES tasker_workflow_steps (workflow_step_id) ON DELETE CASCADE,
  attempt_number integer NOT NULL,
  named_task_id integer NOT NULL,
  named_step_id integer NOT NULL,
  ready_at timestamptz,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  outcome varchar(32),
  error_class text,
  PRIMARY KEY (workflow_step_id, attempt_number)
);
-- The analytics window: attempts that ended in it, or are running and began in it.
CREATE INDEX step_attempt_facts_activity_index ON tasker_step_attempt_facts ((COALESCE(ended_at, started_at)));

-- How far each roll-up has read the history.
CREATE TABLE tasker_analytics_rollups (
  name varchar(64) PRIMARY KEY,
  rolled_up_to timestamptz NOT NULL
);

-- @include sql/tasker_refresh_step_attempt_facts.sql
-- @include sql/get_step_attempt_samples_v02.sql
-- @include sql/get_duration_percentiles_v02.sql
-- @include sql/get_bottleneck_report_v02.sql
