"""DeepFace on the pack: seed its weights folder offline and import the weights agencies bring.

DeepFace looks for weights in ``$DEEPFACE_HOME/.deepface/weights`` and downloads what
is missing. Seeding that folder from the verified pack (and running it with
``DEEPFACE_BACKEND_ENGINE=onnx``) makes its ``Dlib`` model and ``dlib`` detector work
with no network. Its other models need files an agency brings from its own mirror:
``import_weights`` copies them into the pack with their SHA-256.

DeepFace 0.0.103 publishes no checksums for its weights (its ``weight_utils`` only
downloads by URL), so the table below has none to ship: the SHA-256 is recorded at
import (trust on first import) and verified on every later use.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import ModelMissing
from workbench.models.pack import (
    model_file,
    models_dir,
    read_manifest,
    sha256_file,
    write_manifest,
)


@dataclass(frozen=True)
class DeepFaceWeight:
    """A weight file DeepFace 0.0.103 loads, under the name it expects in its folder."""

    name: str
    filename: str
    task: str
    model_name: str
    engine: str
    sha256: str | None = None  # none published upstream; recorded at import


DEEPFACE_WEIGHTS: dict[str, DeepFaceWeight] = {w.name: w for w in (
    DeepFaceWeight("deepface_vgg_face", "vgg_face_weights.onnx", "facial_recognition",
                   "VGG-Face", "onnx"),
    DeepFaceWeight("deepface_facenet", "facenet_weights.onnx", "facial_recognition",
                   "Facenet", "onnx"),
    DeepFaceWeight("deepface_facenet512", "facenet512_weights.onnx", "facial_recognition",
                   "Facenet512", "onnx"),
    DeepFaceWeight("deepface_arcface", "arcface_weights.onnx", "facial_recognition",
                   "ArcFace", "onnx"),
    DeepFaceWeight("deepface_sface", "face_recognition_sface_2021dec.onnx",
                   "facial_recognition", "SFace", "onnx"),
    DeepFaceWeight("deepface_retinaface", "retinaface.h5", "face_detector", "retinaface",
                   "tensorflow"),
    DeepFaceWeight("deepface_age", "age_model_weights.onnx", "facial_attribute", "Age", "onnx"),
    DeepFaceWeight("deepface_gender", "gender_model_weights.onnx", "facial_attribute",
                   "Gender", "onnx"),
    DeepFaceWeight("deepface_emotion", "facial_expression_model_weights.onnx",
                   "facial_attribute", "Emotion", "onnx"),
    # Race is importable for completeness; the engine never estimates it by default.
    DeepFaceWeight("deepface_race", "race_model_single_batch.onnx", "facial_attribute",
                   "Race", "onnx"),
)}

# Pack files DeepFace's Dlib model and dlib detector expect, under DeepFace's names.
PACK_FILES_FOR_DEEPFACE: dict[str, str] = {
    "dlib_landmarks_5": "shape_predictor_5_face_landmarks.dat",
    "dlib_embedding": "dlib_face_recognition_resnet_model_v1.dat",
}


def import_weights(source: str | os.PathLike[str],
                   dest: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Copy the DeepFace weight files found in ``source`` into the pack.

    A file whose name DeepFace knows is copied and recorded with its SHA-256 (verified
    against a published checksum where one exists). Unknown files are ignored.

    Returns:
        ``{"imported": [names], "verified": [names], "recorded": [names],
        "ignored": [file names]}``.

    Raises:
        ModelMissing: a file's checksum differs from the published one.
    """
    folder = models_dir(dest)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(folder)
    by_file = {w.filename: w for w in DEEPFACE_WEIGHTS.values()}
    report: dict[str, list[str]] = {"imported": [], "verified": [], "recorded": [], "ignored": []}
    for path in sorted(Path(source).expanduser().iterdir()):
        weight = by_file.get(path.name)
        if weight is None or not path.is_file():
            report["ignored"].append(path.name)
            continue
        digest = sha256_file(path)
        if weight.sha256 is not None and digest != weight.sha256:
            raise ModelMissing(
                f"{path} has SHA-256 {digest}, expected {weight.sha256} for {weight.model_name}",
                fix=f"workbench models import DIR (with an intact {weight.filename})")
        target = folder / weight.filename
        tmp = folder / f".{weight.filename}.tmp"
        shutil.copyfile(path, tmp)
        tmp.replace(target)
        manifest["files"][weight.name] = {
            "file": weight.filename, "sha256": digest, "bytes": target.stat().st_size,
            "package": f"deepface weights ({weight.model_name})", "from": str(path),
            "checksum": "published" if weight.sha256 else "recorded at import",
        }
        report["imported"].append(weight.name)
        report["verified" if weight.sha256 else "recorded"].append(weight.name)
    write_manifest(folder, manifest)
    return report


def imported_weights(dest: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of the DeepFace weights imported into the pack."""
    files = read_manifest(models_dir(dest))["files"]
    return sorted(n for n in files if n in DEEPFACE_WEIGHTS)


def seed_deepface_home(dest: str | os.PathLike[str] | None = None) -> Path:
    """Fill ``<pack>/deepface/.deepface/weights`` from verified pack files; return the home.

    Each file is verified (``model_file``) and linked, or copied where links are
    impossible, under the name DeepFace expects.
    """
    folder = models_dir(dest)
    home = folder / "deepface"
    weights = home / ".deepface" / "weights"
    weights.mkdir(parents=True, exist_ok=True)
    wanted = dict(PACK_FILES_FOR_DEEPFACE)
    wanted.update({n: DEEPFACE_WEIGHTS[n].filename for n in imported_weights(dest)})
    for name, filename in wanted.items():
        source = model_file(name, dest)
        target = weights / filename
        if target.is_symlink() or target.exists():
            if target.resolve() == source.resolve():
                continue
            target.unlink()
        try:
            target.symlink_to(source)
        except OSError:
            shutil.copyfile(source, target)
    return home


@contextmanager
def deepface_environment(dest: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """Run DeepFace offline on the pack: ONNX engine, weights folder seeded, env restored.

    Example:
        >>> with deepface_environment():                             # doctest: +SKIP
        ...     from deepface import DeepFace
        ...     DeepFace.represent(img, model_name="Dlib", detector_backend="dlib")
    """
    home = seed_deepface_home(dest)
    saved = {k: os.environ.get(k) for k in ("DEEPFACE_HOME", "DEEPFACE_BACKEND_ENGINE")}
    os.environ["DEEPFACE_HOME"] = str(home)
    os.environ["DEEPFACE_BACKEND_ENGINE"] = "onnx"
    try:
        yield home
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def require_deepface_weight(name: str, dest: str | os.PathLike[str] | None = None) -> Path:
    """The verified path of an imported DeepFace weight, or ModelMissing saying how to add it."""
    if name not in imported_weights(dest):
        raise ModelMissing(
            f"DeepFace weight {name!r} ({DEEPFACE_WEIGHTS[name].filename}) is not in the pack "
            f"at {models_dir(dest)}", fix="workbench models import DIR")
    return model_file(name, dest)
