"""The supervisor overview: SQL aggregates match the case, the widget builds headless."""

from __future__ import annotations

import pytest

from workbench import settings
from workbench.apps import overview_data as data
from workbench.geo import assets


def test_counts_match_the_store(geo_case):
    counts = data.case_counts(geo_case)
    made = geo_case.synthetic_counts
    assert counts["items"] == made["evidence"] == 120
    assert counts["geotagged"] == made["geotagged"]
    assert counts["hits"] == made["hits"]
    assert counts["flagged items"] == made["flagged"]


def test_hits_by_criterion_and_review_status_add_up(geo_case):
    by_criterion = data.hits_by_criterion(geo_case)
    assert by_criterion.hits.sum() == geo_case.synthetic_counts["hits"]
    assert set(by_criterion.kind) <= {"criterion", "hash", "registry"}
    assert (by_criterion.best_score <= 1).all()
    status = data.review_status(geo_case)
    assert status["items"].sum() == geo_case.synthetic_counts["flagged"]
    reviewed = status[status.status != "pending"]["items"].sum()
    assert reviewed == geo_case.synthetic_counts["reviews"]


def test_timeline_counts_every_dated_item(geo_case):
    frame = data.timeline(geo_case)
    assert frame["items"].sum() == 120
    assert frame["flagged"].sum() == geo_case.synthetic_counts["flagged"]
    assert frame["day"].is_monotonic_increasing


def test_latest_review_decision_wins(new_case):
    from workbench.geo.synthetic import populate_synthetic_case

    populate_synthetic_case(new_case, n_items=30, hit_rate=1.0, n_images=0, seed=5)
    item = new_case.query("SELECT evidence_id FROM hits LIMIT 1").evidence_id[0]
    with new_case.transaction() as conn:
        conn.execute("DELETE FROM reviews WHERE evidence_id = ?", (item,))
        conn.executemany(
            "INSERT INTO reviews VALUES (?, ?, ?, '', 'tester', ?, ?)",
            [(f"{item}:a", item, "escalated", "2024-01-01T00:00:00", item),
             (f"{item}:b", item, "dismissed", "2024-02-01T00:00:00", item)])
    status = data.review_status(new_case).set_index("status")["items"]
    assert status.sum() == 30
    latest = new_case.query(
        "SELECT decision FROM reviews WHERE evidence_id = ? ORDER BY at DESC LIMIT 1", (item,))
    assert latest.decision[0] == "dismissed"


@pytest.mark.skipif(not (assets.VENDOR_DIR / assets.MANIFEST_NAME).is_file(),
                    reason="map assets not installed: run `python scripts/fetch_web_assets.py`")
def test_overview_widget_builds_headless(geo_case):
    import ipywidgets as widgets

    from workbench.apps.overview import case_overview

    layout = case_overview(geo_case, thumbnails=2)
    assert isinstance(layout, widgets.VBox)
    def html_of(widget) -> str:
        if isinstance(widget, widgets.HTML):
            return widget.value
        return "".join(html_of(c) for c in getattr(widget, "children", ()))

    html = html_of(layout)
    assert 'data-testid="counts"' in html and 'data-testid="review-status"' in html
    assert "<iframe srcdoc=" in html and "never verdicts" in html
    assert f">{geo_case.synthetic_counts['hits']}<" in html


@pytest.mark.skipif(not (assets.VENDOR_DIR / assets.MANIFEST_NAME).is_file(),
                    reason="map assets not installed: run `python scripts/fetch_web_assets.py`")
def test_dashboard_shows_tables_map_and_timeline_as_static_html(geo_case, monkeypatch):
    import IPython.display

    from workbench.apps import overview

    shown = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda obj, raw=False, metadata=None: shown.append((obj, metadata)))
    overview.show_case_overview(geo_case, thumbnails=0)
    # Three plain HTML outputs, flagged for the Voila template to write into the page:
    # no widget state, so nothing waits for the kernel's websocket.
    assert [metadata for _, metadata in shown] == [{overview.STATIC_FLAG: True}] * 3
    summary, map_part, timeline = (obj["text/html"] for obj, _ in shown)
    assert 'data-testid="counts"' in summary and "never verdicts" in summary
    assert "<iframe srcdoc=" in map_part
    assert timeline.count('class="wb-bar"') == len(overview.data.timeline(geo_case))
    assert "items," in timeline and "<script" not in timeline


def test_timeline_svg_bars_carry_each_day_and_scale_to_the_busiest(geo_case):
    from workbench.apps.overview import timeline_svg

    frame = data.timeline(geo_case)
    svg = timeline_svg(frame)
    top = int(frame["items"].max())
    assert f">{top}</text>" in svg
    first = frame.iloc[0]
    assert (f"<title>{first.day:%Y-%m-%d}: {int(first['items'])} items, "
            f"{int(first.flagged)} flagged</title>") in svg
    assert "no capture times" in timeline_svg(frame.iloc[0:0])


def test_hit_places_put_verified_matches_and_candidate_schools_on_the_map(tmp_path):
    from datetime import date
    from pathlib import Path

    from workbench.missing.backends import open_registry
    from workbench.missing.records import MissingPerson
    from workbench.schools.registry import load_registry
    from workbench.store import Case
    from workbench.types import Condition, Hit

    case = Case.init(tmp_path / "case")
    sha = "ab" * 32
    with case.transaction():
        case.add_evidence({"id": sha, "kind": "image"}, "/ev/a.jpg")
    registry = open_registry(tmp_path / "registry")
    registry.upsert(
        MissingPerson(id=f"demo:{i}", source="demo", name=f"Fictional {i}", sex="female",
                      date_last_seen=date(2024, 1, 1), place=f"Town {i}", lat=lat, lon=lon)
        for i, (lat, lon) in enumerate([(28.5, -81.4), (None, None), (27.9, -82.5)]))
    registry.close()
    source = f"registry:{tmp_path / 'registry'}"
    school = load_registry()[0]

    def match(record: str, verified: bool, score: float) -> Hit:
        return Hit(sha, "registry", source, score, face_id=f"{sha}:{record}", conditions=(
            Condition("candidate", f"demo:{record}", True),
            Condition("verified", verified, verified)))

    case.add_hits([match("0", True, 0.95), match("1", True, 0.97), match("2", False, 0.9),
                   Hit(sha, "registry", "registry:/nowhere/at/all", 0.99, face_id="x",
                       conditions=(Condition("candidate", "demo:0", True),
                                   Condition("verified", True, True))),
                   Hit(sha, "school", f"{school.id} {school.name}", 0.7)])
    schools, last_seen = data.hit_places(case)
    # Only the verified match with a known place; an unknown registry is skipped, not created.
    assert [(p["name"], p["lat"], p["score"]) for p in last_seen] == [("Fictional 0", 28.5, 0.95)]
    assert not Path("/nowhere/at/all").exists()
    assert [(p["name"], p["lat"], p["lon"]) for p in schools] == [
        (school.name, school.lat, school.lon)]
    case.close()


def test_dashboard_preheats_by_default_and_a_cold_kernel_does_not_wait(monkeypatch, tmp_path):
    import argparse
    import time

    from workbench.apps import overview, serve

    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    assert parser.parse_args(["CASE"]).preheat is True
    assert parser.parse_args(["CASE", "--no-preheat"]).preheat is False
    from workbench.auth.dashboard_server import voila_argv

    command = voila_argv({"notebook": "nb.ipynb", "port": 8866, "host": serve.HOST,
                          "template": serve.TEMPLATE, "folder": "/tmp", "cull_idle_s": 60,
                          "preheat": True})
    assert "--preheat_kernel=True" in command and "--Voila.ip=127.0.0.1" in command
    # Outside a pre-heated Voila kernel the notebook must not block, nor signal readiness.
    ready = tmp_path / "ready"
    monkeypatch.delenv(overview.VOILA_PREHEAT_ENV, raising=False)
    monkeypatch.setenv(settings.DASHBOARD_READY, str(ready))
    start = time.perf_counter()
    overview.wait_for_visit()
    assert time.perf_counter() - start < 0.5 and not ready.exists()


def test_school_hits_are_one_row_of_the_criteria_table(new_case):
    from workbench.types import Hit

    sha = "ab" * 32
    with new_case.transaction():
        new_case.add_evidence({"id": sha, "kind": "image"}, "/ev/school.jpg")
    new_case.add_hits([Hit(sha, "school", f"{i} School {i}", 1.0 / (i + 1), face_id=f"{sha}:0")
                       for i in range(5)] + [Hit(sha, "criterion", "known_hash", 0.8)])
    table = data.hits_by_criterion(new_case)
    assert table.source.tolist() == ["candidate schools", "known_hash"]
    assert table.hits.tolist() == [5, 1] and table.best_score.iloc[0] == 1.0
