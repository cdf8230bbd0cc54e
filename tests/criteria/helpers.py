"""Build cases with synthetic faces, signals and hits for the criteria and review tests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.criteria.synthetic import fake_evidence_id, make_face
from workbench.store import Case
from workbench.types import Hit, utc_now


def add_image(case: Case, label: str, path: Path | None = None) -> str:
    """Register an evidence row (optionally pointing at a real picture); returns its id."""
    eid = fake_evidence_id(label)
    with case.transaction():
        case.add_evidence({"id": eid, "kind": "image", "width": 640, "height": 480},
                          path=str(path) if path else f"/nonexistent/{label}.jpg")
    return eid


def add_faces(case: Case, label: str, faces: Sequence[Mapping[str, Any]]) -> list[str]:
    """Store faces the way the face store does: id ``<evidence>:<idx>``, attributes JSON."""
    eid = fake_evidence_id(label)
    ids = []
    with case.transaction() as conn:
        for idx, face in enumerate(faces):
            attrs = {k: v for k, v in face.items() if k != "image"}
            face_id = f"{eid}:{idx}"
            conn.execute(
                "INSERT OR REPLACE INTO faces (id, evidence_id, idx, x1, y1, x2, y2, confidence, "
                "attributes) VALUES (?, ?, ?, 10, 10, 110, 110, 0.99, ?)",
                (face_id, eid, idx, json.dumps(attrs)))
            ids.append(face_id)
    return ids


def set_face(case: Case, face_id: str, **changes: Any) -> None:
    """Change stored attributes of one face (what a re-analysis would do)."""
    row = case.db.execute("SELECT attributes FROM faces WHERE id=?", (face_id,)).fetchone()
    attrs = json.loads(row[0])
    attrs.update(changes)
    with case.transaction() as conn:
        conn.execute("UPDATE faces SET attributes=? WHERE id=?", (json.dumps(attrs), face_id))


def add_hash_hit(case: Case, label: str, score: float = 1.0) -> None:
    case.add_hits([Hit(evidence_id=fake_evidence_id(label), kind="hash", source="test-list",
                       score=score)])


def face(age: float, std: float = 3.0, emotion: str = "neutral", gender: str = "male",
         strength: float = 0.8, **extra: Any) -> dict[str, Any]:
    """A face row without the image label (for :func:`add_faces`)."""
    row = make_face("x", age=age, age_std=std, gender=gender, emotion=emotion,
                    strength=strength, **extra)
    row.pop("image")
    return row


def now() -> str:
    return utc_now().isoformat()


def mean_abs_gradient(data: bytes) -> float:
    """Average absolute neighbour difference of an image (low when blurred)."""
    import io

    from PIL import Image

    grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=float)
    return float(np.abs(np.diff(grey, axis=1)).mean() + np.abs(np.diff(grey, axis=0)).mean())
