"""Run the face engine over images with known ages: the pipeline ``analyze`` stores.

Each image goes through the same worker code as ``workbench analyze`` (pixels loaded by the
ingest loader, ``FaceEngine.analyze_image``), and its largest face stands for the image, so
the figures of ``workbench eval age`` are the figures of the values a case holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.faces.settings import FaceSettings
from workbench.types import Faces


@dataclass
class AgeEstimates:
    """The engine's stored age columns of each image's largest face (NaN: no face)."""

    found: np.ndarray
    age: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p_minor: np.ndarray

    @classmethod
    def empty(cls, n: int) -> AgeEstimates:
        nan = np.full(n, np.nan)
        return cls(np.zeros(n, bool), nan.copy(), nan.copy(), nan.copy(), nan.copy())


def largest_faces(images: list[Path], settings: FaceSettings, workers: int = 1,
                  progress: bool = True, desc: str = "ages") -> Iterator[tuple[int, Faces, int]]:
    """``(image index, its faces, index of the largest)`` for each image with a face.

    Images go through ``analyze``'s worker code (``analyze_tasks``); an image with no face,
    or one that could not be read, yields nothing.
    """
    from workbench.faces.analyze import Task, analyze_tasks
    from workbench.progress import progress_bar

    tasks = [Task(str(i), str(path)) for i, path in enumerate(images)]
    bar = progress_bar(len(tasks), desc, enabled=progress, unit="image")
    try:
        for key, faces, _ in analyze_tasks(tasks, settings, "", max(1, workers)):
            bar.update(1)
            if faces is not None and len(faces):
                yield int(key), faces, int(np.argmax(faces.area))
    finally:
        bar.close()


def estimate_ages(images: list[Path], settings: FaceSettings | None = None, workers: int = 1,
                  progress: bool = True) -> AgeEstimates:
    """The engine's age, interval and ``p_minor`` for the largest face of each image.

    Args:
        images: image files.
        settings: engine settings (default: the ones ``analyze`` uses).
        workers: processes, each loading the models once.
        progress: show a progress bar.
    """
    out = AgeEstimates.empty(len(images))
    for i, faces, j in largest_faces(images, settings or FaceSettings(), workers, progress):
        if "age" not in faces.data:
            continue
        out.found[i] = True
        for name, column in (("age", "age"), ("low", "age_low"), ("high", "age_high"),
                             ("p_minor", "p_minor")):
            getattr(out, name)[i] = float(faces.data[column][j])
    return out
