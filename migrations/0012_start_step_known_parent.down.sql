-- The five-argument form is not restored (the six-argument one answers every five-argument call
-- the same way, p_known_parent_id defaulting to NULL); 0006's down drops it.
SELECT 1;
