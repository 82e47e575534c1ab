"""The SQL differences between SQLite and PostgreSQL, in one place.

The store writes one set of SQL with `?` placeholders and the portable subset both engines share (upserts as
`INSERT ... ON CONFLICT(...) DO UPDATE` with table-qualified columns on the right-hand side, `RETURNING id`,
`NULLS FIRST`). What cannot be shared comes from a `Dialect`: full-text search (FTS5 against a `tsvector`
column), JSON arrays (`json_each` against `jsonb_array_elements`), scalar MIN/MAX. `to_postgres` turns the
placeholders into psycopg's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

R = TypeVar("R")

# The table both backends record applied migrations in (same columns, same SQL).
SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)"
)
APPLIED_MIGRATIONS = "SELECT version FROM schema_migrations ORDER BY version"


@dataclass(frozen=True)
class FullText:
    """How to search one full-text index: the FROM clause (its one `?` takes the query), the match condition,
    the ORDER BY (best first). The rows are aliased `alias` (articles `a`, story_search `s`)."""

    source: str
    match: str
    order: str


@dataclass(frozen=True)
class Dialect:
    name: str  # 'sqlite' or 'postgresql'

    @property
    def postgres(self) -> bool:
        return self.name == "postgresql"

    def fts_query(self, text: str) -> str:
        """The user's words as the query the index takes; '' when there is nothing to search.

        SQLite: each word quoted (punctuation cannot break FTS5 syntax), all required. PostgreSQL: the words
        as typed (plainto_tsquery ignores punctuation), all required, stemmed in French and in English.
        """
        words = [w.replace('"', "") for w in text.split()]
        words = [w for w in words if w]
        if self.postgres:
            return " ".join(words)
        return " ".join(f'"{w}"' for w in words)

    def articles_fts(self) -> FullText:
        if self.postgres:
            return FullText(
                "articles a CROSS JOIN (SELECT essentiel_tsquery(?) AS query) q",
                "a.fts @@ q.query",
                "ts_rank(a.fts, q.query) DESC, a.id",
            )
        return FullText(
            "articles_fts JOIN articles a ON a.rowid = articles_fts.rowid", "articles_fts MATCH ?", "rank"
        )

    def stories_fts(self) -> FullText:
        if self.postgres:
            return FullText(
                "story_search s CROSS JOIN (SELECT essentiel_tsquery(?) AS query) q",
                "s.fts @@ q.query",
                "ts_rank(s.fts, q.query) DESC, s.id",
            )
        return FullText(
            "stories_fts JOIN story_search s ON s.id = stories_fts.rowid", "stories_fts MATCH ?", "rank"
        )

    def json_items(self, array: str, alias: str = "j") -> str:
        """A table of the elements of a JSON array held in a text column, one row each, column `<alias>.value`."""
        if self.postgres:
            return f"jsonb_array_elements({array}::jsonb) {alias}"
        return f"json_each({array}) {alias}"

    def json_texts(self, array: str, alias: str = "j") -> str:
        """Like json_items, for an array of strings: `<alias>.value` is the text."""
        if self.postgres:
            return f"jsonb_array_elements_text({array}::jsonb) {alias}"
        return f"json_each({array}) {alias}"

    def json_at(self, value: str, index: int) -> str:
        """Element `index` of a JSON array value (from json_items), as text."""
        if self.postgres:
            return f"({value} ->> {index})"
        return f"json_extract({value}, '$[{index}]')"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.postgres else f"MIN({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"MAX({a}, {b})"


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgresql")


@lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """`?` placeholders (outside string literals) become `%s`; a literal `%` becomes `%%` (psycopg's escape).

    Queries are always sent with a parameter tuple, possibly empty, so psycopg always reads `%%` as `%`.
    """
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


def query_in_chunks(
    query: Callable[[str, tuple[object, ...]], list[R]],
    sql: str,
    values: Sequence[object],
    params: tuple[object, ...],
    size: int,
) -> list[R]:
    """Rows of `sql` with its `{marks}` filled by `values`, `size` values per statement; `params` come first."""
    rows: list[R] = []
    for start in range(0, len(values), size):
        chunk = tuple(values[start : start + size])
        rows += query(sql.format(marks=", ".join("?" * len(chunk))), params + chunk)
    return rows
