-- The W3C trace context (`traceparent`, `tracestate`) of the span that created each task, so every
-- step attempt, in whichever process claims it, continues the task's trace. NULL when tracing is off.
ALTER TABLE tasker_tasks ADD COLUMN trace_context jsonb;
