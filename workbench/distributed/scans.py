"""Task functions of the image scans (explicit content, uniforms), for any engine.

Each scan is split in two: a task function here, which takes picklable work items (the
evidence id and the path a worker reads its pixels from) and returns plain results, and
the scan's client loop (``criteria.signals.scan_explicit``, ``uniforms.extract.extract_case``),
which alone writes the case. On one machine the client calls the same functions in its own
process; on Dask (``DaskEngine.scan_results``) they run on the workers.

A Dask worker serves many runs, so its models are cached per process, keyed by what
identifies them (the detector's class, name, weights digest, file and threads; the body
models' digests): loaded by the first task that needs them, reused by every later task.
Importing this module loads nothing (no ``distributed``, no model).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.criteria.explicit import ExplicitDetector
    from workbench.types import Faces
    from workbench.uniforms.attributes import PersonAttributes
    from workbench.uniforms.body import BodyModels

SignalRow = tuple[str, str, float, dict[str, Any]]
# (evidence id, result or None, error message or None): one per item, errors as text so
# nothing that fails to unpickle on the client ever travels back.
ExplicitResult = tuple[str, SignalRow | None, str | None]
UniformResult = tuple[str, "list[PersonAttributes] | None", str | None]

# A worker started with several threads runs tasks side by side; the models are not known
# to be thread-safe, so the tasks of one process take turns on them.
_lock = threading.Lock()
_cache: dict[Hashable, Any] = {}


class ModelMismatch(WorkbenchError):
    """A worker's model pack differs from the client's: results would not be comparable."""


@dataclass(frozen=True)
class ScanItem:
    """One image to scan: its evidence id and the path its pixels are read from.

    ``path`` is what ``case.pixels_path`` gives (an original, an ``archive.zip!/member`` or
    a frame's PNG under the case's ``derived/``): every worker must see it at that path.
    """

    evidence_id: str
    path: str

    @property
    def key(self) -> str:
        """What a task key is made of: the content (evidence id) and where it is read."""
        return f"{self.evidence_id}\0{self.path}"


@dataclass(frozen=True)
class UniformItem:
    """One image for the uniform reading: its faces, one ``Faces`` per face engine."""

    evidence_id: str
    path: str
    faces: tuple[Faces, ...]

    @property
    def key(self) -> str:
        """The image and its faces (a re-analysis that moved a face is new work)."""
        boxes = hashlib.sha256()
        for part in self.faces:
            boxes.update(np.ascontiguousarray(part.xyxy, np.float64).tobytes())
            boxes.update("\0".join(map(str, part.data.get("face_id", []))).encode())
        return f"{self.evidence_id}\0{self.path}\0{boxes.hexdigest()}"


def detector_key(detector: ExplicitDetector, version: str) -> tuple[str, ...]:
    """What identifies a detector's model in a worker's cache (``version``: its digest)."""
    kind = type(detector)
    return (f"{kind.__module__}.{kind.__qualname__}", detector.name, version,
            str(detector.model_path), str(detector.threads))


def _cached(key: Hashable, load: Callable[[], Any]) -> Any:
    with _lock:
        if key not in _cache:
            _cache[key] = load()
        return _cache[key]


def score_explicit(items: Sequence[ScanItem], detector: ExplicitDetector,
                   loader: Callable[[str], np.ndarray] | None = None) -> list[ExplicitResult]:
    """The explicit-content signal row of each item, or why it could not be scored.

    Args:
        items: the images.
        detector: a detector (loaded on first use).
        loader: ``path -> RGB`` (default: the ingest's analysis-ready ``load_rgb``).
    """
    from workbench.criteria.explicit import SIGNAL
    from workbench.ingest.images import load_rgb

    load = loader or load_rgb
    out: list[ExplicitResult] = []
    for item in items:
        try:
            # The ingest loader: HEIC, zip members and frames, upright like the faces.
            value, label, detections = detector.score(load(item.path))
        except WorkbenchError as error:
            out.append((item.evidence_id, None, str(error)))
            continue
        out.append((item.evidence_id, (item.evidence_id, SIGNAL, value, {
            "top_class": label, "detections": [d.as_dict() for d in detections[:20]]}), None))
    return out


def explicit_task(items: Sequence[ScanItem], detector: ExplicitDetector, key: tuple[str, ...]
                  ) -> list[ExplicitResult]:
    """:func:`score_explicit` on a worker, with the detector loaded once per process."""
    def load() -> ExplicitDetector:
        detector.load()
        return detector

    cached = _cached(("explicit", *key), load)
    with _lock:
        return score_explicit(items, cached)


def read_people(rgb: np.ndarray, faces: Sequence[Faces],
                read: Callable[[np.ndarray, Faces], list[PersonAttributes]]
                ) -> list[PersonAttributes]:
    """The uniform attributes of every face of one image (each face engine's faces apart)."""
    return [person for subset in faces for person in read(rgb, subset)]


def make_reader(reader: str, body: BodyModels | None = None
                ) -> Callable[[np.ndarray, Faces], list[PersonAttributes]]:
    """The reading function of ``reader``: ``body`` (needs loaded ``body`` models) or ``face``."""
    if reader == "face":
        from workbench.uniforms.attributes import image_attributes

        return image_attributes
    if reader != "body" or body is None:
        raise WorkbenchError(f"unknown uniform reader {reader!r}; use 'body' (with its "
                             "models) or 'face'")
    from workbench.uniforms.reader import read_image

    def read(rgb: np.ndarray, faces: Faces) -> list[PersonAttributes]:
        return read_image(rgb, faces, body)

    return read


def worker_reader(reader: str, digests: dict[str, str] | None
                  ) -> Callable[[np.ndarray, Faces], list[PersonAttributes]]:
    """:func:`make_reader` in a worker process, the body models loaded once per process.

    Raises:
        ModelMismatch: this machine's body models are not those of the client.
    """
    if reader != "body":
        return make_reader(reader)
    from workbench.uniforms.body import BodyModels

    body = _cached(("uniforms-body", tuple(sorted((digests or {}).items()))), BodyModels)
    if digests is not None and body.digests != digests:
        raise ModelMismatch(
            f"this worker's body models {body.digests} differ from the client's {digests}; "
            "install the same model pack on every worker (`workbench models install`)")
    return make_reader(reader, body)


def uniforms_task(items: Sequence[UniformItem], reader: str, digests: dict[str, str] | None
                  ) -> list[UniformResult]:
    """The uniform attributes of each item's faces on a worker, or why its image failed."""
    from workbench.ingest.images import load_rgb

    read = worker_reader(reader, digests)
    out: list[UniformResult] = []
    for item in items:
        try:
            rgb = load_rgb(item.path)
        except WorkbenchError as error:
            out.append((item.evidence_id, None, str(error)))
            continue
        with _lock:
            out.append((item.evidence_id, read_people(rgb, item.faces, read), None))
    return out
