"""Install step: fetch Leaflet and every folium plugin asset from npm, for offline maps.

Run once per installation with access to the npm registry (``make assets``)::

    python scripts/fetch_web_assets.py [--dest workbench/geo/static/vendor]

It runs ``npm pack`` for each pinned package (npm checks the registry's integrity hash),
copies out the files folium references plus what their stylesheets load (images, WOFF2
fonts), and writes ``manifest.json`` with the SHA-256 of every file. Maps verify files
against that manifest before inlining them. Nothing in the workbench fetches at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from workbench.geo.assets import (  # noqa: E402
    ASSETS,
    FONT_SUFFIXES,
    MANIFEST_NAME,
    VENDOR_DIR,
)

_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^)'\"]+)\1\s*\)")
# Bootstrap 3.0.0's separate glyphicons sheet is not on npm; 3.4.1 carries the same rules
# and font inside bootstrap.css, so the sheet is rebuilt from those rules alone.
GLYPHICONS_FROM = "bootstrap@3.4.1"


def npm_pack(spec: str, workdir: Path) -> tuple[Path, dict[str, str]]:
    """Download one package tarball with npm; return its path and npm's integrity record."""
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        capture_output=True, text=True, check=False, cwd=workdir, timeout=300,
    )
    if out.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed:\n{out.stderr}")
    info = json.loads(out.stdout)[0]
    return workdir / info["filename"], {"integrity": info.get("integrity", ""),
                                        "shasum": info.get("shasum", "")}


def css_dependencies(css: str, css_path: str) -> list[str]:
    """Package-relative files a stylesheet loads through ``url(...)`` that are worth shipping."""
    deps = []
    for match in _CSS_URL.finditer(css):
        target = match.group(2).strip().split("?")[0].split("#")[0]
        if not target or target.startswith(("data:", "http:", "https:", "//")):
            continue
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(css_path), target))
        is_font = resolved.endswith((".woff", ".woff2", ".ttf", ".eot", ".otf")) or (
            resolved.endswith(".svg") and "font" in resolved)
        if is_font and not resolved.endswith(FONT_SUFFIXES):
            continue
        deps.append(resolved)
    return deps


def extract(tarball: Path, wanted: list[str], dest: Path) -> list[str]:
    """Copy ``wanted`` files (and their stylesheet dependencies) out of an npm tarball."""
    written: list[str] = []
    with tarfile.open(tarball) as tar:
        members = {m.name.removeprefix("package/"): m for m in tar.getmembers() if m.isfile()}
        queue = list(wanted)
        while queue:
            path = queue.pop()
            if path in written:
                continue
            member = members.get(path)
            if member is None:
                if path in wanted:
                    raise SystemExit(f"{tarball.name} has no {path}; fix workbench/geo/assets.py")
                print(f"  note: {tarball.name} lacks {path} (referenced by its CSS); skipped")
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(path)
            if path.endswith(".css"):
                queue.extend(css_dependencies(data.decode("utf-8"), path))
    return written


def glyphicons_css(bootstrap3_css: str) -> str:
    """The glyphicon font face and ``.glyphicon*`` rules of Bootstrap 3, nothing else."""
    keep = []
    for block in re.findall(r"[^{}]+\{[^{}]*\}", bootstrap3_css):
        selector = block.split("{", 1)[0]
        if "Glyphicons Halflings" in block or selector.strip().startswith(".glyphicon"):
            keep.append(block.strip())
    return "\n".join(keep) + "\n"


def rotate_css() -> str:
    """Rotation classes folium's ``Icon(angle=...)`` sets (``fa-rotate-<degrees>``)."""
    return "".join(
        f".awesome-marker i.fa-rotate-{a}{{transform:rotate({a}deg)}}" for a in range(360)
    ) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=VENDOR_DIR)
    args = parser.parse_args(argv)
    dest: Path = args.dest.resolve()
    if shutil.which("npm") is None:
        raise SystemExit("npm is not installed; `apt-get install -y npm` (install time only)")
    staging = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    sources: dict[str, dict[str, str]] = {}

    by_package: dict[str, list[str]] = {}
    for asset in ASSETS:
        by_package.setdefault(asset.npm, []).append(asset.path)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for spec, paths in sorted(by_package.items()):
            if spec in ("generated", "folium"):
                continue
            print(f"npm pack {spec}")
            tarball, integrity = npm_pack(spec, work)
            for path in extract(tarball, paths, staging / spec.replace("/", "__")):
                sources[f"{spec.replace('/', '__')}/{path}"] = {"npm": spec, **integrity}

        print(f"npm pack {GLYPHICONS_FROM} (glyphicons)")
        tarball, integrity = npm_pack(GLYPHICONS_FROM, work)
        with tarfile.open(tarball) as tar:
            css = tar.extractfile("package/dist/css/bootstrap.css").read().decode()  # type: ignore[union-attr]
        gen = staging / "generated"
        gen.mkdir()
        (gen / "bootstrap-glyphicons.css").write_text(
            glyphicons_css(css).replace("../fonts/", f"../{GLYPHICONS_FROM}/dist/fonts/"))
        for path in extract(tarball, ["dist/fonts/glyphicons-halflings-regular.woff2"],
                            staging / GLYPHICONS_FROM):
            sources[f"{GLYPHICONS_FROM}/{path}"] = {"npm": GLYPHICONS_FROM, **integrity}
        sources["generated/bootstrap-glyphicons.css"] = {"npm": GLYPHICONS_FROM, **integrity}
        (gen / "leaflet.awesome.rotate.min.css").write_text(rotate_css())
        sources["generated/leaflet.awesome.rotate.min.css"] = {"npm": "generated"}

    import folium

    folium_dir = Path(folium.__file__).parent
    for asset in ASSETS:
        if asset.npm == "folium":
            target = staging / asset.local
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folium_dir / asset.path, target)
            sources[asset.local] = {"npm": f"folium=={folium.__version__} (installed wheel)"}

    files = {}
    for local, source in sorted(sources.items()):
        data = (staging / local).read_bytes()
        files[local] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), **source}
    manifest = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "files": files}
    (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    # Swap in the new folder only once everything is in place, so a failed run never
    # leaves a half-filled vendor folder behind.
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    total = sum(f["bytes"] for f in files.values())
    print(f"{len(files)} files, {total / 1e6:.1f} MB in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
