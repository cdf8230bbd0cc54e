"""What every workbench widget shares: lazy domain bindings, status display, snapshots.

A widget receives the domain functions it needs as callables. Its defaults name the real
domain function as ``"module:function"`` and bind it with :func:`lazy` only when first
called, so a widget works (and is testable with fakes) before or without that domain.
Domain errors appear as a readable line in the widget, never as a traceback.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as w
import traitlets

from workbench.errors import WorkbenchError

T = TypeVar("T")

LIMITS_NOTE = (
    "Age, gender and emotion estimates come from models that are unreliable on children "
    "and across demographics. They are leads for a trained person to check, never findings."
)


class DomainUnavailable(WorkbenchError):
    """The domain function a widget needs is not part of this installation (yet)."""


def lazy(target: str) -> Callable[..., Any]:
    """A callable that imports ``"package.module:function"`` the first time it is called.

    Example:
        >>> search = lazy("workbench.missing.search:search")   # imports nothing yet
    """
    module_name, _, attr = target.partition(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            # Only a missing *domain* module means "not installed"; a missing third-party
            # library inside it is a real error and must surface as such.
            if error.name and module_name.startswith(error.name):
                raise DomainUnavailable(
                    f"{module_name} is not available in this workbench, so this action "
                    "cannot run; update the workbench or pass your own function"
                ) from error
            raise
        function = getattr(module, attr, None)
        if function is None:
            raise DomainUnavailable(f"{module_name} has no {attr}(); this widget needs a newer "
                                    "workbench or a function passed in explicitly")
        return function(*args, **kwargs)

    call.__name__ = attr
    call.__qualname__ = target
    return call


class WorkbenchWidget(w.VBox):
    """Base of the workbench widgets: a status line, busy/error traitlets and a snapshot.

    Subclasses build their controls, call domain functions through :meth:`call` and
    implement :meth:`snapshot_body` (static HTML for reports: nbconvert cannot run widgets).
    """

    busy = traitlets.Bool(False)
    error = traitlets.Unicode("")
    message = traitlets.Unicode("")
    title = "Workbench"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status = w.HTML(layout=w.Layout(min_height="1.5em"))
        self.observe(self._show_status, names=["busy", "error", "message"])

    def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run one domain function; on a domain error show its message and return None."""
        self.error = ""
        self.busy = True
        try:
            return function(*args, **kwargs)
        except WorkbenchError as error:
            self.error = str(error)
            return None
        finally:
            self.busy = False

    def quiet(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Like :meth:`call` for secondary work (a thumbnail): a domain error gives None and
        leaves the widget's status alone, so one unreadable file does not hide the rest."""
        try:
            return function(*args, **kwargs)
        except WorkbenchError:
            return None

    def _show_status(self, _change: dict[str, Any] | None = None) -> None:
        if self.error:
            self.status.value = (f'<div class="wb-error" style="color:#a40000">'
                                 f"&#9888; {html.escape(self.error)}</div>")
        elif self.busy:
            self.status.value = '<div class="wb-busy"><i>Working&hellip;</i></div>'
        else:
            self.status.value = f'<div class="wb-message">{html.escape(self.message)}</div>'

    # -- static rendering for reports ----------------------------------------------------

    def snapshot_body(self) -> str:
        """HTML of what the widget shows now, without controls. Subclasses override."""
        return f"<p>{html.escape(self.message)}</p>"

    def snapshot_html(self) -> str:
        """The snapshot with the widget's title; thumbnails in it are always blurred."""
        error = (f'<p class="wb-error">&#9888; {html.escape(self.error)}</p>' if self.error
                 else "")
        return (f'<section class="wb-snapshot wb-{type(self).__name__}">'
                f"<h3>{html.escape(self.title)}</h3>{error}{self.snapshot_body()}</section>")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        # JupyterLab renders the live widget; nbconvert (reports) and viewers that cannot run
        # widgets fall back to this static HTML, which is what a report shows.
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        bundle = dict(bundle)
        bundle["text/html"] = self.snapshot_html()
        return bundle


def limits_banner() -> w.HTML:
    """The plain statement of what the attribute models cannot do, for every face view."""
    return w.HTML(f'<div class="wb-limits" style="border-left:4px solid #c60;padding:4px 8px;'
                  f'background:#fff6ec">{html.escape(LIMITS_NOTE)}</div>')


def table_html(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A small escaped HTML table (cells given as ``("html", s)`` are inserted raw)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c, "")
            if isinstance(value, tuple) and len(value) == 2 and value[0] == "html":
                cells.append(f"<td>{value[1]}</td>")
            else:
                cells.append(f"<td>{html.escape(fmt(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="wb-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def fmt(value: Any) -> str:
    """Short display text: floats to 2 places, missing values blank."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:.2f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value)
    return str(value)
