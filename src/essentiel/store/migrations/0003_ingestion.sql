-- Ingestion (issue #3): source health and the feed entries already seen, the way Miniflux dedupes.

-- Health per source: when the last check succeeded, when the last error happened.
ALTER TABLE sources ADD COLUMN last_success_at TEXT;
ALTER TABLE sources ADD COLUMN last_error_at TEXT;

-- Every feed entry that led to a stored article, by the hash of its GUID and by the hash of its canonical
-- URL (two rows): a feed re-publishing an item under a new GUID, a new title or a tracking-tagged link
-- finds it here (or its canonical URL in articles) and nothing is fetched or stored twice.
CREATE TABLE feed_entries (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    url TEXT NOT NULL,
    article_id TEXT,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (source_id, hash)
);

-- Articles per day, per source.
CREATE INDEX articles_source_fetched ON articles(source_id, fetched_at);
