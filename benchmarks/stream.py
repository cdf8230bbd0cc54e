"""A live stream watched end to end: frames received, analysed, dropped, lag frame -> hit.

The shared 1080p clip (``../shared/data/video/facenet_pytorch_video.mp4``: 1920x1080,
25 fps, 105 frames, up to 8 faces a frame) is served by ffmpeg on 127.0.0.1 as MPEG-TS
over HTTP in real time (``-re``, looped ``--loops`` extra times), and ``watch`` analyses it
with the shipped face engine into a fresh case, once per setting:

* ``1 fps``: the default sampling.
* ``all frames``: every frame offered; the analysis keeps the freshest and drops the
  rest. The time one frame takes (keep, analyse, store: ``frame_s``) measured here gives
  the most this machine sustains, ``sustainable_fps`` = frames / seconds spent on them.
* ``sustained``: sampling at 90 % of that measured rate, which should drop (almost)
  nothing and keep the lag near one frame's time.

Lag frame -> hit is from the moment a frame was read off the stream to the moment its
hit was stored (and would be sent). So that every face track gives a hit, the rules are a
single rule that fires on any face (``quality >= 0``); which rule fires does not change the
lag. Lag frame -> analysed is given for every analysed frame too. ``receive_span_s`` is how
long the 315 frames took to arrive: beyond the content's 12.6 s, the reader itself fell
behind (decoding 1080p shares the cores with the analysis).

Usage:
    .venv/bin/python benchmarks/stream.py [--loops 2] [--detector hog] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CLIP = ROOT.parent / "shared" / "data" / "video" / "facenet_pytorch_video.mp4"
ANY_FACE_RULES = """
version: bench-any-face
rules:
  - name: any_face
    description: fires on every face (benchmark of the lag, not of a criterion)
    level: face
    base: 0.5
    conditions:
      - {attr: quality, op: ">=", value: 0.0, label: any face}
"""


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(port: int, loops: int) -> subprocess.Popen[bytes]:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        sys.exit("ffmpeg is missing: `make system-deps` installs it")
    return subprocess.Popen([
        ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", str(loops),
        "-i", str(CLIP), "-c", "copy", "-f", "mpegts", "-listen", "1",
        f"http://127.0.0.1:{port}/live.ts"], stdin=subprocess.DEVNULL)


def run_once(fps: float, loops: int, analyzer: Any, rules: Path, workdir: Path,
             label: str) -> dict[str, Any]:
    """One watch of the served clip; returns its summary with the label and fps."""
    from workbench.store import Case
    from workbench.streams.reader import ReaderSettings
    from workbench.streams.watch import WatchSettings, watch

    port = _port()
    case = Case.init(workdir / label.replace(" ", "_"))
    server = _serve(port, loops)
    try:
        settings = WatchSettings(reader=ReaderSettings(fps=fps, max_retries=2),
                                 rules=str(rules))
        status = watch(case, f"http://127.0.0.1:{port}/live.ts", settings, analyzer)
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(10)
        case.close()
    return {**status.summary(), "label": label, "fps_setting": fps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=2,
                        help="extra plays of the 4.2 s clip (default 2: 12.6 s of stream)")
    parser.add_argument("--detector", default="hog")
    parser.add_argument("--json", help="write the figures here as JSON")
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_MODELS", str(ROOT / ".models"))
    from workbench.faces.settings import FaceSettings
    from workbench.streams.watch import engine_analyzer

    analyzer = engine_analyzer(FaceSettings(detector=args.detector))
    rows = []
    with tempfile.TemporaryDirectory(prefix="stream-bench-") as tmp:
        rules = Path(tmp) / "rules.yaml"
        rules.write_text(ANY_FACE_RULES, encoding="utf-8")
        rows.append(run_once(1.0, args.loops, analyzer, rules, Path(tmp), "1 fps"))
        rows.append(run_once(0.0, args.loops, analyzer, rules, Path(tmp), "all frames"))
        sustained = round(0.9 * rows[-1]["sustainable_fps"], 2)
        rows.append(run_once(sustained, args.loops, analyzer, rules, Path(tmp), "sustained"))
    columns = ("label", "fps_setting", "received", "receive_span_s", "sampled", "analysed", "dropped",
               "frame_s_median", "sustainable_fps", "hits", "lag_median_s", "lag_p95_s", "hit_lag_median_s",
               "hit_lag_p95_s", "elapsed_s")
    print(f"clip {CLIP.name} served in real time x{args.loops + 1}, detector {args.detector}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print("  ".join(f"{c:>16s}" for c in columns))
    for row in rows:
        print("  ".join(f"{str(row.get(c)):>16s}" for c in columns))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
