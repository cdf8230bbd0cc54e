"""Base widget behaviour and the case browser, driven headless."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from workbench.errors import WorkbenchError
from workbench.widgets.base import DomainUnavailable, WorkbenchWidget, lazy
from workbench.widgets.browser import CaseBrowser

SHA = "a" * 64


def test_lazy_imports_only_when_called_and_names_missing_domain() -> None:
    missing = lazy("workbench.no_such_domain.module:function")
    with pytest.raises(DomainUnavailable, match="not available"):
        missing()
    assert lazy("json:dumps")([1]) == "[1]"
    with pytest.raises(DomainUnavailable, match="has no nothing"):
        lazy("json:nothing")()


def test_domain_error_becomes_a_readable_status_not_a_traceback() -> None:
    widget = WorkbenchWidget()

    def fails() -> None:
        raise WorkbenchError("the registry is empty; import records first")

    assert widget.call(fails) is None
    assert widget.error == "the registry is empty; import records first"
    assert "import records first" in widget.status.value
    assert "Traceback" not in widget.status.value
    assert widget.busy is False
    assert widget.call(lambda: 3) == 3 and widget.error == ""


def test_snapshot_is_added_to_the_mimebundle() -> None:
    widget = WorkbenchWidget()
    widget.message = "hello <world>"
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "hello &lt;world&gt;" in bundle["text/html"]


def _rows() -> pd.DataFrame:
    return pd.DataFrame([{"sha256": SHA, "kind": "image", "captured_at": "2020-01-02T03:04:05",
                          "lat": 1.0, "lon": 2.0, "paths": ["/x/a.jpg"], "width": 10,
                          "height": 10, "best_score": 0.9, "hash_hit": True, "hits": 2}])


def test_browser_passes_filters_to_the_query_and_renders_rows() -> None:
    seen = []

    def query(case, filters):
        seen.append(filters)
        return _rows()

    browser = CaseBrowser("CASE", query=query, thumbnail=lambda *a, **k: b"", page_size=10)
    assert browser.count == 1 and "a.jpg" in browser.table.value and "showing 1-1" in browser.message
    browser.kind.value = "image"
    browser.hash_hit.value = True
    browser.min_score.value = 0.5
    browser.date_from.value = date(2020, 1, 1)
    browser.place.value = "1.0, 2.0, 5"
    browser.apply.click()
    last = seen[-1]
    assert (last.kind, last.hash_hit_only, last.min_score) == ("image", True, 0.5)
    assert last.date_from == date(2020, 1, 1) and last.near == (1.0, 2.0, 5.0)
    assert f'data-wb-sha256="{SHA}"' in browser.snapshot_html()


def test_browser_bad_place_is_a_message() -> None:
    browser = CaseBrowser("CASE", query=lambda c, f: _rows(), show_thumbnails=False)
    browser.place.value = "somewhere nice"
    browser.apply.click()
    assert "lat, lon, radius_km" in browser.error


def test_browser_on_a_real_case_filters_and_blurs(small_case) -> None:
    browser = CaseBrowser(small_case)
    assert browser.count == 5
    assert 'data-wb-thumb="blurred"' in browser.table.value
    assert 'data-wb-thumb="revealed"' not in browser.table.value
    browser.hash_hit.value = True
    browser.apply.click()
    assert browser.count == 1
    browser.hash_hit.value = False
    browser.place.value = "43.4674, 11.8851, 1"
    browser.apply.click()
    assert browser.count == 3
    shown = set(re.findall(r'data-wb-sha256="([0-9a-f]{64})"', browser.table.value))
    assert len(shown) == 3


def test_browser_pages_through_large_results() -> None:
    rows = pd.concat([_rows()] * 7, ignore_index=True)
    browser = CaseBrowser("CASE", query=lambda c, f: rows, show_thumbnails=False, page_size=3)
    assert browser.count == 7 and "showing 1-3" in browser.message
    assert browser.prev_page.disabled and not browser.next_page.disabled
    browser.next_page.click()
    browser.next_page.click()
    assert browser.page == 2 and "showing 7-7" in browser.message and browser.next_page.disabled
    browser.next_page.click()
    assert browser.page == 2
    browser.apply.click()
    assert browser.page == 0
