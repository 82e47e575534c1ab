-- Sources with their fetch state: the database is the queue (next_check_at).
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'feed',
    language TEXT,
    country TEXT,
    category TEXT,
    weight REAL NOT NULL DEFAULT 1.0,
    independent INTEGER NOT NULL DEFAULT 1,
    full_page INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    last_checked_at TEXT,
    next_check_at TEXT,
    error_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL
);

-- Every fetched document, raw bytes kept (zlib-compressed) so any article can be re-extracted.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    requested_url TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    content BLOB NOT NULL,
    size INTEGER NOT NULL,
    sha1 TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE INDEX documents_url ON documents(url);

CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    kicker TEXT NOT NULL DEFAULT '',
    lead TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    authors TEXT NOT NULL DEFAULT '[]',
    published TEXT,
    language TEXT,
    site_name TEXT,
    image TEXT,
    source TEXT NOT NULL DEFAULT '',
    outlet TEXT NOT NULL DEFAULT '',
    source_weight REAL NOT NULL DEFAULT 1.0,
    independent INTEGER NOT NULL DEFAULT 1,
    source_id INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    fetched_at TEXT NOT NULL
);
CREATE INDEX articles_url ON articles(url);
CREATE INDEX articles_fetched_at ON articles(fetched_at);

-- Full-text index over articles (external content, kept in sync by triggers).
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, lead, text, content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, lead, text) VALUES (new.rowid, new.title, new.lead, new.text);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, lead, text)
    VALUES ('delete', old.rowid, old.title, old.lead, old.text);
END;
CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, lead, text)
    VALUES ('delete', old.rowid, old.title, old.lead, old.text);
    INSERT INTO articles_fts(rowid, title, lead, text) VALUES (new.rowid, new.title, new.lead, new.text);
END;

CREATE TABLE stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE story_articles (
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (story_id, article_id)
);
CREATE UNIQUE INDEX story_articles_article ON story_articles(article_id);

-- An edition: a dated, ranked list of stories with their summaries. Several per day are kept; the latest wins.
CREATE TABLE editions (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'fr',
    created_at TEXT NOT NULL
);
CREATE INDEX editions_day ON editions(day, created_at);
CREATE TABLE edition_stories (
    edition_id INTEGER NOT NULL REFERENCES editions(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    story_id TEXT NOT NULL,
    title TEXT NOT NULL,
    article_ids TEXT NOT NULL,
    score REAL NOT NULL,
    why TEXT NOT NULL,
    summary TEXT NOT NULL,
    outlets TEXT NOT NULL,
    languages TEXT NOT NULL,
    entities TEXT NOT NULL,
    PRIMARY KEY (edition_id, rank)
);
