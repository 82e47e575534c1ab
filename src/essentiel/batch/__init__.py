"""Archive processing on Dask: WARC files -> extracted, signed and embedded articles in Parquet -> the store.

`run.run_batch` scans each WARC file into byte ranges and processes them as Dask tasks (`process.py`, which is
all a worker imports); `load.load_parquet` inserts the results into the store and places them into stories.
See docs/scaling.md.
"""
