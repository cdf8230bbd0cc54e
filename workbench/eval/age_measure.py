"""Run the face engine over images with known ages: the pipeline ``analyze`` stores.

Each image goes through the same worker code as ``workbench analyze`` (pixels loaded by the
ingest loader, ``FaceEngine.analyze_image``), and its largest face stands for the image, so
the figures of ``workbench eval age`` are the figures of the values a case holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.faces.settings import FaceSettings


@dataclass
class AgeEstimates:
    """The engine's stored age columns of each image's largest face (NaN: no face)."""

    found: np.ndarray
    age: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p_minor: np.ndarray
    errors: dict[int, str]

    @classmethod
    def empty(cls, n: int) -> AgeEstimates:
        nan = np.full(n, np.nan)
        return cls(np.zeros(n, bool), nan.copy(), nan.copy(), nan.copy(), nan.copy(), {})


def estimate_ages(images: list[Path], settings: FaceSettings | None = None, workers: int = 1,
                  progress: bool = True) -> AgeEstimates:
    """The engine's age, interval and ``p_minor`` for the largest face of each image.

    Args:
        images: image files.
        settings: engine settings (default: the ones ``analyze`` uses).
        workers: processes, each loading the models once.
        progress: show a progress bar.
    """
    from workbench.faces.analyze import Task, analyze_tasks
    from workbench.progress import progress_bar

    settings = settings or FaceSettings()
    out = AgeEstimates.empty(len(images))
    tasks = [Task(str(i), str(path)) for i, path in enumerate(images)]
    bar = progress_bar(len(tasks), "ages", enabled=progress, unit="image")
    try:
        for key, faces, error in analyze_tasks(tasks, settings, "", max(1, workers)):
            bar.update(1)
            i = int(key)
            if error is not None:
                out.errors[i] = error
            if faces is None or not len(faces) or "age" not in faces.data:
                continue
            j = int(np.argmax(faces.area))
            out.found[i] = True
            for name, column in (("age", "age"), ("low", "age_low"), ("high", "age_high"),
                                 ("p_minor", "p_minor")):
                getattr(out, name)[i] = float(faces.data[column][j])
    finally:
        bar.close()
    return out
