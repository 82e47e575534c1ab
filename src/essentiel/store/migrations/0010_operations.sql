-- Operations (issue #8): what /healthz, /metrics and `essentiel status` read. Written by `essentiel run` and
-- `essentiel fetch`; the web app reads it on its read-only connection, so the figures survive restarts.

-- The scheduler's heartbeat (one row): /healthz calls it alive while beat_at is recent for its interval.
CREATE TABLE scheduler_heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    beat_at TEXT NOT NULL,
    interval_seconds REAL NOT NULL,
    state TEXT NOT NULL  -- 'running' or 'stopped' (a clean stop); a killed process stays 'running' and goes stale
);

-- HTTP fetches by outcome: a status code ('200', '304', '404') or an error kind ('timeout', 'tls', ...).
CREATE TABLE fetch_counts (
    status TEXT PRIMARY KEY,
    count INTEGER NOT NULL
);

-- Per source, cumulative: checks, checks that failed, errors (a failed check or a page skipped), new articles.
CREATE TABLE source_counts (
    source_id INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    checks INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    articles INTEGER NOT NULL DEFAULT 0
);

-- Latency of each stage (fetch pass, extract, stories, rank, publish...): count, sum and the last run.
CREATE TABLE stage_timings (
    stage TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    total_seconds REAL NOT NULL,
    last_seconds REAL NOT NULL,
    max_seconds REAL NOT NULL,
    last_at TEXT NOT NULL
);
