DROP FUNCTION IF EXISTS tasker_complete_step(bigint, bigint, jsonb, jsonb);
DROP FUNCTION IF EXISTS tasker_start_step(bigint, bigint, text, text[], text[]);
DROP FUNCTION IF EXISTS tasker_start_step(bigint, bigint, text, text[], text[], bigint);
DROP FUNCTION IF EXISTS tasker_append_step_transition(bigint, text, text[], jsonb);
DROP FUNCTION IF EXISTS tasker_append_task_transition(bigint, text, text[], jsonb);
DROP FUNCTION IF EXISTS tasker_ancestor_results(bigint);
