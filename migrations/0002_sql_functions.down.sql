DROP FUNCTION IF EXISTS get_slowest_steps_v01(timestamptz, integer, text, text, text);
DROP FUNCTION IF EXISTS get_slowest_tasks_v01(timestamptz, integer, text, text, text);
DROP FUNCTION IF EXISTS get_analytics_metrics_v01(timestamptz);
DROP FUNCTION IF EXISTS get_system_health_counts_v01();
DROP FUNCTION IF EXISTS calculate_dependency_levels(bigint);
DROP FUNCTION IF EXISTS get_task_execution_context(bigint);
DROP FUNCTION IF EXISTS get_task_execution_contexts_batch(bigint[]);
DROP FUNCTION IF EXISTS get_step_readiness_status(bigint, bigint[]);
DROP FUNCTION IF EXISTS get_step_readiness_status_batch(bigint[], bigint[]);
