"""A small real case for the notebook, report and widget tests.

Real evidence (public EXIF samples with GPS and LFW faces) goes through the real ingest.
Faces, hits and one person's uniform attributes are added as *synthetic detector outputs* under a run of kind
``synthetic-test`` (the project has no imagery of abuse, and tests of the review and report
layers must not depend on model weights): their numbers are made up and labelled as such.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

GPS_FILES = ("DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg")
FACE_FILES = ("Sandy_Smith/Sandy_Smith_0001.jpg", "Padraig_Harrington/Padraig_Harrington_0001.jpg")


def build_small_case(root: Path, shared_data: Path) -> Path:
    """Ingest five real images into ``root/case`` and add synthetic faces and hits."""
    from workbench.ingest import IngestSettings, ingest
    from workbench.store import Case
    from workbench.types import Condition, Hit, Run

    evidence = root / "evidence"
    evidence.mkdir(parents=True)
    for name in GPS_FILES:
        shutil.copy(shared_data / "exif/ianare_exif-samples/jpg/gps" / name, evidence / name)
    for name in FACE_FILES:
        shutil.copy(shared_data / "faces/lfw-dev/images" / name, evidence / Path(name).name)
    with Case.init(root / "case", name="small-test-case") as case:
        ingest(case, [evidence], IngestSettings(workers=1, progress=False))
        frame = case.evidence()
        by_name = {Path(p[0]).name: sha for sha, p in zip(frame["sha256"], frame["paths"],
                                                            strict=True)}
        run = case.start_run(Run.start("synthetic-test", params={"note": "made-up outputs"}))
        faces = []
        for i, name in enumerate(Path(n).name for n in FACE_FILES):
            attrs = {"age": 30.0 + 10 * i, "age_std": 6.5, "gender": "male",
                     "gender_confidence": 0.9, "emotion_neutral": 0.7, "emotion_fear": 0.2}
            faces.append((f"{by_name[name]}:0", by_name[name], 0, 70.0, 60.0, 180.0, 190.0,
                          0.99, "synthetic", json.dumps(attrs), f"c{i % 2}", None, run.id))
        with case.transaction() as conn:
            conn.executemany("INSERT INTO faces (id, evidence_id, idx, x1, y1, x2, y2, "
                             "confidence, embedding_key, attributes, cluster_id, track_id, "
                             "run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", faces)
        face_sha = by_name[Path(FACE_FILES[0]).name]
        case.add_hits([
            Hit(evidence_id=face_sha, kind="criterion", source="synthetic_rule", score=0.8,
                conditions=(Condition("p_minor", 0.7, True, "synthetic"),), run_id=run.id,
                face_id=f"{face_sha}:0", version="test"),
            Hit(evidence_id=by_name[GPS_FILES[0]], kind="hash", source="synthetic-list",
                score=1.0, conditions=(Condition("md5", "match", True),), run_id=run.id),
        ])
        from workbench.uniforms.attributes import ItemAttribute, PersonAttributes
        from workbench.uniforms.store import save_attributes

        save_attributes(case, [PersonAttributes(f"{face_sha}:0", face_sha, {
            "tie": ItemAttribute("tie", True, 0.8, ["navy", "red"], "striped", 0.7, 1.0),
            "blazer": ItemAttribute("blazer", True, 0.7, ["navy"], "plain", 0.8, 1.0),
            "jumper": ItemAttribute("jumper", None, 0.5),
        }, 0.75)], run.id)
        case.finish_run(run.id)
    return root / "case"
