-- PostgreSQL version of 0003_ingestion.sql.
ALTER TABLE sources ADD COLUMN last_success_at TEXT;
ALTER TABLE sources ADD COLUMN last_error_at TEXT;

CREATE TABLE feed_entries (
    source_id BIGINT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    url TEXT NOT NULL,
    article_id TEXT,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (source_id, hash)
);

CREATE INDEX articles_source_fetched ON articles(source_id, fetched_at);
