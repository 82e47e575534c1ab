-- Publishing (issue #7): full-text search over stories, next to the articles' index (articles_fts).
-- One row per story: its newest edition snapshot (title, essentiel, key entities, dossier), with the columns
-- the search filters use (day, languages, outlets, category). Kept by a trigger on edition_stories, so a story
-- ranked again on a later day replaces its row instead of adding one.
CREATE TABLE story_search (
    id INTEGER PRIMARY KEY,
    story_id TEXT NOT NULL UNIQUE,
    day TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    entities TEXT NOT NULL,
    languages TEXT NOT NULL,
    outlets TEXT NOT NULL,
    category TEXT,
    dossier TEXT
);
CREATE INDEX story_search_day ON story_search(day);

CREATE VIRTUAL TABLE stories_fts USING fts5(
    title, summary, entities, dossier, content='story_search', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER story_search_ai AFTER INSERT ON story_search BEGIN
    INSERT INTO stories_fts(rowid, title, summary, entities, dossier)
    VALUES (new.id, new.title, new.summary, new.entities, COALESCE(new.dossier, ''));
END;
CREATE TRIGGER story_search_ad AFTER DELETE ON story_search BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, summary, entities, dossier)
    VALUES ('delete', old.id, old.title, old.summary, old.entities, COALESCE(old.dossier, ''));
END;

-- A snapshot of an older day than the story's row (an edition rebuilt for a past day) leaves the row alone.
CREATE TRIGGER edition_stories_search AFTER INSERT ON edition_stories
WHEN NOT EXISTS (
    SELECT 1 FROM story_search s WHERE s.story_id = new.story_id
    AND s.day > (SELECT e.day FROM editions e WHERE e.id = new.edition_id)
)
BEGIN
    DELETE FROM story_search WHERE story_id = new.story_id;
    INSERT INTO story_search (story_id, day, title, summary, entities, languages, outlets, category, dossier)
    SELECT new.story_id, e.day, new.title, COALESCE(json_extract(new.summary, '$.summary'), ''),
        COALESCE((SELECT group_concat(json_extract(j.value, '$[0]'), ' ') FROM json_each(new.entities) j), ''),
        new.languages, new.outlets, new.category, new.dossier
    FROM editions e WHERE e.id = new.edition_id;
END;

-- The stories of the editions already stored: the newest snapshot of each.
INSERT INTO story_search (story_id, day, title, summary, entities, languages, outlets, category, dossier)
SELECT story_id, day, title, summary_text, entity_names, languages, outlets, category, dossier FROM (
    SELECT es.story_id, e.day, es.title, COALESCE(json_extract(es.summary, '$.summary'), '') AS summary_text,
        COALESCE((SELECT group_concat(json_extract(j.value, '$[0]'), ' ') FROM json_each(es.entities) j), '')
            AS entity_names,
        es.languages, es.outlets, es.category, es.dossier,
        ROW_NUMBER() OVER (PARTITION BY es.story_id ORDER BY e.day DESC, e.created_at DESC, e.id DESC) AS n
    FROM edition_stories es JOIN editions e ON e.id = es.edition_id
) WHERE n = 1;
