"""``ingest(case, sources, settings)``: the whole ingest, parallel, resumable, audited.

Workers (processes) read, hash, decode and parse; only this process writes to SQLite.
Each file's rows (its evidence, its path, its frames, its hash hits, or its quarantine
row) are written in one transaction, so ``kill -9`` at any moment leaves every file
either fully recorded or not at all, and running the same command again finishes the job.

Resume is by content, not by name: a path is skipped only when its size and modification
time are those recorded. A file that changed is hashed again and, if its content differs,
recorded as a new version beside the old one (the old SHA-256 stays). Quarantined files are
retried when their reason may have gone (unreadable, out of memory) or they changed.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.ingest import exiftool_reader
from workbench.ingest.external import close_reader
from workbench.ingest.hashlists import HashMatcher, import_hash_list
from workbench.ingest.images import DEFAULT_MAX_PIXELS
from workbench.ingest.records import evidence_from_record
from workbench.ingest.sources import Item, ZipLimits, expand_sources
from workbench.ingest.video import FrameSampling
from workbench.ingest.worker import WorkerSettings, process_batch
from workbench.parallel import batches, process_pool, stop_on_signals
from workbench.progress import progress_bar
from workbench.store import evidence as store_evidence
from workbench.store.case import Seen, display_path
from workbench.types import Run

if TYPE_CHECKING:
    from workbench.distributed.engine import DaskEngine
    from workbench.store import Case

# Quarantine reasons that say nothing about the bytes (permissions, memory, a file type
# that was replaced): such files are retried on every run, even when unchanged.
RETRY_ALWAYS = frozenset({"unreadable_file", "too_large", "not_a_regular_file", "symlink"})

# Commit at least this often: a balance between SQLite commit cost and lost work on kill.
_COMMIT_EVERY_S = 0.5
_COMMIT_EVERY_N = 32


@dataclass(frozen=True)
class IngestSettings:
    """How an ingest runs.

    Attributes:
        fps: video frames sampled per second (plus scene changes).
        scene_threshold: histogram distance that counts as a scene change (0-1).
        workers: worker processes (default: all cores; 1 runs in this process).
        hash_lists: hash list files to import before ingesting.
        progress: show a progress bar (tqdm on a terminal, a widget in a notebook).
        max_pixels: decompression-bomb limit per image.
        zip_limits: limits that make an archive a zip bomb.
        max_video_frames: cap on sampled frames per video.
        exiftool: read metadata with ExifTool when it is installed (video GPS and time,
            XMP sidecars, vendor segments); False keeps to the built-in EXIF reader.
        batch: files sent to a worker at once (one ExifTool call per batch).
    """

    fps: float = 1.0
    scene_threshold: float = 0.5
    workers: int | None = None
    hash_lists: tuple[str, ...] = ()
    progress: bool = True
    max_pixels: int = DEFAULT_MAX_PIXELS
    zip_limits: ZipLimits = field(default_factory=ZipLimits)
    max_video_frames: int = 2000
    exiftool: bool = True
    batch: int = 8


@dataclass
class IngestReport:
    """What an ingest did (also recorded in the run's audit entry)."""

    run_id: str
    seen: int = 0
    skipped: int = 0
    new_evidence: int = 0
    duplicates: int = 0
    changed: int = 0
    retried: int = 0
    frames: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    hits: int = 0
    bytes: int = 0
    seconds: float = 0.0
    hash_lists: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quarantined"] = dict(self.quarantined)
        return data

    def __str__(self) -> str:
        q = sum(self.quarantined.values())
        rate = self.seen - self.skipped
        return (f"{rate} files in {self.seconds:.1f} s: {self.new_evidence} new, "
                f"{self.duplicates} duplicates, {self.frames} video frames, {q} quarantined"
                f"{f' {dict(self.quarantined)}' if q else ''}, {self.hits} hash hits, "
                f"{self.skipped} already done"
                + (f", {self.changed} changed since last seen (new versions kept beside the "
                   f"old)" if self.changed else "")
                + (f", {self.retried} earlier quarantined now read" if self.retried else ""))


def ingest(case: Case, sources: Sequence[str | os.PathLike[str]],
           settings: IngestSettings | None = None, cluster: DaskEngine | None = None
           ) -> IngestReport:
    """Ingest folders, zip archives and files into ``case``.

    Args:
        case: an open case.
        sources: folders (recursive), zip archives or single files.
        settings: rates, workers, hash lists; defaults are sensible.
        cluster: a Dask cluster to read the files on (``workbench.distributed``); default
            this machine's process pool.

    Returns:
        Counts of what happened, with the id of the ``ingest`` Run.

    Example:
        >>> with Case.init("cases/demo") as case:                       # doctest: +SKIP
        ...     print(ingest(case, ["sample_data/evidence"]))
    """
    # SIGTERM at any point (even while listing sources) records the run as interrupted
    with stop_on_signals():
        return _ingest(case, sources, settings or IngestSettings(), cluster)


def _ingest(case: Case, sources: Sequence[str | os.PathLike[str]], settings: IngestSettings,
            cluster: DaskEngine | None = None) -> IngestReport:
    started = time.perf_counter()
    lists = [import_hash_list(case, path) for path in settings.hash_lists]
    params = {"sources": [os.fspath(s) for s in sources], "fps": settings.fps,
              "scene_threshold": settings.scene_threshold, "max_pixels": settings.max_pixels,
              "hash_lists": list(settings.hash_lists),
              "tasks_on": "local pool" if cluster is None else cluster.describe()}
    run = Run.start("ingest", models=_versions(), params=params)
    report = IngestReport(run_id=run.id, hash_lists=[
        {"name": i.name, "rows": i.rows, "imported": i.imported, "duplicates": i.duplicates,
         "rejected": [[r.line, r.reason] for r in i.rejected]} for i in lists])

    def summarize() -> dict[str, Any]:
        report.seconds = round(time.perf_counter() - started, 3)
        return report.as_dict()

    # Ctrl-C or SIGTERM (see workbench.parallel) arrive as KeyboardInterrupt: 'interrupted'
    with case.recording(run) as rec:
        rec.summarize = summarize
        items, rejections = expand_sources(sources, settings.zip_limits)
        seen = case.processed_paths()
        report.seen = len(items) + len(rejections)
        todo = [i for i in items if needs_work(i.size, i.mtime_ns, seen.get(display_path(i.path)))]
        report.skipped = len(items) - len(todo)
        with case.transaction():
            for rej in rejections:
                prior = seen.get(display_path(rej.path))
                if prior is not None and prior.reason == rej.reason:
                    report.skipped += 1
                    continue
                case.quarantine(rej.path, rej.reason, rej.detail, size=rej.size,
                                mtime_ns=rej.mtime_ns, run_id=run.id)
                case.audit("ingest.quarantine", target=display_path(rej.path),
                           detail={"reason": rej.reason, "detail": display_path(rej.detail)})
                report.quarantined[rej.reason] += 1
        _clear_scratch(case)
        matcher = HashMatcher.from_case(case)
        use_exiftool = settings.exiftool and exiftool_reader.available()
        if settings.exiftool and not use_exiftool:
            report.warnings.append(exiftool_reader.INSTALL_HINT)
        worker = WorkerSettings(case_dir=str(case.path), max_pixels=settings.max_pixels,
                                sampling=FrameSampling(fps=settings.fps,
                                                       scene_threshold=settings.scene_threshold,
                                                       max_frames=settings.max_video_frames),
                                exiftool=use_exiftool)
        bar = progress_bar(len(todo), "ingest", enabled=settings.progress)
        try:
            results = (_results(todo, worker, settings.workers, settings.batch) if cluster is None
                       else cluster.ingest_results(todo, worker, settings.batch))
            _store_all(case, results, matcher, run.id, report, bar, seen)
        finally:
            bar.close()
    return report


def needs_work(size: int | None, mtime_ns: int | None, prior: Seen | None) -> bool:
    """Whether a file must be (re)read: new, changed since last seen, or worth a retry."""
    if prior is None:
        return True
    if prior.reason in RETRY_ALWAYS:
        return True
    return (size, mtime_ns) != (prior.size, prior.mtime_ns)


def _clear_scratch(case: Case) -> None:
    """Remove copies of zipped videos left by an ingest that was killed mid-file."""
    scratch = case.derived_dir / "tmp"
    if scratch.is_dir():
        for leftover in scratch.iterdir():
            if leftover.is_file():
                leftover.unlink()


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("pillow", "pillow-heif", "pdqhash", "opencv-contrib-python-headless"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "missing"
    return out


def _results(todo: list[Item], settings: WorkerSettings, workers: int | None,
             batch: int = 8) -> Iterator[dict[str, Any]]:
    """Worker results in completion order, with at most a few batches in flight per worker."""
    count = workers or os.cpu_count() or 1
    # largest files first: the last batches are then small, so no worker is left alone
    # with a long video or a 48 MP HEIF at the end while the other idles
    todo = sorted(todo, key=lambda item: -(item.size or 0))
    chunks = batches(todo, batch, count)
    if count <= 1 or len(todo) <= 1:
        with stop_on_signals():  # SIGTERM unwinds like Ctrl-C: the run is marked interrupted
            try:
                for chunk in chunks:
                    yield from process_batch(chunk, settings)
            finally:
                close_reader()  # no ExifTool left running in a notebook's kernel
        return
    # fork on Linux: workers start at once and scripts need no __main__ guard; workers
    # never touch the inherited SQLite connection (only this process writes).
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    pending: set[Future[list[dict[str, Any]]]] = set()
    queue = iter(chunks)
    # process_pool: SIGTERM stops the workers too, and they die with this process
    with process_pool(count, mp_context=context) as pool:
        for chunk in queue:
            pending.add(pool.submit(process_batch, chunk, settings))
            if len(pending) >= count * 3:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield from future.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.add(pool.submit(process_batch, nxt, settings))


def _store_all(case: Case, results: Iterator[dict[str, Any]], matcher: HashMatcher, run_id: str,
               report: IngestReport, bar: Any, seen: dict[str, Seen]) -> None:
    batch: list[dict[str, Any]] = []
    last = time.monotonic()
    for result in results:
        batch.append(result)
        if len(batch) >= _COMMIT_EVERY_N or time.monotonic() - last > _COMMIT_EVERY_S:
            _write(case, batch, matcher, run_id, report, seen)
            bar.update(len(batch))
            batch, last = [], time.monotonic()
    if batch:
        _write(case, batch, matcher, run_id, report, seen)
        bar.update(len(batch))


def _write(case: Case, batch: list[dict[str, Any]], matcher: HashMatcher, run_id: str,
           report: IngestReport, seen: dict[str, Seen]) -> None:
    """Write a batch of files; each file's rows all land in the same transaction."""
    name = case.name
    with case.transaction():
        for result in batch:
            item: Item = result["item"]
            shown = display_path(item.path)
            prior = seen.get(shown)
            if "error" in result:
                reason, detail = result["error"]
                case.quarantine(item.path, reason, detail, sha256=result.get("sha256"),
                                size=item.size, mtime_ns=item.mtime_ns, run_id=run_id)
                case.audit("ingest.quarantine", target=shown,
                           detail={"reason": reason, "detail": display_path(detail)})
                report.quarantined[reason] += 1
                continue
            _note_history(case, shown, prior, result["records"][0]["id"], report)
            for index, record in enumerate(result["records"]):
                record = dict(record)
                path = record.pop("_path", item.path)
                is_file = index == 0
                new = store_evidence.add(case, evidence_from_record(record, name, (path,)), path,
                                         size=item.size if is_file else None,
                                         mtime_ns=item.mtime_ns if is_file else None,
                                         run_id=run_id)
                if is_file:
                    report.bytes += int(record.get("bytes") or 0)
                    if new:
                        report.new_evidence += 1
                    else:
                        report.duplicates += 1
                elif new:
                    report.frames += 1
                if len(matcher):
                    found = matcher.match(record, run_id)
                    report.hits += case.add_hits((h for h, _ in found), (k for _, k in found))


def _note_history(case: Case, shown: str, prior: Seen | None, sha256: str,
                  report: IngestReport) -> None:
    """Audit what a re-read found: a changed file, or a quarantined file now readable."""
    if prior is None:
        return
    if prior.reason is not None:
        old_reason = case.unquarantine(shown)
        if old_reason is not None:
            report.retried += 1
            case.audit("ingest.unquarantine", target=shown,
                       detail={"earlier_reason": old_reason, "sha256": sha256})
    elif prior.sha256 != sha256:
        report.changed += 1
        case.audit("ingest.changed", target=shown, detail={
            "earlier_sha256": prior.sha256, "sha256": sha256,
            "note": "new content at the same path; the earlier version stays recorded"})
