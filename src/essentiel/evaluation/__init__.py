"""Evaluation on the development sets (`../shared/data`): `essentiel eval extraction|clustering|summaries`.

Each module has `run(data: Path, *, limit: int | None, split: str, as_json: bool) -> dict` that prints its
table (or JSON) and returns the figures. The test suite never needs the data sets.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_DATA = Path("../shared/data")
