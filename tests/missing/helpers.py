"""Synthetic embeddings and records for the missing-person tests."""

from __future__ import annotations

from datetime import date

import numpy as np

from workbench.missing.records import MissingPerson

KEY = "test-model/test-detector/aligned"


def unit(rng: np.random.Generator, n: int, d: int = 128) -> np.ndarray:
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def near(v: np.ndarray, rng: np.random.Generator, noise: float = 0.15) -> np.ndarray:
    """Another "photo" of the same person: the vector plus a little noise, renormalised."""
    x = v + noise * rng.normal(size=v.shape).astype(np.float32) / np.sqrt(v.shape[-1])
    return (x / np.linalg.norm(x)).astype(np.float32)


def person(i: int, sex: str = "female", age: float = 12, last_seen: str = "2022-06-01",
           **kw) -> MissingPerson:
    return MissingPerson(id=f"test:{i}", source="test", name=f"Fictional Person {i}", sex=sex,
                         sex_raw=sex.title(), age_missing_min=age, age_missing_max=age,
                         date_last_seen=date.fromisoformat(last_seen), **kw)
