DROP FUNCTION IF EXISTS tasker_complete_step(bigint, bigint, jsonb, jsonb);
DROP FUNCTION IF EXISTS tasker_start_step(bigint, bigint, text, text[], text[]);
