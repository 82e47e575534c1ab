-- Ingestion (issue #3): the feed's own update hint (RSS <ttl>, sy:updatePeriod/sy:updateFrequency, in
-- minutes), kept so a 304 Not Modified (no body to read it from) keeps the same schedule. NULL: no hint.
ALTER TABLE sources ADD COLUMN update_every_minutes REAL;
