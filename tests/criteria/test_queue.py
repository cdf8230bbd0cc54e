"""Scoring a stored case, the review queue's order and grouping, decisions, audit, CLI."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.criteria import get_threshold, load_rules, parse_rules, score_case, set_threshold
from workbench.criteria.explicit import Detection
from workbench.criteria.signals import signals_from_detections
from workbench.criteria.synthetic import fake_evidence_id
from workbench.review import ReviewError, decide, find_item, queue_groups, queue_items
from workbench.store.signals import write_signals

from .helpers import add_faces, add_hash_hit, add_image, face, set_face


def first_face_item(case):
    return [i for i in queue_items(case) if i.face_id][0]


@pytest.fixture()
def case(new_case):
    """Four images: a child with an adult, a child alone, a listed file, a calm adult."""
    for label in ("pair", "alone", "listed", "calm"):
        add_image(new_case, label)
    add_faces(new_case, "pair", [face(9, 2, "fear"), face(44, 4)])
    add_faces(new_case, "alone", [face(15, 5, "sad", strength=0.6)])
    add_faces(new_case, "calm", [face(35, 3, "happy")])
    add_hash_hit(new_case, "listed")
    return new_case


def test_score_case_stores_hits_run_and_rules_copy(case):
    result = score_case(case)
    rules = load_rules()
    assert result.rules_version == rules.version_id
    assert result.faces == 4 and result.images == 4
    assert result.without_explicit_scan == 4
    assert result.by_rule == {"minor_distress": 2, "minor_distress_with_adult": 1,
                              "known_hash": 1}
    copy = case.path / "criteria" / f"rules-{rules.version}-{rules.sha256[:12]}.yaml"
    assert copy.read_text() == rules.text
    run = case.run(result.run_id)
    assert run.kind == "score" and run.models["rules"] == rules.version_id
    assert run.params["rules_copy"] == f"criteria/{copy.name}"
    stored = case.hits("criterion")
    assert len(stored) == 4 and set(stored["run_id"]) == {result.run_id}
    assert case.runs().set_index("id").loc[result.run_id, "status"] == "done"


def test_rescoring_replaces_criterion_hits_and_keeps_other_hits(case):
    score_case(case)
    score_case(case)
    assert len(case.hits("criterion")) == 4
    assert len(case.hits("hash")) == 1


def test_queue_is_in_score_order_grouped_by_image(case):
    score_case(case)
    items = queue_items(case)
    groups = queue_groups(case)
    assert [g.evidence_id for g in groups] == [fake_evidence_id(x)
                                               for x in ("listed", "pair", "alone")]
    assert [g.score for g in groups] == sorted((g.score for g in groups), reverse=True)
    pair = groups[1].items
    assert [i.rule for i in pair] == ["minor_distress_with_adult", "minor_distress"]
    assert [i.item for i in items] == [i.item for g in groups for i in g.items]
    assert items[0].rule == "known_hash" and items[0].age is None
    first = items[1]
    assert first.status == "pending" and first.age == pytest.approx(9) and first.age_std == 2
    assert first.p_minor > 0.99
    assert "adult in the same image = 1" in first.explanation


def test_threshold_is_editable_and_audited(case):
    score_case(case)
    assert get_threshold(case) == 0.3
    everything = len(queue_items(case))
    set_threshold(case, 0.75, who="supervisor")
    assert get_threshold(case) == 0.75
    high = queue_items(case)
    assert 0 < len(high) < everything and all(i.score >= 0.75 for i in high)
    log = case.audit_log()
    row = log[log["action"] == "review.threshold"].iloc[-1]
    assert row["who"] == "supervisor" and json.loads(row["detail"]) == {"from": 0.3, "to": 0.75}
    with pytest.raises(Exception, match="between 0 and 1"):
        set_threshold(case, 3)


def test_decisions_persist_across_rescoring_and_rule_edits(case, tmp_path):
    score_case(case)
    target = first_face_item(case)
    decided = decide(case, target.item, "confirm", note="child visible", who="analyst-a")
    assert decided.status == "confirmed" and decided.decided_by == "analyst-a"
    edited = tmp_path / "rules.yaml"
    edited.write_text(load_rules().text.replace("version: 2", "version: 3")
                      .replace("base: 0.3", "base: 0.25"))
    result = score_case(case, rules=edited)
    assert result.rules_version.startswith("3+")
    again = find_item(case, target.item)
    assert again.status == "confirmed" and again.note == "child visible"
    assert again.score != target.score   # re-scored, still decided


def test_changed_evidence_reopens_a_decision(case):
    score_case(case)
    target = first_face_item(case)
    decide(case, target.item, "dismiss", note="toy", who="analyst-a")
    set_face(case, target.face_id, age=7.5)          # the face was re-analysed
    score_case(case)
    reopened = find_item(case, target.item)
    assert reopened.status == "pending"
    assert reopened.outdated_decision.startswith("dismiss by analyst-a")
    # Other images' decisions are untouched by that change.
    other = [i for i in queue_items(case) if i.evidence_id == fake_evidence_id("listed")][0]
    decide(case, other.item, "escalate", note="known series, tell CEOP", who="b")
    write_signals(case, signals_from_detections({fake_evidence_id("alone"): [
        Detection("FACE_FEMALE", 0.9, (0, 0, 10, 10))]}), run_id=None)
    assert find_item(case, other.item).status == "escalated"


def test_decisions_are_audited_and_validated(case):
    score_case(case)
    item = queue_items(case)[0]
    with pytest.raises(ReviewError, match="decision must be one of"):
        decide(case, item.item, "delete")
    with pytest.raises(ReviewError, match="needs a note"):
        decide(case, item.item, "escalate")
    with pytest.raises(ReviewError, match="no review items match"):
        decide(case, "ffffffffff", "confirm")
    decide(case, item.item[:8], "confirm", note="seen", who="analyst-a")
    decide(case, item.item, "dismiss", note="second look", who="analyst-b")
    log = case.audit_log()
    rows = log[(log["action"] == "review.decide") & (log["target"] == item.item)]
    assert list(rows["who"]) == ["analyst-a", "analyst-b"]
    last = json.loads(rows.iloc[-1]["detail"])
    assert last["decision"] == "dismiss" and last["previous"]["who"] == "analyst-a"
    assert last["rule"] == item.rule and last["evidence_sha"] == item.evidence_sha
    assert all(rows["at"])


def test_explicit_signal_puts_the_image_first(case):
    write_signals(case, signals_from_detections({
        fake_evidence_id("alone"): [Detection("BUTTOCKS_EXPOSED", 0.7, (0, 0, 50, 50)),
                                    Detection("FACE_FEMALE", 0.9, (0, 0, 10, 10))],
        fake_evidence_id("calm"): [Detection("FEMALE_BREAST_COVERED", 0.8, (0, 0, 9, 9))],
    }), run_id=None)
    score_case(case)
    top = queue_groups(case)[0]
    assert top.evidence_id == fake_evidence_id("alone")
    assert top.items[0].rule == "explicit_with_minor"
    signal = [c for c in top.items[0].conditions if c["name"] == "explicit-content score"][0]
    assert signal["value"] == pytest.approx(0.7)


def test_cli_score_and_review(case, capsys):
    assert main(["score", str(case.path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["hits"] == 4 and result["queued"] == 4
    assert main(["review", str(case.path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["score"] for r in rows][:1] == [max(r["score"] for r in rows)]
    assert {"item", "score", "rule", "conditions", "status", "age_std"} <= set(rows[0])
    item = rows[0]["item"]
    assert main(["review", str(case.path), "--decide", item, "--decision", "confirm",
                 "--note", "checked"]) == 0
    assert "confirmed" in capsys.readouterr().out
    # A decided item is not silently replaced: the CLI names who decided and when.
    assert main(["review", str(case.path), "--decide", item, "--decision", "dismiss"]) == 2
    assert "already confirmed by" in capsys.readouterr().err
    assert main(["review", str(case.path), "--decide", item, "--decision", "confirm",
                 "--note", "checked twice", "--change"]) == 0
    assert "confirmed" in capsys.readouterr().out
    assert main(["review", str(case.path), "--json", "--pending"]) == 0
    pending = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert item not in {r["item"] for r in pending} and len(pending) == len(rows) - 1
    assert main(["score", str(case.path), "--threshold", "0.75"]) == 0
    assert "at or above 0.75" in capsys.readouterr().out


def test_cli_bad_rules_file_is_reported(case, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules:\n  - name: x\n    description: y\n    conditions: []\n")
    assert main(["score", str(case.path), "--rules", str(bad)]) == 2
    assert "non-empty list of 'conditions'" in capsys.readouterr().err


def test_custom_rules_from_text(case):
    rules = parse_rules("""
version: local-3
rules:
  - name: any_child
    description: any face probably under 13
    conditions: [{attr: age, op: "<", value: 13, weight: 0.5}]
""")
    result = score_case(case, rules=rules)
    assert result.by_rule == {"any_child": 1}
    assert (case.path / "criteria" / f"rules-local-3-{rules.sha256[:12]}.yaml").exists()


def test_registry_hits_from_the_missing_person_lookup_reach_the_queue(case):
    from workbench.types import Condition, Hit

    calm_face = f"{fake_evidence_id('calm')}:0"
    case.add_hits([Hit(evidence_id=fake_evidence_id("calm"), kind="registry",
                       source="registry:local", score=0.91, face_id=calm_face,
                       conditions=(Condition("similarity", 0.91, True, "cosine"),))])
    score_case(case)
    (item,) = [i for i in queue_items(case) if i.rule == "missing_person_match"]
    assert item.face_id == calm_face and item.score == pytest.approx(0.4 + 0.5 * 0.91)
    assert item.age == pytest.approx(35)
    assert "registry:local" in item.conditions[0]["detail"]


def test_scoring_never_decides_anything(case):
    score_case(case)
    score_case(case, threshold=0.0)
    assert case.db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 0
    assert {i.status for i in queue_items(case)} == {"pending"}
    assert not case.audit_log()["action"].str.startswith("review.decide").any()


def test_a_case_without_faces_still_scores_image_rules(new_case):
    add_image(new_case, "listed")
    add_image(new_case, "other")
    add_hash_hit(new_case, "listed")
    result = score_case(new_case)
    assert result.faces == 0 and result.by_rule == {"known_hash": 1}
    assert [i.rule for i in queue_items(new_case)] == ["known_hash"]


def test_a_rules_file_with_a_typo_changes_nothing_in_the_case(case, tmp_path, capsys):
    score_case(case)
    before = len(queue_items(case))
    hits_before = case.hits("criterion")["id"].tolist()
    bad = tmp_path / "typo.yaml"
    bad.write_text(load_rules().text.replace("attr: p_minor", "attr: p_minr", 1))
    code = main(["score", str(case.path), "--rules", str(bad)])
    assert code != 0
    assert "unknown face attribute 'p_minr'" in capsys.readouterr().err
    assert before > 0 and len(queue_items(case)) == before
    assert case.hits("criterion")["id"].tolist() == hits_before


def test_reviewed_hits_carry_the_review_status(case):
    from workbench.review import reviewed_hits

    score_case(case)
    target = first_face_item(case)
    assert {h.status for h in reviewed_hits(case)} == {"pending"}
    decide(case, target.item, "confirm", note="child visible", who="analyst-a")
    hits = reviewed_hits(case)
    assert len(hits) == len(queue_items(case))
    mine = [h for h in hits if h.face_id == target.face_id and h.source == target.rule]
    assert [h.status for h in mine] == ["confirmed"]
    assert mine[0].score == target.score and mine[0].explain() == target.explanation
    assert sum(h.status == "pending" for h in hits) == len(hits) - 1
