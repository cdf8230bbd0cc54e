"""``workbench review``: list the review queue or record a decision on one item."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    review = subparsers.add_parser(
        "review", help="list the review queue, or decide an item",
        description="Items at or above the threshold, by score, grouped by image. A score "
        "orders work; only a person's decision changes an item.")
    review.add_argument("case_dir")
    review.add_argument("--json", action="store_true", help="JSON lines, one item a line")
    review.add_argument("--threshold", type=float,
                        help="list from this score (default: the case's, 0.3 unless changed)")
    review.add_argument("--pending", action="store_true", help="only items not yet decided")
    review.add_argument("--decide", metavar="ITEM", help="item key (or a unique prefix)")
    review.add_argument("--decision", choices=["confirm", "dismiss", "escalate"])
    review.add_argument("--note", default="", help="why (required to escalate)")
    review.add_argument("--change", action="store_true",
                        help="replace a decision already recorded on the item (without it, "
                        "an item someone has decided is refused, naming who and when)")
    review.set_defaults(handler=_review)


def _review(args: argparse.Namespace) -> int:
    from workbench.cli._output import print_json_lines, print_table
    from workbench.review import ReviewError, decide, find_item, queue_items
    from workbench.store import Case

    with Case.open(args.case_dir) as case:
        if args.decide:
            if not args.decision:
                raise ReviewError("--decide needs --decision confirm|dismiss|escalate")
            current = find_item(case, args.decide)
            if current.decided_at and not args.change:
                raise ReviewError(
                    f"{current.item[:12]} is already {current.status} by "
                    f"{current.decided_by} at {current.decided_at}; look at it again "
                    "(`workbench review CASE --json`), then add --change to replace it")
            # The item as read here: a decision recorded by someone else in between is
            # refused by the store instead of being overwritten.
            item = decide(case, current.item, args.decision, note=args.note,
                          shown=current.review)
            print(f"{item.item}: {item.status} by {item.decided_by} at {item.decided_at}")
            return 0
        items = queue_items(case, args.threshold, include_decided=not args.pending)
    if args.json:
        print_json_lines(i.as_dict() for i in items)
        return 0
    rows = [{"item": i.item[:10], "image": i.evidence_id[:10], "rule": i.rule,
             "score": f"{i.score:.2f}", "status": i.status,
             "age": "" if i.age is None else f"{i.age:.0f}±{i.age_std or 0:.0f}",
             "why": i.explanation} for i in items]
    print_table(rows, ["item", "image", "rule", "score", "status", "age", "why"])
    return 0
