"""Publishers: the edition as a static site, as RSS / JSON feeds and as Markdown.

Import from the submodules: `essentiel.publish.site.write_site`, `essentiel.publish.feeds.edition_rss`,
`essentiel.publish.feeds.edition_json_feed`, `essentiel.publish.markdown.edition_markdown`.
"""
