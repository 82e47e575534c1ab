-- PostgreSQL version of 0002_stories.sql. Embeddings and hashed word vectors are packed arrays the clustering
-- reads in Python (numpy), never searched in SQL: BYTEA, as SQLite's BLOB (no pgvector needed).
CREATE TABLE article_vectors (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    vector BYTEA NOT NULL,
    words BYTEA NOT NULL,
    names BYTEA NOT NULL,
    language TEXT NOT NULL DEFAULT '',
    published DOUBLE PRECISION,
    url TEXT NOT NULL DEFAULT '',
    outlet TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT ''
);
CREATE TABLE story_lexicon (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    docs INTEGER NOT NULL,
    df BYTEA NOT NULL
);
ALTER TABLE stories ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stories ADD COLUMN first_published DOUBLE PRECISION;
ALTER TABLE stories ADD COLUMN last_published DOUBLE PRECISION;
ALTER TABLE stories ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE stories ADD COLUMN outlets TEXT NOT NULL DEFAULT '[]';
CREATE INDEX stories_last_seen ON stories(last_seen);

-- An article whose text changes loses its signals, so the next update places it again. As in SQLite, the
-- trigger fires when an UPDATE (or an upsert's DO UPDATE) sets one of these columns.
CREATE FUNCTION article_vectors_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM article_vectors WHERE article_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER article_vectors_stale AFTER UPDATE OF title, lead, text, language, published ON articles
    FOR EACH ROW EXECUTE FUNCTION article_vectors_stale();
