-- PostgreSQL version of 0005_story_topics.sql.
CREATE INDEX IF NOT EXISTS edition_stories_story ON edition_stories(story_id);
ALTER TABLE edition_stories ADD COLUMN category TEXT;
ALTER TABLE edition_stories ADD COLUMN dossier TEXT;
CREATE INDEX IF NOT EXISTS edition_stories_dossier ON edition_stories(dossier);
