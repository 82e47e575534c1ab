"""The batch on Dask: scan each WARC file into ranges, process the ranges as tasks, gather the reports.

    report = run_batch(["cc-news/*.warc.gz"], "out/", workers=2)            # a LocalCluster on local cores
    report = run_batch(["s3://bucket/*.warc.gz"], "s3://bucket/out/", scheduler="tcp://host:8786")

Every task is submitted with `retries`: a task that fails (a worker lost, a transient read error) runs again,
and since a part is renamed into place only when complete, a retry starts clean. A corrupt record is not a
failure: the task that meets it reports it (one line, file and offset) and goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .process import BATCH_SIZE, PartResult, Task, process_part
from .warc import Scan, check_readable, expand_inputs, location, scan

log = logging.getLogger(__name__)
RECORDS_PER_TASK = 500  # HTML responses per task: a CC-NEWS file (~30k pages) makes about 60 tasks
RETRIES = 2


@dataclass
class BatchReport:
    files: list[str]
    output: str
    tasks: int = 0
    records: int = 0
    articles: int = 0
    duplicates: int = 0
    skipped: int = 0
    corrupt: list[str] = field(default_factory=list)
    failed: list[str] = field(
        default_factory=list
    )  # tasks that failed after their retries: run again, --resume
    reused: int = 0  # parts already complete, kept by --resume
    parts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, part: PartResult) -> None:
        self.tasks += 1
        self.records += part.records
        self.articles += part.articles
        self.duplicates += part.duplicates
        self.skipped += len(part.skipped)
        self.corrupt += part.corrupt
        self.parts.append(part.path)


@contextmanager
def dask_client(
    scheduler: str | None, workers: int, threads_per_worker: int, processes: bool
) -> Iterator[Any]:
    """A client of the cluster at `scheduler`, or of a LocalCluster of `workers` worker processes."""
    from distributed import Client, LocalCluster

    # Dask's own INFO lines (scheduler and nanny start, client connections) only with -v.
    logging.getLogger("distributed").setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"{scheduler}: cannot reach the Dask scheduler ({exc})") from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker,
            processes=processes,
            dashboard_address="127.0.0.1:0",  # any free port: 8787 may be taken by another cluster
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_batch(
    inputs: Sequence[str],
    output: str,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    threads_per_worker: int = 1,
    processes: bool = True,
    records_per_task: int = RECORDS_PER_TASK,
    batch_size: int = BATCH_SIZE,
    retries: int = RETRIES,
    resume: bool = False,
    process: Callable[[Task], PartResult] = process_part,
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Process WARC files on Dask into Parquet parts under `output` (a folder or an fsspec URL).

    A task that still fails after its retries is reported in `failed` and the others go on; `resume` then
    keeps the parts already complete and runs only the missing ones (same inputs, same `records_per_task`).
    """
    from distributed import as_completed
    from fsspec.core import url_to_fs

    started = time.perf_counter()
    files = expand_inputs(inputs)
    for url in files:  # a missing or unreadable file is one clear error before any work starts
        check_readable(url)
    fs, root = url_to_fs(output)  # a local path is made absolute: workers have their own working folder
    fs.makedirs(root, exist_ok=True)
    output = location(fs, root)
    done = {location(fs, p) for p in fs.glob(f"{root.rstrip('/')}/part-*.parquet")}
    if done and not resume:
        raise InputError(
            f"{output}: holds {len(done)} parts of an earlier run (add --resume to complete it, or use another folder)"
        )
    report = BatchReport(files, output)
    with dask_client(scheduler, workers, threads_per_worker, processes) as client:
        scans = client.map(scan, files, per_task=records_per_task, retries=retries, pure=False)
        index = {future.key: number for number, future in enumerate(scans)}
        what = {future.key: url for future, url in zip(scans, files, strict=True)}
        order = {future.key: (number, -1) for number, future in enumerate(scans)}  # failures in input order
        failures: list[tuple[tuple[int, int], str]] = []
        pending = as_completed(scans)
        for future in pending:
            try:
                result = future.result()
            except Exception as exc:  # after its retries: reported, the other tasks go on
                line = f"{what[future.key]}: failed after {retries} retries ({type(exc).__name__}: {exc})"
                log.error("%s", line)
                failures.append((order[future.key], line))
                continue
            if isinstance(result, Scan):
                tasks = [
                    Task(
                        result.url,
                        index[future.key],
                        part,
                        start,
                        end,
                        output,
                        batch_size,
                        threads_per_worker,
                    )
                    for part, (start, end) in enumerate(result.ranges)
                ]
                todo = [t for t in tasks if t.path not in done]
                report.reused += len(tasks) - len(todo)
                report.parts += [t.path for t in tasks if t.path in done]
                log.info("%s: %d HTML responses, %d tasks", result.url, result.responses, len(todo))
                futures = client.map(process, todo, retries=retries, pure=False)
                what.update((f.key, t.describe()) for f, t in zip(futures, todo, strict=True))
                order.update((f.key, (t.file_index, t.part)) for f, t in zip(futures, todo, strict=True))
                pending.update(futures)
                continue
            report.add(result)
            for line in result.corrupt:
                log.warning("%s", line)
            if progress:
                progress(result.records)
    report.parts.sort()
    report.failed = [line for _, line in sorted(failures)]
    report.seconds = time.perf_counter() - started
    return report
