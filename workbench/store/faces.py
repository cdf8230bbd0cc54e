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
    sql = (f"SELECT {_FACE_COLUMNS}, cluster_id, track_id, attributes, embedding, landmarks "
           "FROM faces"
           + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY evidence_id, idx")
    rows = case.db.execute(sql, params).fetchall()
    if not rows:
        return Faces.empty(embedding_key=embedding_key or "")
    table = list(zip(*rows, strict=True))
    attributes = [json.loads(a) for a in table[_N_FACE + 2]]
    names = sorted({k for a in attributes for k in a})
    columns = {name: tuple(a.get(name) for a in attributes) for name in names}
    return _decode(table, columns, own={"cluster_id": table[_N_FACE], "track_id":
                                        table[_N_FACE + 1]},
                   embeddings=table[_N_FACE + 3], landmarks=table[_N_FACE + 4],
                   embedding_key=embedding_key or "")


# What every read of the faces table selects first, in this order (see _decode).
_FACE_COLUMNS = "id, evidence_id, x1, y1, x2, y2, confidence, run_id"
_N_FACE = 8


def _column(values: Sequence[Any]) -> np.ndarray | None:
    """One attribute column as the store gives it back (the one rule for every reader).

    Numbers as float64 (None -> NaN; the rules compare and scale them at this precision),
    anything else (words, booleans, lists) as a 1-D object array; None when no face has
    the attribute.
    """
    kinds = set(map(type, values)) - {type(None)}
    if not kinds:
        return None
    if kinds <= {int, float, bool} and kinds != {bool}:
        return np.array(values, dtype=np.float64)  # numpy reads None as NaN
    column = np.array(values, dtype=object)
    if column.ndim != 1:  # equal-length lists would have become a 2-D array
        column = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):
            column[i] = value
    return column


def _vectors(blobs: Sequence[bytes | None], shape: tuple[int, ...]) -> np.ndarray | None:
    """Little-endian float32 BLOBs stacked, or None unless every face has one of a size."""
    if not blobs or any(b is None for b in blobs) or len({len(b) for b in blobs}) != 1:
        return None
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), *shape).copy()


def _decode(table: list[tuple[Any, ...]], columns: dict[str, Sequence[Any]],
            own: dict[str, Sequence[Any]] | None = None,
            embeddings: Sequence[bytes | None] | None = None,
            landmarks: Sequence[bytes | None] | None = None, embedding_key: str = "") -> Faces:
    """The one decoder of stored faces: the columns of :data:`_FACE_COLUMNS` (as a list of
    column tuples), attribute columns by name, and optionally the embedding and landmark
    BLOBs, as one :class:`Faces`.

    ``data`` holds ``face_id``, the table's ``own`` columns as read (``cluster_id``,
    ``track_id``: kept even while empty) and each attribute that at least one face has
    (:func:`_column`); ``run_id`` is set when one run made every face.
    """
    data: dict[str, np.ndarray] = {"face_id": np.array(table[0], dtype=object)}
    data.update({k: np.array(v, dtype=object) for k, v in (own or {}).items()})
    for name, values in columns.items():
        column = _column(values)
        if column is not None:
            data[name] = column
    embedding = None if embeddings is None else _vectors(embeddings, (-1,))
    marks = None if landmarks is None else _vectors(landmarks, (-1, 2))
    run_ids = set(table[7])
    return Faces(
        evidence_id=np.array(table[1], dtype=object),
        xyxy=np.column_stack([np.array(table[i], dtype=np.float32) for i in (2, 3, 4, 5)]),
        confidence=np.array(table[6], dtype=np.float32),
        landmarks=marks, embedding=embedding, embedding_key=embedding_key, data=data,
        run_id=run_ids.pop() if len(run_ids) == 1 and None not in run_ids else "",
    )


# -- cluster and track ids ---------------------------------------------------------------


def set_cluster_ids(case: Case, pairs: Sequence[tuple[str, str]]) -> None:
    """Write ``(cluster_id, face_id)`` pairs."""
    with case.transaction() as conn:
        conn.executemany("UPDATE faces SET cluster_id=? WHERE id=?", list(pairs))


def set_track_ids(case: Case, pairs: Sequence[tuple[str, str]]) -> None:
    """Write ``(track_id, face_id)`` pairs."""
    with case.transaction() as conn:
        conn.executemany("UPDATE faces SET track_id=? WHERE id=?", list(pairs))


def cluster_sizes(case: Case) -> Any:
    """One row per cluster: id, number of faces, number of images (largest first)."""
    return case.query(
        "SELECT cluster_id, COUNT(*) AS faces, COUNT(DISTINCT evidence_id) AS images "
        "FROM faces WHERE cluster_id IS NOT NULL GROUP BY cluster_id ORDER BY faces DESC")


def images_in_several(case: Case, cluster_ids: Sequence[str]) -> list[str]:
    """Items with more than one face in these clusters together."""
    marks = ", ".join("?" * len(cluster_ids))
    rows = case.db.execute(
        f"SELECT evidence_id FROM faces WHERE cluster_id IN ({marks}) GROUP BY evidence_id "
        f"HAVING COUNT(*) > 1", tuple(cluster_ids)).fetchall()
    return [r[0] for r in rows]


def existing_clusters(case: Case, cluster_ids: Sequence[str]) -> set[str]:
    """Those of ``cluster_ids`` that hold a face."""
    return {r[0] for r in case.db.execute(
        f"SELECT DISTINCT cluster_id FROM faces WHERE cluster_id IN "
        f"({', '.join('?' * len(cluster_ids))})", tuple(cluster_ids))}


def relabel_clusters(case: Case, cluster_ids: Sequence[str], target: str) -> None:
    """Every face of ``cluster_ids`` into ``target``; inside the caller's transaction."""
    with case.transaction() as conn:
        conn.execute(f"UPDATE faces SET cluster_id=? WHERE cluster_id IN "
                     f"({', '.join('?' * len(cluster_ids))})", (target, *cluster_ids))


def faces_in_cluster(case: Case, cluster_id: str, face_ids: Sequence[str]) -> set[str]:
    """Those of ``face_ids`` that are in ``cluster_id``."""
    marks = ", ".join("?" * len(face_ids))
    rows = case.db.execute(f"SELECT id FROM faces WHERE cluster_id=? AND id IN ({marks})",
                           (cluster_id, *face_ids)).fetchall()
    return {r[0] for r in rows}


def move_faces(case: Case, face_ids: Sequence[str], cluster_id: str) -> None:
    """Put ``face_ids`` in ``cluster_id``; inside the caller's transaction."""
    marks = ", ".join("?" * len(face_ids))
    with case.transaction() as conn:
        conn.execute(f"UPDATE faces SET cluster_id=? WHERE id IN ({marks})",
                     (cluster_id, *face_ids))


# -- views of the faces table ----------------------------------------------------------


def embedding_key_counts(case: Case) -> dict[str, int]:
    """How many faces each embedding key has."""
    return dict(case.db.execute(
        "SELECT embedding_key, COUNT(*) FROM faces GROUP BY embedding_key").fetchall())


def attribute_rows(case: Case, face_ids: list[str]) -> list[Any]:
    """``(id, attributes JSON)`` of these faces."""
    marks = ", ".join("?" * len(face_ids))
    return case.db.execute(f"SELECT id, attributes FROM faces WHERE id IN ({marks})",
                           face_ids).fetchall()


def boxes(case: Case) -> Any:
    """``face_id, x1, y1, x2, y2`` of every face."""
    return case.query("SELECT id AS face_id, x1, y1, x2, y2 FROM faces")


def faces_table(case: Case) -> Any:
    """Every face's columns (``attributes`` as JSON text), by item and index."""
    return case.query(
        "SELECT id AS face_id, evidence_id, idx, x1, y1, x2, y2, confidence, embedding_key, "
        "attributes, cluster_id, track_id, run_id FROM faces ORDER BY evidence_id, idx")


def age_estimates(case: Case) -> Any:
    """``face, evidence_id, p_minor, low, high`` of every face with a ``p_minor``."""
    return case.query(
        """SELECT id AS face, evidence_id,
                  json_extract(attributes, '$.p_minor') AS p_minor,
                  json_extract(attributes, '$.age_low') AS low,
                  json_extract(attributes, '$.age_high') AS high
           FROM faces WHERE json_extract(attributes, '$.p_minor') IS NOT NULL""")


# -- the rules' reader ---------------------------------------------------------------


def load_rule_faces(case: Case, columns: Iterable[str] | None = None) -> Faces:
    """The case's faces with the attributes the rules test, as one :class:`Faces`.

    Unlike :func:`load_faces` it reads no embeddings or landmarks and keeps every embedding
    key; both decode through :func:`_decode`, so columns have the same types.

    Args:
        case: an open case.
        columns: the attributes to read (what the rules test); None reads every attribute.
            Naming them lets SQLite extract them from the JSON column itself, which is
            several times faster than parsing every row in Python.
    """
    if columns is None:
        rows = case.db.execute(f"SELECT {_FACE_COLUMNS}, attributes FROM faces "
                               "ORDER BY evidence_id, idx").fetchall()
        if not rows:
            return Faces.empty()
        table = list(zip(*rows, strict=True))
        attributes = [json.loads(a) for a in table[_N_FACE]]
        names = sorted({k for a in attributes for k in a})
        return _decode(table, {n: tuple(a.get(n) for a in attributes) for n in names})
    names = sorted(set(columns))
    select = ", ".join([_FACE_COLUMNS] + ["json_extract(attributes, ?)"] * len(names))
    rows = case.db.execute(f"SELECT {select} FROM faces ORDER BY evidence_id, idx",
                           [f'$."{n}"' for n in names]).fetchall()
    if not rows:
        return Faces.empty()
    table = list(zip(*rows, strict=True))
    return _decode(table, {name: table[_N_FACE + i] for i, name in enumerate(names)})


def embedding_keys(case: Case) -> list[str]:
    """The distinct embedding keys of the case's faces (one per face engine used)."""
    return [r[0] for r in case.db.execute("SELECT DISTINCT embedding_key FROM faces")]
