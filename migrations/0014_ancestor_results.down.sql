-- tasker_start_step keeps calling tasker_ancestor_results (its previous text is not kept; the
-- answers are the same); 0006's down drops both.
SELECT 1;
