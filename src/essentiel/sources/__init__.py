"""Where news comes from: feeds and sitemaps (parse_feed) and OPML subscription lists."""

from essentiel.sources.feeds import discover_feeds, html_to_text, is_sitemap_index, parse_feed
from essentiel.sources.opml import parse_opml, to_opml

__all__ = ["discover_feeds", "html_to_text", "is_sitemap_index", "parse_feed", "parse_opml", "to_opml"]
