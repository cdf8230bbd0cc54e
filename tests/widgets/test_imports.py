"""Widgets stay thin: importing them loads no model stack, and the package loads lazily."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("cv2", "dlib", "deepface", "onnxruntime", "tensorflow", "faiss", "folium")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json\n"
                          "print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_package_import_is_lazy() -> None:
    loaded = _modules_after("import workbench.widgets, workbench.reports")
    assert "ipywidgets" not in loaded and "pandas" not in loaded


def test_every_widget_module_imports_without_the_model_stack() -> None:
    loaded = _modules_after(
        "from workbench.widgets import base, browser, faces, criteria, review, missing, "
        "uniforms, geo, progress\n"
        "from workbench.reports import views, manifest, export, page, bindings\n"
        "import workbench.media")
    assert "ipywidgets" in loaded
    assert sorted(m for m in HEAVY if m in loaded) == []
