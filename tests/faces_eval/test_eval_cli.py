"""``workbench eval`` options reach the embedder they configure (fast: nothing is embedded)."""

from __future__ import annotations

import argparse

import pytest

from workbench.cli import eval as eval_cli
from workbench.eval.embedders import DlibEmbedder, EngineEmbedder


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    eval_cli.register(parser.add_subparsers())
    return parser.parse_args(["eval", "lfw", "--pairs", "p.txt", "--images", "i", *argv])


def test_engine_backend_takes_detector_and_jitter() -> None:
    embedder = eval_cli._factory(_args("--backend", "engine", "--detector", "yunet",
                                       "--jitter", "3", "--no-flip"))()
    assert isinstance(embedder, EngineEmbedder)
    assert (embedder.detector, embedder.jitters, embedder.flip) == ("yunet", 3, False)


def test_dlib_backend_takes_jitter_and_refuses_another_detector() -> None:
    embedder = eval_cli._factory(_args("--backend", "dlib", "--jitter", "10"))()
    assert isinstance(embedder, DlibEmbedder) and embedder.jitter == 10
    assert "jitter10" in embedder.embedding_key
    with pytest.raises(SystemExit, match="--backend engine"):
        eval_cli._factory(_args("--backend", "dlib", "--detector", "yunet"))


def test_lfw_measures_the_face_engine_by_default_calibration_keeps_dlib() -> None:
    assert isinstance(eval_cli._factory(_args())(), EngineEmbedder)
    parser = argparse.ArgumentParser()
    eval_cli.register(parser.add_subparsers())
    for action in ("calibrate", "identities"):
        extra = ["c.csv"] if action == "identities" else ["--pairs", "p", "--images", "i"]
        assert parser.parse_args(["eval", action, *extra]).backend == "dlib"
