"""A case: a folder holding ``case.db`` (SQLite, WAL) and ``derived/``, or, for a case
kept in PostgreSQL (``Case.init(folder, db="postgresql://...")``), ``database.json`` naming
the database and ``derived/`` (see :mod:`workbench.store.pg`).

Original evidence is referenced by path and hash only. Nothing here opens an
original file for writing, moves it, or writes beside it.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from workbench.errors import CaseError
from workbench.paths import display_path, os_path, raw_path
from workbench.store import audit as audit_chain
from workbench.store import reviews as review_rows
from workbench.store.runs import Recording, recording
from workbench.store.schema import MIGRATIONS, current_version, migrate
from workbench.types import Condition, Evidence, Hit, Run, hit_id, utc_now

DB_NAME = "case.db"
# In a case kept in PostgreSQL: the database URL and the case's schema in it (0600).
DB_POINTER = "database.json"
# What a write to a SQLite file sealed by `case move-db` is refused with (its triggers'
# message): a session that had the case open before the move still holds that file.
MOVED_AWAY = "this case was moved to PostgreSQL (case move-db); close it and open it again"
# Separates an archive from the member inside it in a recorded source path.
ARCHIVE_MEMBER_SEP = "!/"
DERIVED_DIR = "derived"

# Columns of the evidence table that the JSON-lines export carries, in order.
EVIDENCE_EXPORT_COLUMNS = (
    "sha256", "md5", "sha1", "pdq", "pdq_quality", "kind", "paths", "width", "height",
    "captured_at", "lat", "lon", "alt", "make", "model", "serial", "software", "format",
    "bytes", "parent_id", "frame_time_s", "status", "problems",
)

# Columns of the evidence table that an Evidence carries in its metadata (with "problems").
METADATA_COLUMNS = ("width", "height", "format", "bytes", "make", "model", "serial",
                    "software", "orientation", "parent_id", "frame_time_s", "derived_path",
                    "alt", "status")

# pandas turns integer columns with NULLs into floats; the export turns them back.
_INTEGER_COLUMNS = ("pdq_quality", "width", "height", "bytes")


def current_user() -> str:
    """The operating-system account running this process.

    Not an environment variable: ``WORKBENCH_USER`` alone proves nothing. In a case with
    users, :meth:`Case.audit` records the logged-in user instead (``workbench.auth``).
    """
    from workbench.auth.identity import os_account

    return os_account()


def _now() -> str:
    return utc_now().isoformat(timespec="microseconds")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class Seen(NamedTuple):
    """What the case last recorded at a source path (see :meth:`Case.processed_paths`)."""

    size: int | None
    mtime_ns: int | None
    sha256: str | None
    reason: str | None  # None for evidence, the reason when quarantined


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return started is None or _process_start(pid) in (None, started)


class Case:
    """An open case. Use :meth:`init` to create one and :meth:`open` to open one.

    Example:
        >>> case = Case.init("/tmp/demo-case", name="demo")      # doctest: +SKIP
        >>> case.evidence().shape[0]                               # doctest: +SKIP
        0
    """

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._actor: Any = None

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    def init(cls, path: str | os.PathLike[str], name: str | None = None,
             db: str | None = None) -> Case:
        """Create a new case folder (or open it if it is already a case).

        Args:
            path: the case folder (derived files live here whatever the backend).
            name: the case's name (default: the folder's name).
            db: a ``postgresql://`` URL to keep the case's tables in (its own schema
                there); default SQLite, ``case.db`` in the folder.
        """
        folder = Path(path).expanduser().resolve()
        if folder.exists() and not folder.is_dir():
            raise CaseError(f"{folder} exists and is not a folder; choose another case path")
        if (folder / DB_NAME).exists() or (folder / DB_POINTER).exists():
            if db is not None and _pointer(folder).get("url") != db:
                raise CaseError(f"{folder} is already a case with another database; "
                                "choose a new folder for a case kept in PostgreSQL")
            return cls.open(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / DERIVED_DIR).mkdir(exist_ok=True)
        if db is not None:
            from workbench.store import pg

            pg.write_pointer(folder / DB_POINTER, db, pg.schema_name(folder))
        case = cls._connect(folder)
        with case.transaction() as conn:
            conn.execute("INSERT INTO case_info VALUES ('name', ?)", (name or folder.name,))
            conn.execute("INSERT INTO case_info VALUES ('created_at', ?)", (_now(),))
        case.audit("case.init", target=str(folder), detail={"name": name or folder.name})
        return case

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Case:
        """Open an existing case folder, applying any pending schema migrations."""
        folder = Path(path).expanduser().resolve()
        if not (folder / DB_NAME).is_file() and not (folder / DB_POINTER).is_file():
            raise CaseError(
                f"{folder} is not a case (no {DB_NAME}). Create one with "
                f"`workbench case init {folder}`."
            )
        (folder / DERIVED_DIR).mkdir(exist_ok=True)
        return cls._connect(folder)

    @classmethod
    def _connect(cls, folder: Path) -> Case:
        if (folder / DB_POINTER).is_file():
            return cls._connect_pg(folder)
        conn = sqlite3.connect(folder / DB_NAME, timeout=60, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        version = current_version(conn)
        if version > len(MIGRATIONS):
            conn.close()
            raise CaseError(
                f"{folder} uses case schema {version}, newer than this workbench "
                f"({len(MIGRATIONS)}); upgrade the workbench to open it"
            )
        migrate(conn, _now())
        case = cls(folder, conn)
        case._seal_legacy_audit()
        case._mark_interrupted_runs()
        return case

    @classmethod
    def _connect_pg(cls, folder: Path) -> Case:
        from workbench.store import pg

        pointer = _pointer(folder)
        conn = pg.PgConnection(pointer["url"], pointer["schema"])
        pg.create_schema(conn, _now())
        case = cls(folder, conn)  # type: ignore[arg-type]  # speaks sqlite3's interface
        case._seal_legacy_audit()
        case._mark_interrupted_runs()
        return case

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if isinstance(self._conn, sqlite3.Connection) else "postgresql"

    def _mark_interrupted_runs(self) -> None:
        """Runs left ``running`` by a process that is gone (killed) become ``interrupted``.

        Only runs started on this host are judged, by pid and process start time, so a
        run still going in another process (or on another machine) is left alone.
        """
        host = socket.gethostname()
        rows = self._conn.execute(
            "SELECT id, kind, pid, proc_start FROM runs WHERE status='running' AND host=?",
            (host,)).fetchall()
        gone = [r for r in rows if r["pid"] is not None and not _alive(r["pid"], r["proc_start"])]
        if not gone:
            return
        try:
            with self.transaction() as conn:
                for row in gone:
                    changed = conn.execute(
                        "UPDATE runs SET status='interrupted', finished_at=? "
                        "WHERE id=? AND status='running'", (_now(), row["id"])).rowcount
                    if changed:
                        self.audit("run.interrupted", target=row["id"], detail={
                            "kind": row["kind"], "pid": row["pid"], "host": host,
                            "note": "its process ended without finishing the run (killed?)"})
        except sqlite3.OperationalError as error:
            if "readonly" not in str(error):
                raise
            # a case opened read-only (a copy on read-only media): marked when next
            # opened with write access; reading it is not blocked

    def _seal_legacy_audit(self) -> None:
        """Chain an audit log written before the chain existed (once; see store.audit)."""
        last = self._conn.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        if last is None or last[0] is not None:
            return
        with self.transaction() as conn:
            sealed = audit_chain.seal_legacy(conn)
            if sealed:
                self.audit("audit.chain.start", detail={
                    "sealed_entries": sealed,
                    "note": "entries before this one were chained when the case was "
                            "upgraded, not as they were written"})

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Case({str(self.path)!r})"

    # -- basics --------------------------------------------------------------------

    @property
    def name(self) -> str:
        row = self._conn.execute("SELECT value FROM case_info WHERE key='name'").fetchone()
        return row[0] if row else self.path.name

    @property
    def derived_dir(self) -> Path:
        """Where the case keeps files it makes (thumbnails, frames); never evidence."""
        return self.path / DERIVED_DIR

    @property
    def db(self) -> sqlite3.Connection:
        """The SQLite connection, for domain packages that own their own tables."""
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An immediate write transaction: all or nothing, even under ``kill -9``.

        Nested use joins the outer transaction, which alone commits or rolls back.
        """
        if self._conn.in_transaction:
            yield self._conn
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except sqlite3.IntegrityError as error:
            self._conn.execute("ROLLBACK")
            if MOVED_AWAY in str(error):
                raise CaseError(f"{self.path}: {MOVED_AWAY}; nothing was written") from None
            raise
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> pd.DataFrame:
        """Run a read-only query and return a DataFrame."""
        if not isinstance(self._conn, sqlite3.Connection):
            return self._conn.frame(sql, params)
        return pd.read_sql_query(sql, self._conn, params=params)

    # -- audit and runs --------------------------------------------------------------

    def audit(
        self, action: str, target: str = "", detail: Mapping[str, Any] | None = None,
        who: str | None = None,
    ) -> None:
        """Append to the audit log (who, what, when), chained to the entry before.

        The entry is dated inside the write transaction, so entries never go back in
        time; ``workbench audit verify`` checks the chain (see ``workbench.store.audit``).
        """
        from workbench.auth.identity import check_action

        with self.transaction() as conn:
            # The role check sits here, inside the caller's transaction: an action the
            # acting user may not take raises before its entry, and its change rolls back.
            who = check_action(self, action, target, who, detail)
            audit_chain.append(conn, _now(), who, action, target, _json(detail or {}))

    def actor(self) -> Any:
        """Who acts on this case (a ``workbench.auth.Actor``), found once per open case."""
        if self._actor is None:
            from workbench.auth.identity import resolve

            self._actor = resolve(self)
        return self._actor

    def forget_actor(self) -> None:
        """Find the acting user again at the next action (after a login or a new user)."""
        self._actor = None

    def audit_verify(self, expect_head: str | None = None) -> audit_chain.Verification:
        """Recompute the audit hash chain; the result names the first broken entry."""
        return audit_chain.verify(self._conn, expect_head)

    def audit_head(self) -> tuple[int, str]:
        """The audit log's last sequence number and hash (what reports record)."""
        return audit_chain.head(self._conn)

    def audit_document(self, exported_at: str) -> dict[str, Any]:
        """The whole audit log with its hashes and verification, for ``audit export``."""
        return audit_chain.export_document(self._conn, self.name, exported_at)

    def audit_log(self) -> pd.DataFrame:
        return self.query("SELECT * FROM audit ORDER BY seq")

    def start_run(self, run: Run) -> Run:
        """Record that ``run`` started; returns it for chaining."""
        with self.transaction() as conn:
            pid = os.getpid()
            conn.execute(
                "INSERT INTO runs (id, kind, models, params, started_at, code_version, pid, "
                "host, proc_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run.id, run.kind, _json(run.models), _json(run.params),
                 run.started_at.isoformat(), run.code_version, pid, socket.gethostname(),
                 _process_start(pid)),
            )
            self.audit(f"{run.kind}.start", target=run.id, detail=dict(run.params))
        return run

    def finish_run(self, run_id: str, status: str = "done", summary: Mapping[str, Any] | None = None
                   ) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET finished_at=?, status=? WHERE id=?",
                         (_now(), status, run_id))
            self.audit("run.finish", target=run_id, detail={"status": status, **(summary or {})})

    def recording(self, run: Run) -> AbstractContextManager[Recording]:
        """Record ``run`` around a ``with`` block: ``done``, ``interrupted`` or ``failed``.

        Every step records its run this way (see :mod:`workbench.store.runs`).
        """
        return recording(self, run)

    def runs(self) -> pd.DataFrame:
        return self.query("SELECT * FROM runs ORDER BY started_at")

    def run(self, run_id: str) -> Run:
        row = self._conn.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise CaseError(f"no run {run_id!r} in case {self.path}")
        return Run(
            id=row["id"], kind=row["kind"], models=json.loads(row["models"]),
            params=json.loads(row["params"]), started_at=datetime.fromisoformat(row["started_at"]),
            code_version=row["code_version"],
        )

    # -- evidence -----------------------------------------------------------------------

    def processed_paths(self) -> dict[str, Seen]:
        """What was last recorded at every source path (display form): size, mtime, the
        SHA-256 stored there and, if the file was quarantined, why.

        The ingest skips paths whose size and mtime are unchanged, which is what makes an
        interrupted ingest resumable; the latest sighting of a path wins.
        """
        rows = self._conn.execute(
            "SELECT path, size, mtime_ns, evidence_id, NULL, COALESCE(seen_at, '') AS t "
            "FROM evidence_paths UNION ALL "
            "SELECT path, size, mtime_ns, sha256, reason, at FROM quarantine ORDER BY t"
        ).fetchall()
        return {r[0]: Seen(r[1], r[2], r[3], r[4]) for r in rows}

    def add_evidence(
        self, record: Mapping[str, Any], path: str, size: int | None = None,
        mtime_ns: int | None = None, run_id: str | None = None,
    ) -> bool:
        """Store one item's row (once per SHA-256) and the path it was found at.

        The row writer under :func:`workbench.store.evidence.add`, which is how evidence
        enters the case (as an :class:`Evidence`); a plain row here is for synthetic cases
        and tests. Call inside :meth:`transaction` when adding several items atomically.
        Returns True if the content was new to the case.
        """
        columns = {k: v for k, v in record.items() if k != "id"}
        for key in ("problems", "metadata"):
            if key in columns and not isinstance(columns[key], str):
                columns[key] = _json(columns[key])
        names = ["id", *columns, "run_id", "added_at"]
        values = [record["id"], *columns.values(), run_id, _now()]
        cursor = self._conn.execute(
            f"INSERT OR IGNORE INTO evidence ({', '.join(names)}) "
            f"VALUES ({', '.join('?' * len(names))})",
            values,
        )
        # The same content seen again at a path updates when it was seen; other content at
        # that path is a new row beside the old one, whose SHA-256 is never overwritten.
        self._conn.execute(
            "INSERT INTO evidence_paths (evidence_id, path, size, mtime_ns, run_id, raw_path, "
            "seen_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (evidence_id, path) DO UPDATE "
            "SET size=excluded.size, mtime_ns=excluded.mtime_ns, seen_at=excluded.seen_at",
            (record["id"], display_path(path), size, mtime_ns, run_id, raw_path(path), _now()),
        )
        return cursor.rowcount == 1

    def quarantine(
        self, path: str, reason: str, detail: str = "", sha256: str | None = None,
        size: int | None = None, mtime_ns: int | None = None, run_id: str | None = None,
    ) -> None:
        """Record that a file could not be ingested, and why. The file is left untouched."""
        self._conn.execute(
            "INSERT OR REPLACE INTO quarantine (path, sha256, reason, detail, size, mtime_ns, "
            "run_id, at, raw_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (display_path(path), sha256, reason, display_path(detail), size, mtime_ns, run_id,
             _now(), raw_path(path)),
        )

    def unquarantine(self, path: str) -> str | None:
        """Forget a quarantine entry (the file has now been read); returns its old reason."""
        shown = display_path(path)
        row = self._conn.execute("SELECT reason FROM quarantine WHERE path=?", (shown,)).fetchone()
        if row is not None:
            self._conn.execute("DELETE FROM quarantine WHERE path=?", (shown,))
        return row[0] if row else None

    def quarantined(self) -> pd.DataFrame:
        """Files that could not be ingested: path, reason, detail, sha256, when."""
        return self.query(
            "SELECT path, reason, detail, sha256, size, run_id, at FROM quarantine ORDER BY path"
        )

    def evidence(self, kind: str | None = None) -> pd.DataFrame:
        """All evidence as a DataFrame, one row per item, ``paths`` a list of source paths."""
        where, params = ("WHERE e.kind = ?", (kind,)) if kind else ("", ())
        frame = self.query(
            f"""SELECT e.id AS sha256, e.*, (
                    SELECT json_group_array(p.path) FROM (
                        SELECT path FROM evidence_paths WHERE evidence_id = e.id ORDER BY path) p
                ) AS paths
                FROM evidence e {where} ORDER BY e.captured_at IS NULL, e.captured_at, e.id""",
            params,
        )
        frame["paths"] = frame["paths"].map(json.loads)
        frame["problems"] = frame["problems"].map(json.loads)
        frame["metadata"] = frame["metadata"].map(json.loads)
        return frame.drop(columns=["id"])

    def evidence_records(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The JSON-lines export rows (``workbench evidence --json``)."""
        frame = self.evidence(kind)
        rows = []
        for row in frame.to_dict(orient="records"):
            record = {k: _plain(row.get(k)) for k in EVIDENCE_EXPORT_COLUMNS}
            for key in _INTEGER_COLUMNS:
                if record[key] is not None:
                    record[key] = int(record[key])
            # where each place/time/camera value came from (ExifTool group or built-in
            # reader), and the XMP sidecar read beside the file
            metadata = row.get("metadata") or {}
            record["sources"] = metadata.get("sources", {})
            if metadata.get("sidecar"):
                record["sidecar"] = metadata["sidecar"]
            rows.append(record)
        return rows

    def get_evidence(self, evidence_id: str) -> Evidence:
        row = self._conn.execute("SELECT * FROM evidence WHERE id=?", (evidence_id,)).fetchone()
        if row is None:
            raise CaseError(f"no evidence {evidence_id[:12]}... in case {self.path}")
        return self._to_evidence(row)

    def iter_evidence(self, kinds: Sequence[str] = ("image", "video_frame")) -> Iterator[Evidence]:
        """Evidence objects of the given kinds, in id order."""
        marks = ", ".join("?" * len(kinds))
        rows = self._conn.execute(
            f"SELECT * FROM evidence WHERE kind IN ({marks}) ORDER BY id", tuple(kinds)
        ).fetchall()
        for row in rows:
            yield self._to_evidence(row)

    def source_paths(self, evidence_id: str) -> tuple[str, ...]:
        rows = self._conn.execute(
            "SELECT path FROM evidence_paths WHERE evidence_id=? ORDER BY path", (evidence_id,)
        ).fetchall()
        return tuple(r[0] for r in rows)

    def pixels_path(self, evidence: Evidence) -> str:
        """Where the pixels of ``evidence`` are: a frame's PNG, an original file, or an
        ``archive.zip!/member`` path (as ingest records images found inside archives).

        Read it with :func:`workbench.ingest.images.read_bytes` or ``load_rgb``, which
        understand member paths.
        """
        derived = evidence.metadata.get("derived_path")
        if derived:
            return os.fspath(self.path / derived)
        rows = self._conn.execute(
            "SELECT path, raw_path FROM evidence_paths WHERE evidence_id=? ORDER BY path",
            (evidence.id,)).fetchall()
        for candidate in [os_path(r[0], r[1]) for r in rows] or evidence.source_paths:
            if Path(candidate.split(ARCHIVE_MEMBER_SEP, 1)[0]).is_file():
                return candidate
        raise CaseError(
            f"none of the source paths of {evidence.id[:12]}... is readable: "
            f"{list(evidence.source_paths)}"
        )

    def _to_evidence(self, row: sqlite3.Row) -> Evidence:
        keys = row.keys()
        metadata = json.loads(row["metadata"])
        for key in METADATA_COLUMNS:
            if key in keys and row[key] is not None:
                metadata[key] = row[key]
        metadata["problems"] = json.loads(row["problems"])
        location = None
        if row["lat"] is not None and row["lon"] is not None:
            location = (float(row["lat"]), float(row["lon"]))
        captured = datetime.fromisoformat(row["captured_at"]) if row["captured_at"] else None
        return Evidence(
            id=row["id"], case=self.name, kind=row["kind"],
            source_paths=self.source_paths(row["id"]), captured_at=captured, location=location,
            hashes={"sha256": row["id"], "md5": row["md5"], "sha1": row["sha1"],
                    "pdq": row["pdq"], "pdq_quality": row["pdq_quality"]},
            metadata=metadata,
        )

    # -- hits -----------------------------------------------------------------------------

    def add_hits(
        self, hits: Iterable[Hit], keys: Iterable[str] | None = None,
        replace: Mapping[str, str] | None = None,
    ) -> int:
        """Store hits atomically; returns how many were new.

        A hit is stored under its id (:attr:`Hit.id`, from what it is about: evidence,
        kind, source, face), so running the same check twice never duplicates a hit.

        Args:
            hits: the hits to store.
            keys: optional per-hit discriminators (e.g. the matched hash) so that two
                different matches of one source on one evidence are kept apart.
            replace: column filters (e.g. ``{"kind": "criterion"}``) selecting earlier hits
                that these supersede; they are deleted in the same transaction, which is how
                re-scoring replaces results. Review decisions live apart and survive.
        """
        hits = list(hits)
        key_list = list(keys) if keys is not None else [""] * len(hits)
        now = _now()
        with self.transaction() as conn:
            if replace:
                allowed = {"kind", "source", "run_id", "evidence_id", "face_id"}
                if not set(replace) <= allowed:
                    raise CaseError(f"replace filters must be among {sorted(allowed)}")
                where = " AND ".join(f"{k} = ?" for k in replace)
                conn.execute(f"DELETE FROM hits WHERE {where}", tuple(replace.values()))
            added = 0
            for hit, key in zip(hits, key_list, strict=True):
                added += conn.execute(
                    "INSERT OR IGNORE INTO hits (id, evidence_id, face_id, kind, source, version, "
                    "score, conditions, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (hit_id(hit.evidence_id, hit.kind, hit.source, hit.face_id, key)
                     if key else hit.id, hit.evidence_id, hit.face_id, hit.kind, hit.source,
                     hit.version, float(hit.score), _json([c.as_dict() for c in hit.conditions]),
                     hit.run_id or None, now),
                ).rowcount
        return added

    def hits(self, kind: str | None = None) -> pd.DataFrame:
        """Stored hits, highest score first, ``conditions`` parsed into lists of dicts."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        frame = self.query(f"SELECT * FROM hits {where} ORDER BY score DESC, id", params)
        frame["conditions"] = frame["conditions"].map(json.loads)
        return frame

    def hit_objects(self, kind: str | None = None) -> list[Hit]:
        """Stored hits as :class:`Hit` values (highest score first) with their stored id
        and review status (``pending`` until a person's decision holds; see
        :mod:`workbench.store.reviews`)."""
        rows = self.hits(kind).to_dict(orient="records")
        status = review_rows.reviews_of(self, [(r["id"], r["evidence_id"]) for r in rows])
        return [
            Hit(evidence_id=r["evidence_id"], kind=r["kind"], source=r["source"],
                score=r["score"], run_id=r["run_id"] or "", face_id=r["face_id"],
                version=r["version"], id=r["id"], status=status[r["id"]].status,
                conditions=tuple(Condition(**c) for c in r["conditions"]))
            for r in rows
        ]

    # -- overview -----------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Counts a supervisor asks for first."""
        one = lambda sql: self._conn.execute(sql).fetchone()[0]  # noqa: E731
        kinds = dict(self._conn.execute("SELECT kind, COUNT(*) FROM evidence GROUP BY kind"))
        return {
            "case": self.name,
            "path": str(self.path),
            "evidence": one("SELECT COUNT(*) FROM evidence"),
            "by_kind": kinds,
            "source_paths": one("SELECT COUNT(*) FROM evidence_paths"),
            "geotagged": one("SELECT COUNT(*) FROM evidence WHERE lat IS NOT NULL"),
            "metadata_problems": one("SELECT COUNT(*) FROM evidence WHERE status != 'ok'"),
            "quarantined": one("SELECT COUNT(*) FROM quarantine"),
            "faces": one("SELECT COUNT(*) FROM faces"),
            "hits": dict(self._conn.execute("SELECT kind, COUNT(*) FROM hits GROUP BY kind")),
            "runs": one("SELECT COUNT(*) FROM runs"),
            "runs_by_status": dict(self._conn.execute(
                "SELECT status, COUNT(*) FROM runs GROUP BY status")),
            "interrupted_runs": [dict(r) for r in self._conn.execute(
                "SELECT id, kind, started_at FROM runs WHERE status='interrupted' "
                "ORDER BY started_at")],
        }


def is_case(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` is a case: ``case.db`` (SQLite) or ``database.json`` (PostgreSQL)."""
    path = Path(folder)
    return (path / DB_NAME).is_file() or (path / DB_POINTER).is_file()


def _pointer(folder: Path) -> dict[str, str]:
    """The database a PostgreSQL case folder names (empty for a SQLite case)."""
    try:
        return json.loads((folder / DB_POINTER).read_text())
    except FileNotFoundError:
        return {}


def _plain(value: Any) -> Any:
    """Make pandas/numpy scalars JSON-friendly (NaN becomes None)."""
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
