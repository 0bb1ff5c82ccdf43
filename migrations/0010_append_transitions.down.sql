-- The fast paths' previous definitions are not kept (same signatures and answers): going down past
-- 0010 keeps them and the helpers they call; 0006's down drops them all.
SELECT 1;
