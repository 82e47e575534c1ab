"""Publishers: the edition as a static site, as RSS / Atom / JSON feeds, as an e-mail, as Markdown or text.

Import from the submodules: `essentiel.publish.site.write_site`, `essentiel.publish.feeds.edition_rss`
(`edition_atom`, `edition_json_feed`), `essentiel.publish.email.send_edition`,
`essentiel.publish.text.edition_text`, `essentiel.publish.markdown.edition_markdown`.
"""
