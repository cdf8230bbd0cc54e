"""Face backends are listed as data (name -> "module:Class") and named as ``name:variant``."""

from __future__ import annotations

import pytest

from workbench.faces import base
from workbench.faces.base import UnknownBackend, backend_class, model_names, parse_name
from workbench.faces.settings import FaceSettings


@pytest.mark.parametrize(("family", "name"), [(f, n) for f, table in base.BACKENDS.items()
                                              for n in table])
def test_every_listed_backend_imports_as_its_family_and_name(family: str, name: str) -> None:
    cls = backend_class(family, name)
    assert cls.family == family and cls.name == name


def test_name_and_variant() -> None:
    assert parse_name("deepface:ArcFace") == ("deepface", "ArcFace")
    assert parse_name("hog") == ("hog", None)
    assert parse_name("deepface:") == ("deepface", "")


def test_variants_only_where_a_backend_takes_them() -> None:
    assert model_names("detector", "deepface:dlib") == ("dlib_landmarks_5",)
    assert model_names("detector", "hog") == backend_class("detector", "hog").model_names
    for wrong in ("deepface", "hog:fast"):
        with pytest.raises(UnknownBackend, match="write it as"):
            base.build("detector", wrong, FaceSettings())
        with pytest.raises(UnknownBackend, match="write it as"):
            model_names("detector", wrong)
    with pytest.raises(UnknownBackend, match="available"):
        backend_class("detector", "nonesuch")
    assert "deepface:<name>" in base.names("detector") and "hog" in base.names("detector")


def test_a_registered_fake_is_built_by_name() -> None:
    class Fake(base.Detector):
        name = "fake-for-test"

        def detect(self, rgb):  # pragma: no cover - never run
            raise AssertionError

    base.register(Fake)
    try:
        assert isinstance(base.build("detector", "fake-for-test", FaceSettings()), Fake)
    finally:
        base._REGISTRY["detector"].pop("fake-for-test")


def test_embedding_key_parts_come_from_the_class() -> None:
    from workbench.faces.engine import FaceEngine

    assert FaceEngine(FaceSettings()).embedding_key.startswith("dlib_resnet")
    deep = FaceEngine(FaceSettings(embedder="deepface:ArcFace")).embedding_key
    assert deep.startswith("deepface_ArcFace/") and "_pad0.25" in deep
