-- The tables every state change writes to: vacuum and analyze them after 2 % of their rows
-- changed instead of PostgreSQL's default 20 %, so that on a large history the dead rows left by
-- most_recent flips and step updates are cleared within minutes rather than once per fifth of the
-- table (lookups through the partial most_recent indexes slow down as dead entries pile up).
ALTER TABLE tasker_workflow_step_transitions
  SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE tasker_task_transitions
  SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE tasker_workflow_steps
  SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE tasker_tasks
  SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
