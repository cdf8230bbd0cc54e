"""Uniform inspector, school search, map view, timeline and job progress, headless."""

from __future__ import annotations

import pandas as pd

from workbench.errors import WorkbenchError
from workbench.widgets.geo import MapView, Timeline, timeline_svg
from workbench.widgets.progress import JobProgress
from workbench.widgets.uniforms import SchoolSearch, UniformInspector, parse_value

SHA = "3" * 64
PEOPLE = [{"face_id": "f1", "evidence_id": SHA, "uniform_score": 0.8, "items": {
    "tie": {"present": True, "confidence": 0.7, "colours": ["navy", "red"], "pattern": "striped"},
    "blazer": {"present": None, "confidence": 0.5, "colours": [], "pattern": None}}}]


def test_parse_value() -> None:
    assert parse_value("present", "Yes") is True
    assert parse_value("colours", "navy, white ") == ["navy", "white"]
    assert parse_value("pattern", "") is None


def test_inspector_correction_flows_into_the_school_query() -> None:
    corrections = []
    inspector = UniformInspector("CASE", load=lambda c: PEOPLE,
                                 correct=lambda *a, **k: corrections.append((*a[1:], k)))
    assert inspector.person == "f1" and "striped" in inspector.table.value
    assert set(inspector.query()) == {"tie"}  # the blazer was not visible
    inspector.item.value = "tie"
    inspector.field.value = "colours"
    inspector.value.value = "green, gold"
    inspector.correct_button.click()
    assert corrections == [("f1", "tie", {"colours": ["green", "gold"]})]
    assert inspector.corrections == 1 and inspector.query()["tie"]["colours"] == ["green", "gold"]
    seen = []

    def search(case, face_id, near=None, k=10):
        seen.append((face_id, near, k))
        return pd.DataFrame([{"rank": 1, "name": "Green Gold High", "score": 0.62,
                              "reasons": "tie colours match"}])

    schools = SchoolSearch("CASE", face=lambda: inspector.person, search=search, k=5)
    schools.near.value = "27.9, -82.5, 30"
    schools.search_button.click()
    assert seen[0][0] == "f1"
    assert seen[0][1] == (27.9, -82.5, 30.0) and seen[0][2] == 5
    assert schools.results_count == 1 and "Green Gold High" in schools.table.value
    assert "not an identification" in schools.message


def test_school_search_without_query_says_what_to_do() -> None:
    schools = SchoolSearch("CASE", face=str, search=lambda *a, **k: [])
    schools.search_button.click()
    assert "choose a person" in schools.error


def test_map_view_embeds_the_document_in_an_iframe() -> None:
    view = MapView("CASE", build_map=lambda c: "<html><body><div id='m'>map & co</div></body>"
                   "</html>")
    assert view.rendered and 'srcdoc="&lt;html&gt;' in view.frame.value
    assert "map &amp; co" in view.frame.value
    failing = MapView("CASE", build_map=lambda c: (_ for _ in ()).throw(
        WorkbenchError("web assets missing: run workbench geo install-assets")))
    assert not failing.rendered and "install-assets" in failing.error


def test_map_view_with_a_real_folium_map() -> None:
    import folium

    view = MapView("CASE", build_map=lambda c: folium.Map(location=(0, 0), tiles=None))
    assert view.rendered and "leaflet" in view.frame.value.lower()


def test_timeline_figure_and_static_svg(small_case) -> None:
    timeline = Timeline(small_case)
    assert timeline.events_count == 3
    assert len(timeline.figure.data[0].x) == 3
    svg = timeline_svg(timeline.events)
    assert svg.startswith("<svg") and "2008-10-22" in svg
    assert "<svg" in timeline.snapshot_html()
    assert "No dated items" in timeline_svg(pd.DataFrame())


def test_job_progress_runs_the_job_and_reports() -> None:
    def job(progress):
        for i in range(1, 5):
            progress(i, 4, "files")
        return "ok"

    widget = JobProgress(job, label="Ingest")
    widget.start_button.click()
    assert widget.result == "ok" and widget.finished and not widget.running
    assert (widget.done, widget.total, widget.bar.value, widget.bar.max) == (4, 4, 4, 4)
    assert widget.bar.bar_style == "success" and "4/4 files" in widget.text.value

    def broken(progress):
        raise WorkbenchError("disk full; free space in the case folder")

    failed = JobProgress(broken)
    failed.start_button.click()
    assert not failed.finished and failed.bar.bar_style == "danger" and "disk full" in failed.error


def test_uniforms_and_schools_on_the_real_domains(small_case) -> None:
    inspector = UniformInspector(small_case)
    assert len(inspector.people) == 1 and inspector.person.endswith(":0")
    assert "striped" in inspector.table.value
    inspector.item.value = "tie"
    inspector.field.value = "colours"
    inspector.value.value = "green, yellow"
    inspector.correct_button.click()
    assert inspector.error == "" and inspector.corrections == 1
    assert (small_case.audit_log()["action"] == "uniforms.correct").any()
    inspector.value.value = "chartreuse-ish"
    inspector.correct_button.click()
    assert "unknown colours" in inspector.error  # the domain's message, shown as text
    schools = SchoolSearch(small_case, face=lambda: inspector.person, k=3)
    schools.search_button.click()
    assert schools.error == "" and schools.results_count == 3
    assert list(schools.results["rank"]) == [1, 2, 3]
    assert (small_case.runs()["kind"] == "school_search").any()
