DROP FUNCTION IF EXISTS get_bottleneck_report_v02(timestamptz, integer, text, text, text);
DROP FUNCTION IF EXISTS get_duration_percentiles_v02(timestamptz, text, text, text);
DROP FUNCTION IF EXISTS get_step_attempt_samples_v02(timestamptz, text, text, text);
DROP FUNCTION IF EXISTS tasker_refresh_step_attempt_facts(interval);
DROP TABLE IF EXISTS tasker_analytics_rollups;
DROP TABLE IF EXISTS tasker_step_attempt_facts;
