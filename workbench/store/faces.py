"""Persist :class:`~workbench.types.Faces` in a case's ``faces`` table and read them back.

One row per face, ``id = f"{evidence_id}:{idx}"``; attribute columns as JSON, embeddings
and landmarks as little-endian float32 BLOBs (never pickle). ``face_analyses`` records
every evidence an analysis covered, with zero faces too, under the analysis signature
(models + settings), which is what makes a case analysis resumable.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from workbench.store.case import Case, _now
from workbench.types import Faces

# Columns that live in their own table columns, not in the attributes JSON.
_OWN_COLUMNS = ("face_id", "cluster_id", "track_id")


def _blob(array: np.ndarray | None) -> bytes | None:
    return None if array is None else np.ascontiguousarray(array, dtype="<f4").tobytes()


def _scalar(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def save_faces(case: Case, faces: Faces, evidence_ids: Iterable[str], signature: str = "",
               errors: dict[str, str] | None = None) -> int:
    """Replace the faces of ``evidence_ids`` with ``faces``, in one transaction.

    Args:
        case: the open case.
        faces: faces of those evidence items (may be empty); ``face_id`` in ``data``
            is used when present, else ``{evidence_id}:{idx}``.
        evidence_ids: every evidence the analysis covered, including those with no face.
        signature: the analysis signature (``FaceEngine.signature()``) for resuming.
        errors: evidence id -> why it could not be analysed (recorded, not retried).

    Returns:
        The number of faces written.
    """
    ids = list(dict.fromkeys(evidence_ids))
    errors = errors or {}
    counts: dict[str, int] = dict.fromkeys(ids, 0)
    rows = []
    attribute_names = [k for k in faces.data if k not in _OWN_COLUMNS and faces.data[k].ndim == 1]
    for i in range(len(faces)):
        evidence_id = str(faces.evidence_id[i])
        idx = counts.get(evidence_id, 0)
        counts[evidence_id] = idx + 1
        face_id = str(faces.data["face_id"][i]) if "face_id" in faces.data else \
            f"{evidence_id}:{idx}"
        attributes = {k: _scalar(faces.data[k][i]) for k in attribute_names}
        x1, y1, x2, y2 = (float(v) for v in faces.xyxy[i])
        rows.append((
            face_id, evidence_id, int(face_id.rsplit(":", 1)[-1]) if ":" in face_id else idx,
            x1, y1, x2, y2, float(faces.confidence[i]), faces.embedding_key,
            json.dumps(attributes, sort_keys=True), faces.run_id or None,
            _blob(None if faces.embedding is None else faces.embedding[i]),
            _blob(None if faces.landmarks is None else faces.landmarks[i]),
        ))
    with case.transaction() as conn:
        conn.executemany("DELETE FROM faces WHERE evidence_id = ?", [(e,) for e in counts])
        conn.executemany(
            "INSERT INTO faces (id, evidence_id, idx, x1, y1, x2, y2, confidence, embedding_key, "
            "attributes, run_id, embedding, landmarks) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        if signature:
            now = _now()
            conn.executemany(
                "INSERT OR REPLACE INTO face_analyses (evidence_id, signature, run_id, faces, "
                "error, at) VALUES (?, ?, ?, ?, ?, ?)",
                [(e, signature, faces.run_id or None, counts.get(e, 0), errors.get(e), now)
                 for e in counts])
    return len(rows)


def analysed_evidence(case: Case, signature: str) -> set[str]:
    """Evidence already covered by an analysis with this signature (faces or not)."""
    rows = case.db.execute(
        "SELECT evidence_id FROM face_analyses WHERE signature = ?", (signature,)).fetchall()
    return {r[0] for r in rows}


def load_faces(case: Case, evidence_ids: Sequence[str] | None = None,
               embedding_key: str | None = None) -> Faces:
    """The stored faces as one :class:`Faces` (embeddings, landmarks, attribute columns).

    Args:
        case: the open case.
        evidence_ids: only these evidence items (default: all).
        embedding_key: only faces with this key (default: the most common key, since
            one ``Faces`` holds a single embedding space).

    Returns:
        ``Faces`` whose ``data`` has ``face_id``, ``cluster_id``, ``track_id`` and every
        attribute stored; ``run_id`` is set when all faces come from one run.
    """
    where, params = [], []
    if evidence_ids is not None:
        ids = list(evidence_ids)
        if not ids:
            return Faces.empty()
        where.append(f"evidence_id IN ({', '.join('?' * len(ids))})")
        params += ids
    if embedding_key is None:
        row = case.db.execute(
            "SELECT embedding_key, COUNT(*) n FROM faces GROUP BY embedding_key "
            "ORDER BY n DESC LIMIT 1").fetchone()
        embedding_key = row[0] if row else None
    if embedding_key is not None:
        where.append("embedding_key = ?")
        params.append(embedding_key)
    sql = "SELECT * FROM faces" + (f" WHERE {' AND '.join(where)}" if where else "") + \
        " ORDER BY evidence_id, idx"
    rows = case.db.execute(sql, params).fetchall()
    if not rows:
        return Faces.empty(embedding_key=embedding_key or "")
    return _to_faces(rows, embedding_key or "")


def _to_faces(rows: list[Any], embedding_key: str) -> Faces:
    attributes = [json.loads(r["attributes"]) for r in rows]
    names = sorted({k for a in attributes for k in a})
    data: dict[str, np.ndarray] = {
        "face_id": np.array([r["id"] for r in rows], dtype=object),
        "cluster_id": np.array([r["cluster_id"] for r in rows], dtype=object),
        "track_id": np.array([r["track_id"] for r in rows], dtype=object),
    }
    for name in names:
        values = [a.get(name) for a in attributes]
        if all(v is None or isinstance(v, (int, float)) for v in values) and \
                not all(isinstance(v, bool) for v in values if v is not None):
            data[name] = np.array([np.nan if v is None else v for v in values], dtype=np.float32)
        else:
            data[name] = np.array(values, dtype=object)
    embeddings = [r["embedding"] for r in rows]
    embedding = None
    if all(e is not None for e in embeddings):
        embedding = np.stack([np.frombuffer(e, dtype="<f4") for e in embeddings])
    marks = [r["landmarks"] for r in rows]
    landmarks = None
    if all(m is not None for m in marks) and len({len(m) for m in marks}) == 1:
        landmarks = np.stack([np.frombuffer(m, dtype="<f4").reshape(-1, 2) for m in marks])
    run_ids = {r["run_id"] for r in rows}
    return Faces(
        evidence_id=np.array([r["evidence_id"] for r in rows], dtype=object),
        xyxy=np.array([[r["x1"], r["y1"], r["x2"], r["y2"]] for r in rows], dtype=np.float32),
        confidence=np.array([r["confidence"] for r in rows], dtype=np.float32),
        landmarks=landmarks, embedding=embedding,
        embedding_key=embedding_key if embedding is not None else embedding_key,
        data=data, run_id=run_ids.pop() if len(run_ids) == 1 else "",
    )
