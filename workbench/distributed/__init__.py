"""Beyond one machine: the same ingest and analysis tasks on a Dask cluster.

The worker functions are those of the local process pool (``ingest.worker.process_batch``,
``faces.analyze._analyze``; for the explicit-content scan and the uniform reading, the
functions of :mod:`workbench.distributed.scans`, which those commands also call in-process);
only where they run changes. :func:`engine.open_engine` gives
``None`` (the local process pool, the default on one machine) or a :class:`engine.DaskEngine`
(a ``LocalCluster`` for ``--engine dask``, or a running scheduler for ``--cluster`` /
``WORKBENCH_DASK``). Results always come back to the one process that writes the case.

Nothing is imported here: ``dask`` loads only when an engine is opened.
"""
