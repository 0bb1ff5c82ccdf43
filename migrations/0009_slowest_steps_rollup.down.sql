DROP FUNCTION IF EXISTS get_slowest_steps_v02(timestamptz, integer, text, text, text);
DROP INDEX IF EXISTS step_attempt_facts_run_time_index;
