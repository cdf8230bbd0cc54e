"""The Dask engine's own guarantees on a real LocalCluster: results for every item, and a
task that kills its worker recorded as lost instead of stopping the run."""

from __future__ import annotations

import functools
import operator
import os

import pytest


@pytest.fixture()
def engine():
    pytest.importorskip("distributed")
    import dask

    from workbench.distributed.engine import DaskEngine

    # A task that kills one worker is given up at once (the default retries it on 3). The
    # scheduler sends a worker its next task only once the last one is reported done
    # (saturation 1.0): otherwise a finished task whose report was still batched when the
    # worker died is blamed too, and with no retries allowed it would be lost with it.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}):
        dask_engine = DaskEngine.connect(None, workers=1)
        try:
            yield dask_engine
        finally:
            dask_engine.close()


def test_a_task_that_kills_its_worker_is_reported_and_the_rest_finish(engine) -> None:
    items = [functools.partial(abs, -i) for i in range(6)]
    items.insert(3, functools.partial(os._exit, 1))  # a decoder crash, as hostile files cause
    keys = [f"test-kill-{i}" for i in range(len(items))]
    lost: list[str] = []

    def on_lost(item, reason: str) -> str:
        lost.append(reason)
        return "lost"

    results = list(engine.run(operator.call, items, keys, on_lost=on_lost))
    assert sorted(r for r in results if r != "lost") == [0, 1, 2, 3, 4, 5]
    assert results.count("lost") == 1 and "KilledWorker" in lost[0]
    assert engine.threads() == 1  # the nanny started a fresh worker and the run went on
