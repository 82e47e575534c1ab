-- PostgreSQL version of 0007_prominence.sql.
CREATE TABLE feed_positions (
    source_id BIGINT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    best_position INTEGER NOT NULL,
    last_position INTEGER NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (source_id, url)
);
CREATE INDEX feed_positions_url ON feed_positions(url);
