-- PostgreSQL version of 0011_feed_schedule.sql.
ALTER TABLE sources ADD COLUMN update_every_minutes DOUBLE PRECISION;
