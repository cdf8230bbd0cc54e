"""Scripted explicit-content detectors for the Dask tests, in a module the workers import.

No explicit imagery exists in this project: these are the real detector class with its
model replaced by scripted outputs per image colour (as in tests/criteria). Dask sends the
detector to its workers by reference to this module (``daskcluster.child_env`` puts this
folder on the workers' path; a ``LocalCluster`` inherits the test's path).
"""

from __future__ import annotations

import time
from typing import Any

from workbench.criteria.explicit import Detection, ExplicitDetector, ExplicitError

COLOURS = {"red": (255, 0, 0), "blue": (0, 0, 255), "green": (0, 255, 0),
           "grey": (128, 128, 128), "white": (255, 255, 255)}


class ScriptedDetector(ExplicitDetector):
    """The real detector class; its model replaced by scripted outputs per image colour."""

    def __init__(self, outputs: dict[tuple[int, int, int], list[Detection]]) -> None:
        super().__init__(model_path="scripted")
        self.outputs = outputs
        self.loads = 0

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "loads": 0}   # counts loads in the receiving process

    def load(self) -> ScriptedDetector:
        self.loads += 1
        return self

    def version(self) -> str:
        return "scripted-1"

    def detect(self, image: Any) -> list[Detection]:
        colour = tuple(int(v) for v in image[0, 0])  # the scan passes upright RGB pixels
        if colour not in self.outputs:
            raise ExplicitError(f"no scripted output for colour {colour}")
        return self.outputs[colour]


DETECTOR_OUTPUTS = {
    COLOURS["red"]: [Detection("FEMALE_GENITALIA_EXPOSED", 0.66, (1, 2, 3, 4)),
                     Detection("FACE_FEMALE", 0.9, (5, 5, 9, 9))],
    COLOURS["blue"]: [Detection("FACE_MALE", 0.9, (1, 2, 3, 4))],
    COLOURS["green"]: [Detection("BUTTOCKS_EXPOSED", 0.41, (0, 0, 8, 8))],
    COLOURS["grey"]: [],
}


class SlowDetector(ScriptedDetector):
    """Scripted outputs that take a while, so a worker can be killed in the middle of a task."""

    def detect(self, image: Any) -> list[Detection]:
        time.sleep(0.25)
        return super().detect(image)
