"""Every ``WORKBENCH_*`` environment variable, read in this one module.

A newcomer who wants to know what the environment can change reads this table; code that
needs a value calls :func:`read` (or one of the helpers below) instead of ``os.environ``,
and a test checks that no other module names a ``WORKBENCH_*`` variable on its own.
Values are read when asked for, never on import, so a test or a notebook that sets a
variable sees it at once. An empty value counts as unset.

==============================  =====================================  =======================
variable                        what it sets                           when unset
==============================  =====================================  =======================
``WORKBENCH_CASE``              the case a Voila dashboard shows       dashboard says so
                                (set by ``workbench dashboard``)
``WORKBENCH_DASHBOARD_READY``   file a pre-heated dashboard kernel     no file is touched
                                touches when ready (set by the server)
``WORKBENCH_CACHE``             cache root (eval embeddings, real      ``~/.cache/workbench``
                                uniform photos' model outputs)
``WORKBENCH_MODELS``            the model pack folder                  ``~/.local/share/
                                                                       case-workbench/models``
``WORKBENCH_WHEELS``            downloaded wheels the pack is taken    ``<models>/.wheels``
                                from
``WORKBENCH_REGISTRY``          missing-person registry: a folder or   ``~/.workbench/registry``
                                a ``postgresql://`` URL
``WORKBENCH_CASES``             case folders (``:``-separated) a       no reverse search
                                registry import searches in reverse
``WORKBENCH_NAMUS_URL``         NamUs-style service root               no sync (air-gapped)
``WORKBENCH_ALERTS``            alert settings JSON file               no alerts
``WORKBENCH_TILE_URL``          agency tile server URL template        offline world outline
``WORKBENCH_TILE_ATTRIBUTION``  the tile licence's attribution text    none
``WORKBENCH_TILE_MAX_ZOOM``     deepest zoom of the tile server        18
``WORKBENCH_CHROMIUM``          Chromium binary for PDF reports        Debian's Chromium
``WORKBENCH_USER``              automation's user name (only together  OS account, not
                                with ``WORKBENCH_PASSWORD_FILE``)      logged in
``WORKBENCH_PASSWORD_FILE``     file holding that user's password      as above
``WORKBENCH_SESSIONS``          folder of login session files          ``~/.workbench/sessions``
``WORKBENCH_DASK``              Dask scheduler ingest/analyze run on   this machine's process
                                (``tcp://HOST:8786``)                  pool
==============================  =====================================  =======================

Alert settings may also name a variable holding the SMTP password (``password_env``, e.g.
``WORKBENCH_SMTP_PASSWORD``); that name is the user's choice, so it is read where the
alert is sent, not listed here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from workbench.errors import WorkbenchError

CASE = "WORKBENCH_CASE"
DASHBOARD_READY = "WORKBENCH_DASHBOARD_READY"
CACHE = "WORKBENCH_CACHE"
MODELS = "WORKBENCH_MODELS"
WHEELS = "WORKBENCH_WHEELS"
REGISTRY = "WORKBENCH_REGISTRY"
CASES = "WORKBENCH_CASES"
NAMUS_URL = "WORKBENCH_NAMUS_URL"
ALERTS = "WORKBENCH_ALERTS"
TILE_URL = "WORKBENCH_TILE_URL"
TILE_ATTRIBUTION = "WORKBENCH_TILE_ATTRIBUTION"
TILE_MAX_ZOOM = "WORKBENCH_TILE_MAX_ZOOM"
CHROMIUM = "WORKBENCH_CHROMIUM"
USER = "WORKBENCH_USER"
PASSWORD_FILE = "WORKBENCH_PASSWORD_FILE"
SESSIONS = "WORKBENCH_SESSIONS"
DASK = "WORKBENCH_DASK"

VARIABLES = (CASE, DASHBOARD_READY, CACHE, MODELS, WHEELS, REGISTRY, CASES, NAMUS_URL,
             ALERTS, TILE_URL, TILE_ATTRIBUTION, TILE_MAX_ZOOM, CHROMIUM, USER,
             PASSWORD_FILE, SESSIONS, DASK)


class SettingsError(WorkbenchError):
    """Code asked for a ``WORKBENCH_*`` variable this module does not list."""


def read(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of one listed variable, or None when unset or empty.

    Args:
        name: one of :data:`VARIABLES` (use the module's constants).
        environ: the environment to read (default ``os.environ``), so a caller can read
            the environment it is about to hand to a child process.

    Raises:
        SettingsError: ``name`` is not in the table, so nobody can add an undocumented one.

    Example:
        >>> read(TILE_URL, {"WORKBENCH_TILE_URL": ""}) is None
        True
    """
    if name not in VARIABLES:
        raise SettingsError(f"{name} is not a workbench setting; add it to the table in "
                            "workbench/settings.py first")
    value = (os.environ if environ is None else environ).get(name)
    return value or None


def case_paths() -> list[str]:
    """``$WORKBENCH_CASES`` split on the path separator (empty parts dropped)."""
    return [c for c in (read(CASES) or "").split(os.pathsep) if c]
