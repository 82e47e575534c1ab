"""The web app: `create_app(db_path)` returns a Starlette app serving the editions, stories and articles.

`create_app` is imported lazily so that `essentiel.web.i18n` can be used (by the publishers) without
loading Starlette and the app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
