ALTER TABLE tasker_tasks DROP COLUMN IF EXISTS trace_context;
