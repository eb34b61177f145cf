-- Packing slips: where each product is picked from, so a wave of slips
-- comes out in walking order. Orders whose slip was printed are in state
-- `slip_printed`; printing and reprinting are recorded as events.
ALTER TABLE products ADD COLUMN location TEXT;
