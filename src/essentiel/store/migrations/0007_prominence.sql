-- Prominence (issue #6): where each item stood in the feeds it was listed in, 0 = first. Every feed check
-- records the position of every item (new or already seen: a story can climb to the top later); the best
-- (lowest) position is kept. Ranking reads it for the sources that are top-stories or homepage feeds.
CREATE TABLE feed_positions (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    url TEXT NOT NULL,                -- canonical URL of the item
    best_position INTEGER NOT NULL,   -- lowest position ever seen (0 = first item of the feed)
    last_position INTEGER NOT NULL,   -- position at the last check
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (source_id, url)
);
CREATE INDEX feed_positions_url ON feed_positions(url);
