-- Counts the status flushes written to a subscription's row. A read compares it with the flush a
-- dispatcher has in progress, to know whether that flush's counters are in the row it read yet.
ALTER TABLE hub_subscriptions ADD COLUMN IF NOT EXISTS status_seq bigint NOT NULL DEFAULT 0;
