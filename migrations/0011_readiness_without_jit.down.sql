ALTER FUNCTION get_step_readiness_status_batch(bigint[], bigint[]) RESET jit;
ALTER FUNCTION get_task_execution_contexts_batch(bigint[]) RESET jit;
