"""Measure uniform readers on real photos labelled by eye (``tests/data/uniforms_real``).

Each photo's face (dlib HOG + 68 landmarks, the engine's default) and body-model outputs
(person mask, one pose per face) are computed once and cached as NPZ under
``$WORKBENCH_CACHE/uniforms_real`` (default ``~/.cache/workbench``), never beside the
images; the cache key holds the model digests, so new weights recompute it.

Scoring (the rules are in ``tests/data/uniforms_real/LABELLING.md``):

* ``uniform``: the reader's uniform decision against the label, on photos with a torso;
* ``presence``: per item (blazer, jumper, shirt, tie) labelled present or absent, the
  reader's ``present is True`` against the label (not visible counts as absent);
* ``colour``: per item present in label and reading, the reading's main colour among the
  label's names; ``colour_any`` also lets the reader's neighbour alternatives count;
  ``colour_of_labelled`` divides by every labelled-present item (a missed item is wrong);
* ``pattern``: per item present in both, the reading's pattern equal to the label's.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench import settings
from workbench.uniforms.attributes import PersonAttributes
from workbench.uniforms.body import Pose

LABEL_ITEMS = ("blazer", "jumper", "shirt", "tie")
LABELS = Path(__file__).resolve().parents[2] / "tests" / "data" / "uniforms_real" / "labels.json"
CACHE_VERSION = "1"
MAX_SIDE = 1000


@dataclass
class Prepared:
    """One labelled photo with the model outputs a reader needs."""

    label: dict[str, Any]
    rgb: np.ndarray
    box: np.ndarray | None          # the labelled person's face, None if no face found
    landmarks: np.ndarray | None
    others: list[np.ndarray]
    mask: np.ndarray                # person probability (h, w)
    pose: Pose | None


def load_labels(path: str | os.PathLike[str] | None = None, split: str | None = None
                ) -> list[dict[str, Any]]:
    """The labelled photos (optionally one split: ``fit`` or ``check``)."""
    photos = json.loads(Path(path or LABELS).read_text())["photos"]
    return [p for p in photos if split in (None, "all", p["split"])]


def cache_dir() -> Path:
    base = settings.read(settings.CACHE) or "~/.cache/workbench"
    return Path(base).expanduser() / "uniforms_real"


def _main_face(boxes: np.ndarray, shape: tuple[int, int]) -> int:
    """The labelled person: the largest face, discounted by its distance from the centre."""
    h, w = shape[:2]
    size = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    off = np.hypot((cx - w / 2) / w, (cy - h / 2) / h)
    return int(np.argmax(np.sqrt(size) * (1 - off)))


def prepare(photos: Sequence[dict[str, Any]], faces_root: Path,
            models: Any = None) -> list[Prepared]:
    """Load each photo and its (cached) face and body-model outputs.

    ``models`` is a :class:`~workbench.uniforms.body.BodyModels` (built on first need).
    """
    import dlib

    from workbench.ingest.images import load_rgb
    from workbench.uniforms.body import BodyModels
    from workbench.uniforms.synthetic import _predictor_68

    detector = predictor = None
    out = []
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for photo in photos:
        rgb = load_rgb(faces_root / photo["file"], max_side=MAX_SIDE)
        if models is None:
            models = BodyModels()
        key = "-".join([CACHE_VERSION, photo["sha256"][:20],
                        *(d[:8] for d in models.digests.values())])
        path = folder / f"{key}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as z:
                boxes, lms = z["boxes"], z["landmarks"]
                mask = z["mask"].astype(np.float32) / 255
                poses_json = str(z["poses"])
        else:
            if detector is None:
                detector = dlib.get_frontal_face_detector()
                predictor = dlib.shape_predictor(_predictor_68())
            rects = detector(rgb, 1)
            boxes = np.array([[r.left(), r.top(), r.right(), r.bottom()] for r in rects],
                             np.float64).reshape(-1, 4)
            lms = np.array([[[p.x, p.y] for p in predictor(rgb, r).parts()] for r in rects],
                           np.float64).reshape(-1, 68, 2)
            reading = models.read(rgb, boxes)
            mask = reading.mask
            poses_json = json.dumps([p.as_dict() if p else None for p in reading.poses])
            np.savez_compressed(path, boxes=boxes, landmarks=lms,
                                mask=np.round(mask * 255).astype(np.uint8),
                                poses=np.array(poses_json))
        poses = [Pose.from_dict(p) if p else None for p in json.loads(poses_json)]
        if len(boxes):
            i = _main_face(boxes, rgb.shape)
            box, lm, pose = boxes[i], lms[i], poses[i]
            others = [b for j, b in enumerate(boxes) if j != i]
        else:
            box = lm = pose = None
            others = []
        out.append(Prepared(photo, rgb, box, lm, others, mask, pose))
    return out


Reader = Callable[[Prepared], PersonAttributes | None]


def face_reader(p: Prepared) -> PersonAttributes | None:
    """The face-geometry reader (regions placed from the face alone)."""
    from workbench.uniforms.attributes import person_attributes

    return None if p.box is None else person_attributes(p.rgb, p.box, p.landmarks)


def body_reader(p: Prepared) -> PersonAttributes | None:
    """The body reader (mask + pose regions, white balance, uniform decision first)."""
    from workbench.uniforms.palette import balanced_lab
    from workbench.uniforms.reader import read_person

    if p.box is None:
        return None
    lab = balanced_lab(p.rgb, p.mask)
    return read_person(p.rgb, lab, p.box, p.landmarks, p.mask, p.pose, p.others)[0]


def score(prepared: Sequence[Prepared], reader: Reader) -> dict[str, Any]:
    """Accuracy of one reader on prepared photos (see the module docstring)."""
    hits: dict[str, list[bool]] = defaultdict(list)
    no_face = 0
    for p in prepared:
        label = p.label
        person = reader(p)
        if person is None:
            no_face += 1
        if not label["torso_visible"]:
            hits["no_torso.no_uniform_claimed"].append(
                person is None or person.uniform_score < 0.5)
            continue
        claimed = person is not None and person.uniform_score >= 0.5
        hits["uniform"].append(claimed == bool(label["uniform"]))
        for item in LABEL_ITEMS:
            truth = label["items"].get(item)
            if truth is None:
                continue
            seen = person.items.get(item) if person is not None else None
            said = bool(seen is not None and seen.present)
            hits["presence"].append(said == truth["present"])
            hits[f"presence.{item}"].append(said == truth["present"])
            if not truth["present"]:
                continue
            right = said and bool(seen.colours) and seen.colours[0] in truth["colours"]
            hits["colour_of_labelled"].append(bool(right))
            if not said or seen is None:
                continue
            alts = {a["name"] for d in seen.detail[:1] for a in d.get("alternatives", [])}
            hits["colour"].append(bool(right))
            hits[f"colour.{item}"].append(bool(right))
            hits["colour_any"].append(bool(right) or bool(alts & set(truth["colours"][:1])))
            hits["pattern"].append(seen.pattern == truth["pattern"])
            hits[f"pattern.{item}"].append(seen.pattern == truth["pattern"])
    table = {k: {"accuracy": round(float(np.mean(v)), 3), "n": len(v)}
             for k, v in sorted(hits.items())}
    return {"photos": len(prepared), "no_face_found": no_face, "accuracy": table}
