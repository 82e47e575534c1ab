-- Article metadata beyond the text (issue #4): when the page was last modified, where the outlet files it,
-- its tags, its canonical URL, and whether the text is a paywall teaser.
ALTER TABLE articles ADD COLUMN modified TEXT;
ALTER TABLE articles ADD COLUMN section TEXT;
ALTER TABLE articles ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE articles ADD COLUMN canonical_url TEXT;
ALTER TABLE articles ADD COLUMN paywalled INTEGER NOT NULL DEFAULT 0;
