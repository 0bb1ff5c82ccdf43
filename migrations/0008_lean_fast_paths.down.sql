-- The previous definitions are not kept: going down past 0008 keeps these (same signatures and
-- answers); 0006's down drops them.
SELECT 1;
