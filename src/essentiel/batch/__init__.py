"""Archive processing on Dask: WARC files -> extracted, signed and embedded articles in Parquet -> the store.

`run_batch` (run.py) scans each WARC file into byte ranges and processes them as Dask tasks (process.py);
`load_parquet` (load.py) inserts the results into the store and places them into stories. See docs/scaling.md.
"""

from __future__ import annotations

from .load import LoadReport, load_parquet
from .run import BatchReport, run_batch

__all__ = ["BatchReport", "LoadReport", "load_parquet", "run_batch"]
