"""SQL for fetched documents (raw bytes, compressed) and articles (with their FTS5 index)."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from ..models import Article, Fetched
from .db import AnyDatabase, Row, from_db_time, to_db_time, utcnow

ARTICLE_COLUMNS = (
    "id, url, title, kicker, lead, text, authors, published, language, site_name, image, source, outlet,"
    " source_weight, independent, source_id, document_id, fetched_at, modified, section, tags, canonical_url,"
    " paywalled"
)
A_COLUMNS = ", ".join("a." + c.strip() for c in ARTICLE_COLUMNS.split(","))  # aliased `a`


def _article(row: Row) -> Article:
    return Article(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        kicker=row["kicker"],
        lead=row["lead"],
        text=row["text"],
        authors=tuple(json.loads(row["authors"])),
        published=from_db_time(row["published"]),
        language=row["language"],
        site_name=row["site_name"],
        image=row["image"],
        source=row["source"],
        outlet=row["outlet"],
        source_weight=row["source_weight"],
        independent=bool(row["independent"]),
        modified=from_db_time(row["modified"]),
        section=row["section"],
        tags=tuple(json.loads(row["tags"] or "[]")),
        canonical_url=row["canonical_url"],
        paywalled=bool(row["paywalled"]),
    )


class ArticlesStore:
    db: AnyDatabase

    def save_document(self, fetched: Fetched, source_id: int | None = None) -> int:
        raw = fetched.content
        with self.db.transaction() as conn:
            row = conn.execute(
                "INSERT INTO documents (source_id, requested_url, url, status, content_type, content, size, sha1,"
                " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    source_id,
                    fetched.requested_url,
                    fetched.url,
                    fetched.status,
                    fetched.content_type,
                    zlib.compress(raw, 6),
                    len(raw),
                    hashlib.sha1(raw).hexdigest(),
                    to_db_time(fetched.fetched_at),
                ),
            ).fetchone()
        assert row is not None  # RETURNING gives the new row's id
        return int(row[0])

    def get_document(self, document_id: int) -> Fetched | None:
        rows = self.db.query("SELECT * FROM documents WHERE id = ?", (document_id,))
        if not rows:
            return None
        row = rows[0]
        return Fetched(
            requested_url=row["requested_url"],
            url=row["url"],
            status=row["status"],
            content=zlib.decompress(row["content"]),
            fetched_at=from_db_time(row["fetched_at"]) or utcnow(),
            content_type=row["content_type"],
        )

    def save_articles(
        self,
        articles: Iterable[Article],
        *,
        fetched_at: datetime | None = None,
        source_id: int | None = None,
        document_id: int | None = None,
    ) -> int:
        """Insert or update articles (same id: the newer extraction wins). Returns how many were written."""
        when = to_db_time(fetched_at or utcnow())
        rows = [
            (
                a.id,
                a.url,
                a.title,
                a.kicker,
                a.lead,
                a.text,
                json.dumps(list(a.authors), ensure_ascii=False),
                to_db_time(a.published),
                a.language,
                a.site_name,
                a.image,
                a.source,
                a.outlet,
                a.source_weight,
                int(a.independent),
                source_id,
                document_id,
                when,
                to_db_time(a.modified),
                a.section,
                json.dumps(list(a.tags), ensure_ascii=False),
                a.canonical_url,
                int(a.paywalled),
            )
            for a in articles
        ]
        with self.db.transaction() as conn:
            conn.executemany(
                f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ({', '.join('?' * 23)})"
                " ON CONFLICT(id) DO UPDATE SET url=excluded.url, title=excluded.title,"
                " kicker=excluded.kicker, lead=excluded.lead, text=excluded.text, authors=excluded.authors,"
                " published=excluded.published, language=excluded.language, site_name=excluded.site_name,"
                " image=excluded.image, source=excluded.source, outlet=excluded.outlet,"
                " source_weight=excluded.source_weight, independent=excluded.independent,"
                " document_id=COALESCE(excluded.document_id, articles.document_id), modified=excluded.modified,"
                " section=excluded.section, tags=excluded.tags, canonical_url=excluded.canonical_url,"
                " paywalled=excluded.paywalled",
                rows,
            )
        return len(rows)

    def get_article(self, article_id: str) -> Article | None:
        rows = self.db.query(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,))
        return _article(rows[0]) if rows else None

    def get_articles(self, ids: Sequence[str]) -> list[Article]:
        """Articles by id, in the order asked (unknown ids are skipped)."""
        rows = self.db.query_in(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id IN ({{marks}})", ids)
        found = {row["id"]: _article(row) for row in rows}
        return [found[i] for i in ids if i in found]

    def known_urls(self, urls: Sequence[str]) -> set[str]:
        """Which of these URLs already have an article (so they are not fetched again)."""
        return {r[0] for r in self.db.query_in("SELECT url FROM articles WHERE url IN ({marks})", urls)}

    def recent_articles(self, since: datetime, until: datetime | None = None) -> list[Article]:
        """Articles fetched (or published) in [since, until], oldest first."""
        params = (to_db_time(since), to_db_time(until or utcnow()))
        rows = self.db.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE COALESCE(published, fetched_at) BETWEEN ? AND ?"
            " OR fetched_at BETWEEN ? AND ? ORDER BY fetched_at, id",
            params + params,
        )
        return [_article(r) for r in rows]

    def article_document(self, article_id: str) -> int | None:
        rows = self.db.query("SELECT document_id FROM articles WHERE id = ?", (article_id,))
        return rows[0][0] if rows else None

    def search_articles(self, text: str, limit: int = 50) -> list[Article]:
        query = self.db.dialect.fts_query(text)
        if not query:
            return []
        fts = self.db.dialect.articles_fts()
        rows = self.db.query(
            f"SELECT {A_COLUMNS} FROM {fts.source} WHERE {fts.match} ORDER BY {fts.order} LIMIT ?",
            (query, limit),
        )
        return [_article(r) for r in rows]

    def count(self, table: str) -> int:
        if table not in {"sources", "documents", "articles", "stories", "editions"}:
            raise ValueError(table)
        return int(self.db.query(f"SELECT COUNT(*) FROM {table}")[0][0])
