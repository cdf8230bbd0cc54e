"""Core types: the only values passed between workbench steps.

* :class:`Evidence` - one image or video frame, identified by its SHA-256.
* :class:`Faces` - the faces found in one or more images as parallel arrays.
* :class:`Hit` - something a criterion, hash list, registry or school search found.
* :class:`Run` - the record of one analysis run, so every result is traceable.

They are plain, checked value objects: no I/O, no models, no widgets.
"""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from workbench.errors import ValidationError

EvidenceKind = Literal["image", "video", "video_frame"]
EVIDENCE_KINDS: tuple[str, ...] = ("image", "video", "video_frame")
REVIEW_STATUSES: tuple[str, ...] = ("pending", "confirmed", "dismissed", "escalated")
# A person's decision on a hit -> the review status the hit then has.
DECISIONS: dict[str, str] = {"confirm": "confirmed", "dismiss": "dismissed",
                             "escalate": "escalated"}


def utc_now() -> datetime:
    """Current time, timezone-aware, in UTC (what the store records)."""
    return datetime.now(UTC)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The workbench version plus the git commit when run from a checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        base = version("case-workbench")
    except PackageNotFoundError:
        base = "0+unknown"
    repo = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{base}+g{commit}" if commit else base


@dataclass(frozen=True)
class Evidence:
    """One item of evidence: an image file, a video file or a frame sampled from a video.

    Attributes:
        id: SHA-256 of the file (for a frame: of the frame's lossless PNG in ``derived/``).
        case: name of the case it belongs to.
        kind: ``image``, ``video`` or ``video_frame``.
        source_paths: every original path this content was found at (duplicates are
            stored once with all their paths).
        captured_at: capture time from the metadata, timezone-aware when known.
        location: ``(lat, lon)`` in signed decimal degrees, or ``None`` without a real fix.
        hashes: ``sha256``, ``md5``, ``sha1``, ``pdq`` (hex) and ``pdq_quality``.
        metadata: everything else (width, height, camera, problems found...).
    """

    id: str
    case: str
    kind: EvidenceKind
    source_paths: tuple[str, ...]
    captured_at: datetime | None = None
    location: tuple[float, float] | None = None
    hashes: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.id) != 64 or any(c not in "0123456789abcdef" for c in self.id):
            raise ValidationError(f"Evidence id must be a lowercase hex SHA-256, got {self.id!r}")
        if self.kind not in EVIDENCE_KINDS:
            raise ValidationError(f"Evidence kind must be one of {EVIDENCE_KINDS}, got {self.kind!r}")
        if self.location is not None:
            lat, lon = self.location
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValidationError(f"location out of range: {self.location}")


@dataclass(frozen=True)
class Run:
    """What produced a result: kind of work, models with versions, parameters, when.

    Example:
        >>> run = Run.start("ingest", params={"fps": 1.0})
        >>> run.kind
        'ingest'
    """

    id: str
    kind: str
    models: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime = field(default_factory=utc_now)
    code_version: str = ""

    @classmethod
    def start(
        cls,
        kind: str,
        models: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Run:
        """A new run record with a fresh id, stamped now with the code version."""
        return cls(
            id=uuid.uuid4().hex,
            kind=kind,
            models=dict(models or {}),
            params=dict(params or {}),
            code_version=code_version(),
        )


@dataclass(frozen=True)
class Condition:
    """One condition of a rule, as evaluated: what it tested, the value seen, if it fired."""

    name: str
    value: Any
    fired: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "fired": self.fired, "detail": self.detail}


def hit_id(evidence_id: str, kind: str, source: str, face_id: str | None, key: str = "") -> str:
    """A hit's identity: the same evidence, kind, source, face and key give the same id in
    every run, so a re-score replaces a hit in place and a review decision stays attached.

    ``key`` tells apart two matches of one source on one evidence (e.g. the matched hash).
    """
    text = "\x1f".join([evidence_id, kind, source, face_id or "", key])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Hit:
    """Something found that a person should look at.

    Attributes:
        evidence_id: the evidence it was found in.
        kind: ``criterion``, ``hash``, ``registry`` or ``school``.
        source: the rule, hash list, registry or school that produced it.
        score: in [0, 1]; a ranking for a human, never a verdict.
        conditions: the conditions evaluated, with their values and whether each fired.
        run_id: the :class:`Run` that produced it.
        status: review status (``pending`` until a person decides).
        face_id: the face it concerns, if any.
        version: version of the rule or list that produced it.
        id: the hit's one identity (the store's ``hits.id`` and the key its review
            decisions are kept under); derived by :func:`hit_id` when not given.
    """

    evidence_id: str
    kind: str
    source: str
    score: float
    conditions: tuple[Condition, ...] = ()
    run_id: str = ""
    status: str = "pending"
    face_id: str | None = None
    version: str = ""
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", hit_id(self.evidence_id, self.kind, self.source,
                                                  self.face_id))
        if not 0.0 <= float(self.score) <= 1.0:
            raise ValidationError(f"Hit score must be in [0, 1], got {self.score}")
        if self.status not in REVIEW_STATUSES:
            raise ValidationError(f"Hit status must be one of {REVIEW_STATUSES}, got {self.status!r}")

    @property
    def fired(self) -> tuple[Condition, ...]:
        """The conditions that fired."""
        return tuple(c for c in self.conditions if c.fired)

    def explain(self) -> str:
        """One sentence saying why this hit exists."""
        parts = [f"{c.name} = {_fmt(c.value)}" for c in self.fired]
        why = "; ".join(parts) if parts else "no condition fired"
        return f"{self.source} scored {self.score:.2f} because {why}."


def _same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Equal shape and values, NaN equal to NaN, for numeric and object arrays alike."""
    if a is None or b is None:
        return a is None and b is None
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return all(x == y or (x != x and y != y) for x, y in zip(a.ravel().tolist(),
                                                              b.ravel().tolist(), strict=True))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)



@dataclass(eq=False)
class Faces:
    """Faces as parallel arrays (one row per face), after ``supervision.Detections``.

    Attributes:
        evidence_id: ``(n,)`` evidence id of each face.
        xyxy: ``(n, 4)`` float boxes in pixels of the analysed (orientation-corrected) image.
        confidence: ``(n,)`` detector confidence.
        landmarks: ``(n, k, 2)`` landmark points or ``None``.
        embedding: ``(n, d)`` L2-normalised embeddings or ``None``.
        embedding_key: model + detector + alignment; embeddings are only comparable
            between ``Faces`` with the same key.
        data: per-face attribute columns, each ``(n, ...)`` (age, age_std, gender,
            emotion probabilities, quality, face_id...).
        run_id: the :class:`Run` that produced these faces.

    Example:
        >>> faces = Faces.empty()
        >>> len(faces[faces.confidence > 0.5])
        0
    """

    evidence_id: np.ndarray
    xyxy: np.ndarray
    confidence: np.ndarray
    landmarks: np.ndarray | None = None
    embedding: np.ndarray | None = None
    embedding_key: str = ""
    data: dict[str, np.ndarray] = field(default_factory=dict)
    run_id: str = ""

    def __post_init__(self) -> None:
        self.evidence_id = np.asarray(self.evidence_id, dtype=object).reshape(-1)
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        self.confidence = np.asarray(self.confidence, dtype=np.float32).reshape(-1)
        n = len(self.evidence_id)
        if len(self.xyxy) != n or len(self.confidence) != n:
            raise ValidationError(
                f"Faces arrays disagree: {n} evidence ids, {len(self.xyxy)} boxes, "
                f"{len(self.confidence)} confidences"
            )
        if self.landmarks is not None:
            self.landmarks = np.asarray(self.landmarks, dtype=np.float32)
            if self.landmarks.ndim != 3 or self.landmarks.shape[0] != n or self.landmarks.shape[2] != 2:
                raise ValidationError(f"landmarks must be (n, k, 2), got {self.landmarks.shape}")
        if self.embedding is not None:
            self.embedding = np.asarray(self.embedding, dtype=np.float32)
            if self.embedding.ndim != 2 or self.embedding.shape[0] != n:
                raise ValidationError(f"embedding must be (n, d), got {self.embedding.shape}")
            if not self.embedding_key:
                raise ValidationError("Faces with embeddings need an embedding_key")
        for name, column in list(self.data.items()):
            column = np.asarray(column)
            if len(column) != n:
                raise ValidationError(f"data[{name!r}] has {len(column)} rows, expected {n}")
            self.data[name] = column

    @classmethod
    def empty(cls, embedding_key: str = "", run_id: str = "") -> Faces:
        """No faces."""
        return cls(
            evidence_id=np.empty(0, dtype=object),
            xyxy=np.empty((0, 4), dtype=np.float32),
            confidence=np.empty(0, dtype=np.float32),
            embedding_key=embedding_key,
            run_id=run_id,
        )

    def __len__(self) -> int:
        return len(self.evidence_id)

    def __eq__(self, other: object) -> bool:
        """Same faces: equal arrays (NaN equals NaN), columns, embedding key and run.

        The dataclass default compared arrays with ``==`` and raised on their truth value.
        """
        if not isinstance(other, Faces):
            return NotImplemented
        if (self.embedding_key, self.run_id, sorted(self.data)) != (
                other.embedding_key, other.run_id, sorted(other.data)):
            return False
        pairs = [(self.evidence_id, other.evidence_id), (self.xyxy, other.xyxy),
                 (self.confidence, other.confidence), (self.landmarks, other.landmarks),
                 (self.embedding, other.embedding),
                 *((self.data[k], other.data[k]) for k in self.data)]
        return all(_same_array(a, b) for a, b in pairs)

    __hash__ = None  # type: ignore[assignment]  # mutable arrays: not hashable

    def __getitem__(self, index: int | slice | Sequence[int] | np.ndarray) -> Faces:
        """Select faces by boolean mask, integer indices, slice or a single integer."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Faces(
            evidence_id=self.evidence_id[index],
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            landmarks=None if self.landmarks is None else self.landmarks[index],
            embedding=None if self.embedding is None else self.embedding[index],
            embedding_key=self.embedding_key,
            data={k: v[index] for k, v in self.data.items()},
            run_id=self.run_id,
        )

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    @property
    def area(self) -> np.ndarray:
        """Box areas in square pixels."""
        w = np.clip(self.xyxy[:, 2] - self.xyxy[:, 0], 0, None)
        h = np.clip(self.xyxy[:, 3] - self.xyxy[:, 1], 0, None)
        return w * h

    @property
    def size(self) -> np.ndarray:
        """Smaller side of each box in pixels (what "faces of 40 px and up" measures)."""
        return np.minimum(self.xyxy[:, 2] - self.xyxy[:, 0], self.xyxy[:, 3] - self.xyxy[:, 1])

    @classmethod
    def merge(cls, parts: Iterable[Faces]) -> Faces:
        """Concatenate several ``Faces``; they must share embedding key and columns."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        keys = {p.embedding_key for p in parts if p.embedding is not None}
        if len(keys) > 1:
            raise ValidationError(f"cannot merge Faces with different embedding keys: {sorted(keys)}")
        columns = set(parts[0].data)
        if any(set(p.data) != columns for p in parts):
            raise ValidationError("cannot merge Faces with different data columns")
        for name in ("landmarks", "embedding"):
            present = {getattr(p, name) is not None for p in parts}
            if len(present) > 1:
                raise ValidationError(f"cannot merge Faces where only some have {name}")

        def cat(name: str) -> np.ndarray | None:
            arrays = [getattr(p, name) for p in parts]
            return None if arrays[0] is None else np.concatenate(arrays)

        run_ids = {p.run_id for p in parts}
        return cls(
            evidence_id=np.concatenate([p.evidence_id for p in parts]),
            xyxy=cat("xyxy"),
            confidence=cat("confidence"),
            landmarks=cat("landmarks"),
            embedding=cat("embedding"),
            embedding_key=keys.pop() if keys else parts[0].embedding_key,
            data={k: np.concatenate([p.data[k] for p in parts]) for k in columns},
            run_id=run_ids.pop() if len(run_ids) == 1 else "",
        )

    def to_frame(self):
        """A pandas DataFrame with one row per face (scalar columns only)."""
        import pandas as pd

        frame = pd.DataFrame({
            "evidence_id": self.evidence_id,
            "x1": self.xyxy[:, 0], "y1": self.xyxy[:, 1],
            "x2": self.xyxy[:, 2], "y2": self.xyxy[:, 3],
            "confidence": self.confidence,
        })
        for name, column in self.data.items():
            if column.ndim == 1:
                frame[name] = column
        frame["run_id"] = self.run_id
        return frame
