-- The results of every completed (or manually resolved) ancestor of a step, as a jsonb array of
-- {name, results}: what a step handler reads through ctx.results(). The ancestry is walked one
-- generation per query with index lookups on id arrays. (A recursive CTE gave the planner a
-- recursion estimate of hundreds of thousands of rows; its cached generic plan then hash-joined
-- whole tables, 30 ms per call on a modest history, growing with it.)
CREATE OR REPLACE FUNCTION tasker_ancestor_results(p_step_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  v_generation bigint[];
  v_seen bigint[] := '{}';
BEGIN
  v_generation := ARRAY(SELECT e.from_step_id FROM tasker_workflow_step_edges e WHERE e.to_step_id = p_step_id);
  WHILE cardinality(v_generation) > 0 LOOP
    v_seen := v_seen || v_generation;
    v_generation := ARRAY(
      SELECT DISTINCT e.from_step_id FROM tasker_workflow_step_edges e
       WHERE e.to_step_id = ANY (v_generation) AND e.from_step_id <> ALL (v_seen)
    );
  END LOOP;
  RETURN (
    SELECT COALESCE(jsonb_agg(jsonb_build_object('name', ns.name, 'results', ws.results)), '[]'::jsonb)
      FROM tasker_workflow_steps ws
      JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
     WHERE ws.workflow_step_id = ANY (v_seen)
       AND EXISTS (
         SELECT 1 FROM tasker_workflow_step_transitions cur
          WHERE cur.workflow_step_id = ws.workflow_step_id AND cur.most_recent
            AND cur.to_state IN ('complete', 'resolved_manually')
       )
  );
END;
$$;
