-- A source can be paused (admin page): it stays, with its articles, but is not fetched.
ALTER TABLE sources ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
-- Story pages and timelines look editions up by story.
CREATE INDEX IF NOT EXISTS edition_stories_story ON edition_stories(story_id);
