-- Each story of an edition keeps its category and dossier, so a reader can follow a dossier across days.
ALTER TABLE edition_stories ADD COLUMN category TEXT;
ALTER TABLE edition_stories ADD COLUMN dossier TEXT;
CREATE INDEX IF NOT EXISTS edition_stories_dossier ON edition_stories(dossier);
