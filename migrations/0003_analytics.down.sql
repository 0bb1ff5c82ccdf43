DROP FUNCTION IF EXISTS get_analytics_trends_v01(timestamptz, integer[]);
DROP FUNCTION IF EXISTS get_bottleneck_report_v01(timestamptz, integer, text, text, text);
DROP FUNCTION IF EXISTS get_blocked_steps_v01(integer, text, text, text);
DROP FUNCTION IF EXISTS get_error_classes_v01(timestamptz, integer, text, text, text);
DROP FUNCTION IF EXISTS get_step_hotspots_v01(timestamptz, integer, text, text, text);
DROP FUNCTION IF EXISTS get_duration_percentiles_v01(timestamptz, text, text, text);
DROP FUNCTION IF EXISTS get_step_attempts_v01(timestamptz, text, text, text);
