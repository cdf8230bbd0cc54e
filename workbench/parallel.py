"""Worker pools that stop with their command and die with their parent.

Every long command that fans out to processes (``ingest``, ``analyze``, ``eval lfw``)
builds its pool with :func:`process_pool`, which gives two guarantees:

* **Stopping the command stops its workers.** While the pool is open, SIGTERM and SIGHUP
  raise :class:`Stopped` (a ``KeyboardInterrupt``) in the main thread, exactly like
  Ctrl-C, so ``finally`` blocks run (runs are recorded as interrupted, transactions roll
  back) and the pool's workers are terminated instead of finishing their queue.
* **Workers die when their parent dies**, even by ``kill -9``, which no handler sees: on
  Linux each worker asks the kernel for SIGKILL when its parent goes
  (``prctl(PR_SET_PDEATHSIG)``); everywhere, a watchdog thread in the worker exits when
  the command's process is gone. Without this, workers of a killed ingest kept
  ``case.db`` open for over a minute.

Workers ignore SIGINT: Ctrl-C reaches the whole process group, and the parent alone
decides how to stop (the workers are terminated by it).

Example:
    >>> with process_pool(2) as pool:                       # doctest: +SKIP
    ...     results = list(pool.map(work, items))
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

# prctl option (linux/prctl.h): deliver a signal to this process when its parent exits
_PR_SET_PDEATHSIG = 1
# How often a worker's watchdog looks for its parent (the kernel signal is instant).
_WATCH_EVERY_S = 1.0
# Signals that mean "stop" to a command; SIGINT already raises KeyboardInterrupt.
_STOP_SIGNALS = ("SIGTERM", "SIGHUP")


class Stopped(KeyboardInterrupt):
    """The command was asked to stop by a signal; unwinds like Ctrl-C.

    Attributes:
        signum: the signal number received.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into :class:`Stopped` while the block runs (main thread only).

    A second signal while the first is being handled is ignored, so cleanup is not cut
    short; the previous handlers come back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    stopping = False

    def handler(signum: int, frame: Any) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise Stopped(signum)

    previous = {}
    for name in _STOP_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _die_with_parent(command_pid: int) -> None:
    """In a worker: exit when the command that owns the pool is gone."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the watchdog below still works
    parent = os.getppid()

    def gone() -> bool:
        if os.getppid() != parent:  # reparented: the direct parent has exited
            return True
        try:
            os.kill(command_pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    if gone():  # the parent died before the kernel could be told
        os._exit(1)

    def watch() -> None:
        event = threading.Event()
        while not event.wait(_WATCH_EVERY_S):
            if gone():
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def worker_init(command_pid: int, initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = ()) -> None:
    """Initializer of every pool worker: signals, death with the parent, then the caller's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in _STOP_SIGNALS:  # a forked worker inherits the parent's handlers
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)
    _die_with_parent(command_pid)
    if initializer is not None:
        initializer(*initargs)


def terminate_workers(pool: ProcessPoolExecutor, grace_s: float = 2.0) -> None:
    """Stop a pool's worker processes now (SIGTERM, then SIGKILL after ``grace_s``)."""
    # ProcessPoolExecutor has no public way to stop running tasks; its process table is
    # the only handle on them (stable from Python 3.8 to 3.13).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(grace_s)
        if process.is_alive():
            process.kill()
            process.join(grace_s)


@contextlib.contextmanager
def process_pool(workers: int, mp_context: BaseContext | None = None,
                 initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> Iterator[ProcessPoolExecutor]:
    """A ``ProcessPoolExecutor`` whose workers stop with the command and die with it.

    Leaving the block normally waits for the pool; leaving it by any exception
    (Ctrl-C, SIGTERM, an error, a generator closed early) terminates the workers and
    drops queued tasks.

    Args:
        workers: worker processes.
        mp_context: a multiprocessing context (fork, forkserver, spawn); default as Python's.
        initializer: run once in each worker after the safety set-up.
        initargs: arguments of ``initializer``.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp_context,
                               initializer=worker_init,
                               initargs=(os.getpid(), initializer, tuple(initargs)))
    with stop_on_signals():
        try:
            yield pool
        except BaseException:
            terminate_workers(pool)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


T = TypeVar("T")


def batches(items: list[T], size: int, workers: int) -> list[list[T]]:
    """Consecutive items in batches of ``size``, smaller when there are few items, so every
    worker gets about four batches and none is left alone at the end. The local pool and
    the Dask engine size their tasks the same way."""
    size = max(1, min(size, len(items) // (workers * 4) or 1))
    return [items[i:i + size] for i in range(0, len(items), size)]
