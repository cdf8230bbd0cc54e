"""Benchmark the ingest against ``exiftool -j -n`` plus ``sha256sum`` on the same files.

Usage:
    python benchmarks/ingest.py [FOLDER ...] [--workers 2] [--repeat 1]

Defaults to ``../shared/data/faces/labelled`` and ``../shared/data/exif``. Both sides get a
warm page cache and the same number of processes (``--workers``): the workbench runs its
process pool; exiftool runs as that many parallel processes over an even split of the
files, then ``sha256sum`` hashes every file. The workbench does strictly more work
(three hashes, a full pixel decode, PDQ, SQLite writes; metadata from the built-in reader
and, for files where it adds something, a batched ``-stay_open`` ExifTool), so a ratio
>= 1 means the workbench is at least as fast as the pair. Both sides run in the same
invocation, so machine load affects both; the load average is printed.

Where the workbench's time goes (profile with ``--profile``): on the default files most
of it is decoding pixels, above all HEIF, which has no reduced-size decoding (JPEGs are
decoded at 1/2-1/8 DCT scale, as far as PDQ's 512 px input allows). The run also prints
the *decode floor*: the CPU time of nothing but decoding the same images, one process,
JPEGs at the smallest DCT scale (1/8) and HEIFs single-threaded. Entropy decoding must
read every byte to notice truncation and corruption, so no ingest that verifies pixels
and computes PDQ can use less CPU than that floor; when the floor alone exceeds the
pair's CPU time, a ratio of 1.0 is out of reach for a verifying ingest on those files.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULTS = [REPO.parent / "shared" / "data" / "faces" / "labelled",
            REPO.parent / "shared" / "data" / "exif"]


def _files(folders: list[Path]) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*")
                  if p.is_file() and not p.is_symlink())


def _warm(files: list[Path]) -> int:
    return sum(len(p.read_bytes()) for p in files)


def _cpu() -> float:
    """CPU seconds used so far by this process and its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_workbench(folders: list[Path], workers: int) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds, media stored, files quarantined."""
    from workbench.ingest.pipeline import IngestSettings, ingest
    from workbench.store import Case

    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        with Case.init(Path(tmp) / "case") as case:
            started, cpu = time.perf_counter(), _cpu()
            report = ingest(case, [str(f) for f in folders],
                            IngestSettings(workers=workers, progress=False))
            seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    return (seconds, cpu, report.new_evidence + report.duplicates,
            sum(report.quarantined.values()))


def run_pair(files: list[Path], workers: int) -> tuple[float, float]:
    """Wall and CPU seconds for exiftool -j -n (``workers`` processes), then sha256sum."""
    names = [str(p) for p in files]
    started, cpu = time.perf_counter(), _cpu()
    chunks = [names[i::workers] for i in range(workers)]
    procs = [subprocess.Popen(["exiftool", "-j", "-n", "-q", "-q", *chunk],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for chunk in chunks if chunk]
    for proc in procs:
        proc.wait()
    subprocess.run(["sha256sum", *names], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started, _cpu() - cpu


def decode_floor(files: list[Path]) -> dict[str, float]:
    """CPU seconds spent only decoding pixels, per format, as cheaply as Pillow can.

    JPEGs are decoded at 1/8 DCT scale (every byte is still entropy-decoded), HEIFs with
    one decoder thread (threads add CPU, not save it), everything else fully. Files that
    do not decode are skipped: they are the ingest's quarantine, not its floor.
    """
    import io

    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    pillow_heif.options.DECODE_THREADS = 1
    spent: dict[str, float] = {}
    for path in files:
        data = path.read_bytes()
        started = time.process_time()
        try:
            image = Image.open(io.BytesIO(data))
            if image.format == "JPEG":
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
        except Exception:  # noqa: BLE001 - corrupt files are quarantined, not timed
            continue
        fmt = image.format or "other"
        spent[fmt] = spent.get(fmt, 0.0) + time.process_time() - started
    return spent


def _profile(folders: list[Path]) -> int:
    import cProfile
    import pstats

    from workbench.ingest.pipeline import IngestSettings, ingest
    from workbench.store import Case

    with tempfile.TemporaryDirectory(prefix="wb-prof-") as tmp, \
            Case.init(Path(tmp) / "case") as case:
        profiler = cProfile.Profile()
        profiler.enable()
        ingest(case, [str(f) for f in folders], IngestSettings(workers=1, progress=False))
        profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=DEFAULTS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="take the best of N runs")
    parser.add_argument("--profile", action="store_true",
                        help="profile one single-process ingest and print the top functions")
    args = parser.parse_args(argv)
    if args.profile:
        return _profile(args.folders)
    if shutil.which("exiftool") is None:
        print("exiftool not found: apt-get install -y libimage-exiftool-perl", file=sys.stderr)
        return 1
    files = _files(args.folders)
    total = _warm(files)
    megabytes = total / 1e6
    wb_runs, pair_runs, stored, quarantined = [], [], 0, 0
    for _ in range(args.repeat):
        seconds, cpu, stored, quarantined = run_workbench(args.folders, args.workers)
        wb_runs.append((seconds, cpu))
        pair_runs.append(run_pair(files, args.workers))
    (wb, wb_cpu), (pair, pair_cpu) = min(wb_runs), min(pair_runs)
    floor = decode_floor(files)
    load = os.getloadavg()[0]
    print(f"files: {len(files)} ({megabytes:.1f} MB) in {', '.join(map(str, args.folders))}")
    print(f"workers: {args.workers}; cores: {os.cpu_count()}; load average at end: {load:.1f}")
    print(f"workbench ingest:        {wb:7.2f} s  {len(files) / wb:7.1f} files/s  "
          f"{megabytes / wb:6.1f} MB/s  ({stored} stored, {quarantined} quarantined; "
          f"sha256+md5+sha1, full decode, PDQ, metadata, SQLite); CPU {wb_cpu:.2f} s")
    print(f"exiftool -j -n + sha256sum: {pair:5.2f} s  {len(files) / pair:7.1f} files/s  "
          f"{megabytes / pair:6.1f} MB/s  CPU {pair_cpu:.2f} s")
    print(f"ratio (pair time / workbench time): {pair / wb:.2f}  "
          f"({'workbench faster' if pair >= wb else 'workbench slower'}); "
          f"CPU-time ratio {pair_cpu / wb_cpu:.2f}")
    by_format = ", ".join(f"{fmt} {cpu:.2f} s" for fmt, cpu in
                          sorted(floor.items(), key=lambda kv: -kv[1]))
    print(f"decode floor (CPU, pixels only, cheapest decode): {sum(floor.values()):.2f} s "
          f"({by_format}) = {sum(floor.values()) / pair_cpu:.2f}x the pair's CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
