"""``workbench faces list|compare|cluster|clusters|merge|split|track``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    faces = subparsers.add_parser("faces", help="compare faces, cluster and track a case's faces")
    sub = faces.add_subparsers(dest="faces_command", metavar="ACTION", required=True)

    lst = sub.add_parser("list", help="one row per face: box, age interval, p_minor, gender, "
                         "emotion, cluster")
    lst.add_argument("case_dir")
    form = lst.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="JSON lines, one face a line")
    form.add_argument("--csv", action="store_true", help="CSV with a header row (for pandas)")
    lst.add_argument("--threshold", type=float,
                     help="p_minor operating point for flagged_minor (default: the measured one)")
    lst.set_defaults(handler=_list)

    cmp_ = sub.add_parser("compare", help="is the main face of image A the same person as B's?")
    cmp_.add_argument("image_a", type=Path)
    cmp_.add_argument("image_b", type=Path)
    cmp_.add_argument("--far", type=float, help="target false-match rate (default 1e-3)")
    cmp_.add_argument("--json", action="store_true")
    cmp_.set_defaults(handler=_compare)

    cl = sub.add_parser("cluster", help="cluster a case's faces (same person across images)")
    cl.add_argument("case_dir")
    cl.add_argument("--threshold", type=float,
                    help="cosine similarity to join a cluster (default: calibrated, FMR 1e-3)")
    cl.add_argument("--method", choices=["average", "single"], default="average")
    cl.set_defaults(handler=_cluster)

    ls = sub.add_parser("clusters", help="list a case's clusters")
    ls.add_argument("case_dir")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=_clusters)

    mg = sub.add_parser("merge", help="merge clusters (recorded in the audit log)")
    mg.add_argument("case_dir")
    mg.add_argument("cluster_ids", nargs="+")
    mg.add_argument("--note", default="")
    mg.set_defaults(handler=_merge)

    sp = sub.add_parser("split", help="move faces out of a cluster into a new one (audited)")
    sp.add_argument("case_dir")
    sp.add_argument("cluster_id")
    sp.add_argument("face_ids", nargs="+")
    sp.add_argument("--note", default="")
    sp.set_defaults(handler=_split)

    tr = sub.add_parser("track", help="link faces of consecutive video frames into tracks")
    tr.add_argument("case_dir")
    tr.add_argument("--max-gap", type=int, default=5, help="sampled frames a track may miss")
    tr.set_defaults(handler=_track)


def _list(args: argparse.Namespace) -> int:
    import sys

    from workbench.cli._output import print_json_lines, print_table
    from workbench.faces.age_model import age_range_text
    from workbench.faces.listing import faces_table
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        table = faces_table(case, args.threshold)
    if args.csv:
        table.to_csv(sys.stdout, index=False)
    elif args.json:
        print_json_lines(table.astype(object).where(table.notna(), None).to_dict(orient="records"))
    else:
        shown = table.assign(
            evidence=table["evidence_sha256"].str[:12],
            age_range=[age_range_text(lo, hi) or "" for lo, hi in
                       zip(table["age_low"], table["age_high"], strict=True)])
        print_table(shown.astype(object).where(shown.notna(), "").to_dict(orient="records"),
                    ["face_id", "age_range", "p_minor", "flagged_minor", "gender", "emotion",
                     "cluster_id"])
        print(f"{len(table)} faces. Ages and p_minor are model estimates, weakest on children: "
              "leads to check, never findings.")
    return 0


def _main_face(path: Path):
    import cv2
    import numpy as np

    from workbench.errors import ValidationError
    from workbench.faces import FaceEngine, FaceSettings

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValidationError(f"cannot read {path} as an image")
    # Engine defaults: the embeddings `analyze` stores and the shipped calibration measured.
    engine = FaceEngine(FaceSettings(attributes=False, landmarks=5))
    faces = engine.analyze_array(np.ascontiguousarray(image[:, :, ::-1]))
    if not len(faces):
        raise ValidationError(f"no face found in {path}")
    return faces[int(np.argmax(faces.area))]


def _compare(args: argparse.Namespace) -> int:
    from workbench.faces.verify import compare

    result = compare(_main_face(args.image_a), _main_face(args.image_b), far=args.far)
    if args.json:
        print(json.dumps({**result.__dict__, "explanation": result.explain()}))
    else:
        print(result.explain())
    return 0


def _cluster(args: argparse.Namespace) -> int:
    from workbench.faces.cluster import cluster_case
    from workbench.store import Case
    from workbench.store.faces import load_faces

    with Case.open(args.case_dir) as case:
        summary = cluster_case(case, load_faces(case), args.threshold, args.method)
    print(json.dumps(summary))
    return 0


def _clusters(args: argparse.Namespace) -> int:
    from workbench.cli._output import print_json_lines, print_table
    from workbench.faces.cluster import case_clusters
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        rows = case_clusters(case).to_dict(orient="records")
    if args.json:
        print_json_lines(rows)
    else:
        print_table(rows, ["cluster_id", "faces", "images"])
    return 0


def _merge(args: argparse.Namespace) -> int:
    from workbench.faces.cluster import merge_clusters
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        print(merge_clusters(case, args.cluster_ids, note=args.note))
    return 0


def _split(args: argparse.Namespace) -> int:
    from workbench.faces.cluster import split_cluster
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        print(split_cluster(case, args.cluster_id, args.face_ids, note=args.note))
    return 0


def _track(args: argparse.Namespace) -> int:
    from workbench.faces.tracks import TrackSettings, track_case
    from workbench.store import Case
    from workbench.store.faces import load_faces

    with Case.open(args.case_dir) as case:
        summary = track_case(case, load_faces(case), TrackSettings(max_gap=args.max_gap))
    print(json.dumps(summary))
    return 0
