"""The bundled sample case ingests to exactly what sample_data/README.md promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from workbench.store import Case

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_sample_case_through_the_cli(tmp_path: Path) -> None:
    case_dir = tmp_path / "sample"
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "ingest", str(case_dir), str(SAMPLE / "evidence"),
         "--hash-list", str(SAMPLE / "hashlists" / "demo_known.vics.json"),
         "--hash-list", str(SAMPLE / "hashlists" / "demo_pdq.csv"), "--no-progress", "--json",
         "--workers", "2"],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert (report["new_evidence"], report["duplicates"], report["frames"]) == (38, 2, 12)
    assert report["quarantined"] == {"truncated": 1, "corrupt_header": 1, "decompression_bomb": 1}
    with Case.open(case_dir) as case:
        summary = case.summary()
        assert summary["geotagged"] == 14 and summary["metadata_problems"] == 1
        hits = case.hit_objects("hash")
        assert sorted(h.fired[0].name for h in hits) == ["md5", "md5", "pdq_distance"]
        rows = subprocess.run([sys.executable, "-m", "workbench.cli", "evidence", "--json",
                               str(case_dir)], capture_output=True, text=True, check=True)
        records = [json.loads(line) for line in rows.stdout.splitlines()]
        phone = [r for r in records if any("phone_dcim" in p for p in r["paths"])]
        assert len(phone) == 12
        for record in phone:  # every field the export promises is filled for a phone photo
            for key in ("sha256", "md5", "sha1", "pdq", "pdq_quality", "kind", "width",
                        "height", "captured_at", "lat", "lon", "alt", "make", "model", "status"):
                assert record[key] not in (None, ""), key
            assert 28.2 < record["lat"] < 28.7 and -81.5 < record["lon"] < -81.1
            assert record["captured_at"].startswith("2024-03-")
    out = tmp_path / "export.json"
    subprocess.run([sys.executable, "-m", "workbench.cli", "hashlist", "export", str(case_dir),
                    str(out)], check=True, capture_output=True)
    assert len(json.loads(out.read_text())["value"]) == 38  # 37 images and the video
