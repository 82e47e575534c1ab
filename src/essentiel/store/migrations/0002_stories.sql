-- Stories that last across days: per-article clustering signals, computed once, and story metadata.
CREATE TABLE article_vectors (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    vector BLOB NOT NULL,
    words BLOB NOT NULL,
    names BLOB NOT NULL,
    language TEXT NOT NULL DEFAULT '',
    published REAL,
    url TEXT NOT NULL DEFAULT '',
    outlet TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT ''
);
-- Document frequencies of hashed words and names (one row): the IDF of the online clustering.
CREATE TABLE story_lexicon (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    docs INTEGER NOT NULL,
    df BLOB NOT NULL
);
ALTER TABLE stories ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stories ADD COLUMN first_published REAL;
ALTER TABLE stories ADD COLUMN last_published REAL;
ALTER TABLE stories ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE stories ADD COLUMN outlets TEXT NOT NULL DEFAULT '[]';
CREATE INDEX stories_last_seen ON stories(last_seen);
-- An article whose text changes (re-extraction, update) loses its signals, so the next update places it again.
CREATE TRIGGER article_vectors_stale AFTER UPDATE OF title, lead, text, language, published ON articles BEGIN
    DELETE FROM article_vectors WHERE article_id = new.id;
END;
