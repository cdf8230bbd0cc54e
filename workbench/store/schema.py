"""The case database schema as an ordered list of migrations.

Each migration is applied once, in order, inside a transaction, and recorded in
``schema_migrations``. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable

from workbench.types import hit_id

# A migration is an SQL script, or a function of the connection for a step SQL cannot do
# alone (run inside the same kind of transaction).
Migration = str | Callable[[sqlite3.Connection], None]


def _legacy_item_key(rule: str, evidence_id: str, face_id: str | None) -> str:
    """The review key of schema 6 and before (criteria.apply.item_key, now gone)."""
    raw = f"{rule}\x1f{evidence_id}\x1f{face_id or ''}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def _reviews_by_hit_id(conn: sqlite3.Connection) -> None:
    """Migration 7: a review decision is kept under its hit's id (``hits.id``).

    Until schema 6 decisions were keyed by a second id (rule, image and face hashed
    differently). Each old key is translated through the criterion hits stored now and,
    for a decision whose hit a re-score has since removed, through the rule, image and face
    its ``review.decide`` audit entry recorded. A key found in neither (rows written by
    hand or by the synthetic demo case) is kept as it was.
    """
    new_ids: dict[str, str] = {}
    for rule, evidence_id, face_id in conn.execute(
            "SELECT source, evidence_id, face_id FROM hits WHERE kind = 'criterion'"):
        new_ids[_legacy_item_key(rule, evidence_id, face_id)] = hit_id(
            evidence_id, "criterion", rule, face_id)
    for target, detail in conn.execute(
            "SELECT target, detail FROM audit WHERE action = 'review.decide'"):
        found = json.loads(detail or "{}")
        if target not in new_ids and found.get("rule") and found.get("evidence_id"):
            if _legacy_item_key(found["rule"], found["evidence_id"],
                                found.get("face_id")) == target:
                new_ids[target] = hit_id(found["evidence_id"], "criterion", found["rule"],
                                         found.get("face_id"))
    for old, new in new_ids.items():
        conn.execute("UPDATE reviews SET item_key = ? WHERE item_key = ?", (new, old))
    conn.execute("ALTER TABLE reviews RENAME COLUMN item_key TO hit_id")


MIGRATIONS: tuple[Migration, ...] = (
    # 1: evidence, paths, quarantine, runs, faces, hits, reviews, audit, hash lists
    """
    CREATE TABLE case_info (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE runs (
        id           TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        models       TEXT NOT NULL DEFAULT '{}',
        params       TEXT NOT NULL DEFAULT '{}',
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        code_version TEXT NOT NULL DEFAULT '',
        status       TEXT NOT NULL DEFAULT 'running'
    );
    CREATE TABLE evidence (
        id            TEXT PRIMARY KEY,          -- sha256
        kind          TEXT NOT NULL CHECK (kind IN ('image', 'video', 'video_frame')),
        md5           TEXT,
        sha1          TEXT,
        pdq           TEXT,
        pdq_quality   INTEGER,
        bytes         INTEGER,
        format        TEXT,
        width         INTEGER,
        height        INTEGER,
        captured_at   TEXT,                      -- ISO 8601, with offset when known
        lat           REAL,
        lon           REAL,
        alt           REAL,
        make          TEXT,
        model         TEXT,
        serial        TEXT,
        software      TEXT,
        orientation   INTEGER,
        parent_id     TEXT REFERENCES evidence(id),  -- the video a frame came from
        frame_time_s  REAL,
        derived_path  TEXT,                      -- relative to the case folder
        status        TEXT NOT NULL DEFAULT 'ok', -- ok | metadata_problem
        problems      TEXT NOT NULL DEFAULT '[]',
        metadata      TEXT NOT NULL DEFAULT '{}',
        run_id        TEXT REFERENCES runs(id),
        added_at      TEXT NOT NULL
    );
    CREATE INDEX evidence_md5 ON evidence(md5);
    CREATE INDEX evidence_sha1 ON evidence(sha1);
    CREATE INDEX evidence_parent ON evidence(parent_id);
    CREATE TABLE evidence_paths (
        evidence_id TEXT NOT NULL REFERENCES evidence(id),
        path        TEXT NOT NULL,               -- original location; never written to
        size        INTEGER,
        mtime_ns    INTEGER,
        run_id      TEXT,
        PRIMARY KEY (evidence_id, path)
    );
    CREATE INDEX evidence_paths_path ON evidence_paths(path);
    CREATE TABLE quarantine (
        path        TEXT PRIMARY KEY,
        sha256      TEXT,
        reason      TEXT NOT NULL,
        detail      TEXT NOT NULL DEFAULT '',
        size        INTEGER,
        mtime_ns    INTEGER,
        run_id      TEXT,
        at          TEXT NOT NULL
    );
    CREATE TABLE faces (
        id             TEXT PRIMARY KEY,         -- evidence_id:index
        evidence_id    TEXT NOT NULL REFERENCES evidence(id),
        idx            INTEGER NOT NULL,
        x1 REAL, y1 REAL, x2 REAL, y2 REAL,
        confidence     REAL,
        embedding_key  TEXT,
        attributes     TEXT NOT NULL DEFAULT '{}',
        cluster_id     TEXT,
        track_id       TEXT,
        run_id         TEXT REFERENCES runs(id)
    );
    CREATE INDEX faces_evidence ON faces(evidence_id);
    CREATE INDEX faces_cluster ON faces(cluster_id);
    CREATE TABLE hits (
        id           TEXT PRIMARY KEY,
        evidence_id  TEXT NOT NULL REFERENCES evidence(id),
        face_id      TEXT,
        kind         TEXT NOT NULL,
        source       TEXT NOT NULL,
        version      TEXT NOT NULL DEFAULT '',
        score        REAL NOT NULL,
        conditions   TEXT NOT NULL DEFAULT '[]',
        run_id       TEXT REFERENCES runs(id),
        created_at   TEXT NOT NULL
    );
    CREATE INDEX hits_evidence ON hits(evidence_id);
    CREATE INDEX hits_kind ON hits(kind, source);
    CREATE TABLE reviews (
        item_key     TEXT PRIMARY KEY,           -- stable across re-scoring
        evidence_id  TEXT NOT NULL,
        decision     TEXT NOT NULL,
        note         TEXT NOT NULL DEFAULT '',
        who          TEXT NOT NULL,
        at           TEXT NOT NULL,
        evidence_sha TEXT NOT NULL               -- decision holds while this matches
    );
    CREATE TABLE audit (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        at      TEXT NOT NULL,
        who     TEXT NOT NULL,
        action  TEXT NOT NULL,
        target  TEXT NOT NULL DEFAULT '',
        detail  TEXT NOT NULL DEFAULT '{}'
    );
    -- The audit log is append-only: the database itself refuses edits and deletions.
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE hash_lists (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        format      TEXT NOT NULL,
        source_path TEXT,
        sha256      TEXT,
        entries     INTEGER NOT NULL DEFAULT 0,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE known_hashes (
        list_id   TEXT NOT NULL REFERENCES hash_lists(id),
        algo      TEXT NOT NULL CHECK (algo IN ('md5', 'sha1', 'sha256', 'pdq')),
        value     TEXT NOT NULL,
        category  TEXT NOT NULL DEFAULT '',
        detail    TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (list_id, algo, value)
    );
    CREATE INDEX known_hashes_value ON known_hashes(algo, value);
    """,
    """
    -- criteria: image-level signals (e.g. the explicit-content score) and review settings
    CREATE TABLE image_signals (
        evidence_id TEXT NOT NULL REFERENCES evidence(id),
        name        TEXT NOT NULL,               -- e.g. 'explicit'
        value       REAL NOT NULL,
        detail      TEXT NOT NULL DEFAULT '{}',  -- e.g. the top detector class and boxes
        run_id      TEXT REFERENCES runs(id),
        created_at  TEXT NOT NULL,
        PRIMARY KEY (evidence_id, name)
    );
    CREATE TABLE review_settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    """
    -- faces engine: embeddings and landmarks as float32 BLOBs (no pickle), and which
    -- evidence each analysis covered, faces or not (what makes `workbench analyze` resume)
    ALTER TABLE faces ADD COLUMN embedding BLOB;
    ALTER TABLE faces ADD COLUMN landmarks BLOB;
    CREATE TABLE face_analyses (
        evidence_id TEXT NOT NULL REFERENCES evidence(id),
        signature   TEXT NOT NULL,               -- models + settings: equal means equivalent
        run_id      TEXT REFERENCES runs(id),
        faces       INTEGER NOT NULL DEFAULT 0,
        error       TEXT,
        at          TEXT NOT NULL,
        PRIMARY KEY (evidence_id, signature)
    );
    """,
    """
    -- uniforms: per-face uniform item attributes; a correction is a new row with
    -- corrected_by/corrected_at set, so the measured value and every correction are kept
    CREATE TABLE uniform_attributes (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        face_id      TEXT NOT NULL,
        evidence_id  TEXT NOT NULL,
        item         TEXT NOT NULL,              -- shirt | tie | jumper | blazer | lower
        present      INTEGER,                    -- 1, 0, or NULL when not visible
        confidence   REAL NOT NULL DEFAULT 0,
        colours      TEXT NOT NULL DEFAULT '[]', -- JSON list of palette names
        pattern      TEXT,                       -- plain | striped | checked | other
        detail       TEXT NOT NULL DEFAULT '{}',
        uniform_score REAL,
        corrected_by TEXT,                       -- NULL for measured values
        corrected_at TEXT,
        run_id       TEXT REFERENCES runs(id)
    );
    CREATE INDEX uniform_attributes_face ON uniform_attributes(face_id, item);
    CREATE INDEX uniform_attributes_evidence ON uniform_attributes(evidence_id);
    """,
    """
    -- audit hash chain (workbench/store/audit.py): each entry carries the previous
    -- entry's hash and its own. Existing entries are sealed once on open. The update
    -- trigger lets only still-empty hashes be filled, nothing else change.
    ALTER TABLE audit ADD COLUMN prev_hash TEXT;
    ALTER TABLE audit ADD COLUMN hash TEXT;
    DROP TRIGGER audit_no_update;
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        WHEN OLD.hash IS NOT NULL OR NEW.seq IS NOT OLD.seq OR NEW.at IS NOT OLD.at
          OR NEW.who IS NOT OLD.who OR NEW.action IS NOT OLD.action
          OR NEW.target IS NOT OLD.target OR NEW.detail IS NOT OLD.detail
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    -- users of this case with roles and argon2id password hashes (workbench/auth), and
    -- login sessions (only the SHA-256 of a session token is stored)
    CREATE TABLE users (
        name          TEXT PRIMARY KEY,
        roles         TEXT NOT NULL DEFAULT '[]',  -- JSON list: analyst, supervisor, admin
        password_hash TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        created_by    TEXT NOT NULL,
        changed_at    TEXT
    );
    CREATE TABLE sessions (
        token_hash  TEXT PRIMARY KEY,
        user        TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        purpose     TEXT NOT NULL DEFAULT 'cli',  -- cli | dashboard
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL
    );
    """,
    """
    -- ingest: names that are not UTF-8 kept as their exact bytes (path holds the escaped
    -- display form); when each path was last seen with its size and mtime (resume by
    -- content: a changed file is a new row beside the old one); and who runs a run
    -- (pid, host, process start) so a killed run can be told from a live one
    ALTER TABLE evidence_paths ADD COLUMN raw_path BLOB;
    ALTER TABLE evidence_paths ADD COLUMN seen_at TEXT;
    ALTER TABLE quarantine ADD COLUMN raw_path BLOB;
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN proc_start TEXT;
    """,
    # 7: one id per hit: review decisions keyed by the hit's id
    _reviews_by_hit_id,
)


def current_version(conn: sqlite3.Connection) -> int:
    """The number of migrations applied to this database."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)"
    )
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, applied_at: str) -> int:
    """Apply every pending migration; return the resulting schema version."""
    version = current_version(conn)
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        if callable(step):
            conn.execute("BEGIN IMMEDIATE")
            try:
                step(conn)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (number, applied_at))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            continue
        # executescript commits first, so wrap explicitly to keep each step atomic.
        conn.executescript(f"BEGIN;\n{step}\nINSERT INTO schema_migrations VALUES "
                           f"({number}, '{applied_at}');\nCOMMIT;")
    return len(MIGRATIONS)
