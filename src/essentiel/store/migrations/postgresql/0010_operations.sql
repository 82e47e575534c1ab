-- PostgreSQL version of 0010_operations.sql. Several `essentiel run` workers share one heartbeat row:
-- it shows the last worker that beat.
CREATE TABLE scheduler_heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    beat_at TEXT NOT NULL,
    interval_seconds DOUBLE PRECISION NOT NULL,
    state TEXT NOT NULL
);

CREATE TABLE fetch_counts (
    status TEXT PRIMARY KEY,
    count BIGINT NOT NULL
);

CREATE TABLE source_counts (
    source_id BIGINT PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    checks BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    articles BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE stage_timings (
    stage TEXT PRIMARY KEY,
    count BIGINT NOT NULL,
    total_seconds DOUBLE PRECISION NOT NULL,
    last_seconds DOUBLE PRECISION NOT NULL,
    max_seconds DOUBLE PRECISION NOT NULL,
    last_at TEXT NOT NULL
);
