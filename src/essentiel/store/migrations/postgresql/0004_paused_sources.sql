-- PostgreSQL version of 0004_paused_sources.sql.
ALTER TABLE sources ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
