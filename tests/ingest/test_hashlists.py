"""Hash lists: VICS JSON and CSV import, matching at ingest and afterwards, VICS export."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from workbench.ingest.hashing import PDQ_MATCH_DISTANCE, pdq_distance
from workbench.ingest.hashlists import export_vics, import_hash_list, match_case, parse_vics
from workbench.store import Case

from .helpers import ingest_quiet


def _vics(entries: list[dict]) -> dict:
    return {"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
            "Default/$metadata#Media", "value": entries}


def test_vics_and_csv_flag_matches_at_ingest(photo_dir: Path, tmp_path: Path) -> None:
    # Learn the real hashes from a first case, then build lists from them.
    with Case.init(tmp_path / "reference") as ref:
        ingest_quiet(ref, [photo_dir], workers=1)
        known = {Path(r["paths"][0]).name: r for r in ref.evidence().to_dict(orient="records")}
    img1, img2, img3 = known["deepface_img1.jpg"], known["deepface_img2.jpg"], \
        known["deepface_img3.jpg"]
    vics = tmp_path / "list.json"
    vics.write_text(json.dumps(_vics([
        {"MediaID": 1, "Category": 1, "MD5": img1["md5"].upper(), "SHA1": None},
        {"MediaID": 2, "Category": 2, "MD5": "0" * 32, "SHA1": img2["sha1"].upper()},
    ])))
    csv_list = tmp_path / "pdq.csv"
    csv_list.write_text(f"pdq,category\n{img3['pdq']},reference\n")

    # a re-encoded, resized copy of img3 must match by PDQ only
    variant_dir = tmp_path / "variant"
    variant_dir.mkdir()
    with Image.open(photo_dir / "deepface_img3.jpg") as image:
        image.resize((image.width * 3 // 5, image.height * 3 // 5)).save(
            variant_dir / "img3_small.jpg", quality=60)

    with Case.init(tmp_path / "case") as case:
        report = ingest_quiet(case, [photo_dir, variant_dir], hash_lists=(str(vics), str(csv_list)))
        hits = case.hit_objects("hash")
        by_evidence = {(h.evidence_id, h.source) for h in hits}
        assert (img1["sha256"], "list") in by_evidence
        assert (img2["sha256"], "list") in by_evidence
        assert (img3["sha256"], "pdq") in by_evidence  # exact copy: distance 0
        variant = [r for r in case.evidence().to_dict(orient="records")
                   if r["paths"][0].endswith("img3_small.jpg")][0]
        variant_hits = [h for h in hits if h.evidence_id == variant["sha256"]]
        assert len(variant_hits) == 1
        distance = variant_hits[0].fired[0]
        assert distance.name == "pdq_distance" and 0 <= distance.value <= PDQ_MATCH_DISTANCE
        assert variant["sha256"] != img3["sha256"]  # a different file: only PDQ can find it
        assert pdq_distance(variant["pdq"], img3["pdq"]) == distance.value
        assert report.hits == len(hits) == 4
        # re-matching the whole case adds nothing new (hit ids are stable)
        before = len(case.hit_objects())
        match_case(case)
        assert len(case.hit_objects()) == before


def test_export_round_trip(photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "case.json"
    with Case.init(tmp_path / "a") as first:
        ingest_quiet(first, [photo_dir], workers=1)
        assert export_vics(first, out) == 6
    document = json.loads(out.read_text())
    assert "value" in document and len(parse_vics(out.read_bytes())) >= 12  # md5+sha1+...
    with Case.init(tmp_path / "b") as second:
        ingest_quiet(second, [photo_dir], workers=1)
        info = import_hash_list(second, out, name="exported")
        hits = match_case(second, [info.id])
        exact = {h.evidence_id for h in hits if h.conditions[0].name in ("md5", "sha1", "sha256")}
        assert exact == set(second.evidence()["sha256"])
        again = import_hash_list(second, out, name="exported")
        assert again.id == info.id  # idempotent


def test_headerless_csv(tmp_path: Path, new_case) -> None:
    path = tmp_path / "md5.txt"
    path.write_text("d41d8cd98f00b204e9800998ecf8427e\nnot-a-hash\n")
    info = import_hash_list(new_case, path)
    assert info.entries == 1 and info.format == "csv"


def test_cli_import_matches_existing_case(photo_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from workbench.ingest.images import load_rgb

    case_dir = tmp_path / "case"
    with Case.init(case_dir) as case:
        ingest_quiet(case, [photo_dir], workers=1)
        row = case.evidence().iloc[0]
        evidence = case.get_evidence(row["sha256"])
        assert load_rgb(evidence, case=case).shape[:2] == (row["height"], row["width"])
    listing = tmp_path / "later.csv"
    listing.write_text(f"md5,category\n{row['md5']},1\n")
    result = subprocess.run([sys.executable, "-m", "workbench.cli", "hashlist", "import",
                             str(case_dir), str(listing), "--name", "later-list"],
                            capture_output=True, text=True, check=True)
    assert "1 matches" in result.stdout
    with Case.open(case_dir) as case:
        hits = case.hit_objects()
        assert [(h.evidence_id, h.source) for h in hits] == [(row["sha256"], "later-list")]
        assert case.runs()["kind"].tolist() == ["ingest", "hashlist-match"]
        actions = case.audit_log()["action"].tolist()
        assert "hashlist.import" in actions


def test_import_reports_rows_duplicates_and_rejections(tmp_path: Path, new_case) -> None:
    """Invalid rows used to vanish and duplicates were counted as imported."""
    md5_a, md5_b = "a" * 32, "b" * 32
    listing = tmp_path / "mixed.csv"
    listing.write_text("md5,category\n"          # line 1: header
                       f"{md5_a},1\n"            # line 2: imported
                       f"{md5_a},1\n"            # line 3: duplicate in the file
                       "\n"                      # line 4: blank, not a row
                       "xyz,2\n"                 # line 5: rejected
                       f"{md5_b},2\n"            # line 6: imported
                       f"{md5_b.upper()},2\n")   # line 7: duplicate (case differs)
    info = import_hash_list(new_case, listing)
    assert (info.rows, info.imported, info.duplicates) == (5, 2, 2)
    assert [(r.line, "xyz" in r.reason) for r in info.rejected] == [(5, True)]
    stored = new_case.db.execute("SELECT COUNT(*) FROM known_hashes").fetchone()[0]
    assert stored == info.imported == info.entries
    # the same file again: everything is a duplicate, nothing new
    again = import_hash_list(new_case, listing)
    assert (again.imported, again.duplicates) == (0, 4)

    vics = tmp_path / "list.json"
    vics.write_text(json.dumps(_vics([
        {"MediaID": 1, "MD5": md5_a},
        {"MediaID": 2, "MD5": "not-hex", "SHA1": "c" * 40},   # one bad value, one good
        {"MediaID": 3, "Category": 1},                        # no hash at all
        {"MediaID": 4, "MD5": md5_a},                         # duplicate
    ])))
    info = import_hash_list(new_case, vics)
    assert (info.rows, info.imported, info.duplicates) == (4, 2, 1)
    assert [r.line for r in info.rejected] == [2, 3]


def test_cli_prints_every_count(tmp_path: Path) -> None:
    import subprocess
    import sys

    case_dir = tmp_path / "case"
    Case.init(case_dir).close()
    listing = tmp_path / "list.csv"
    listing.write_text("md5\n" + "d" * 32 + "\n" + "d" * 32 + "\nnope\n")
    result = subprocess.run([sys.executable, "-m", "workbench.cli", "hashlist", "import",
                             str(case_dir), str(listing)], capture_output=True, text=True,
                            check=True)
    assert "read 3 rows" in result.stdout and "imported 1 hashes" in result.stdout
    assert "1 duplicates" in result.stdout and "line 4:" in result.stdout
    as_json = subprocess.run([sys.executable, "-m", "workbench.cli", "hashlist", "import",
                              str(case_dir), str(listing), "--name", "again", "--json"],
                             capture_output=True, text=True, check=True)
    data = json.loads(as_json.stdout)
    assert (data["rows"], data["imported"], data["duplicates"]) == (3, 1, 1)
    assert data["rejected"][0]["line"] == 4
