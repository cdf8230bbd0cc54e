"""Synthetic, clearly fake cases for map tests, dashboard tests and the dashboard benchmark.

No real imagery: the few images written are colour gradients with a drawn shape, made
here, so blurred thumbnails have real pixels to blur. Everything else is store rows:
geotags scattered around a few centres, capture times over a month, hits of each kind,
review decisions. Every row traces to a ``synthetic`` run.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from workbench.store import hits as store_hits
from workbench.store import reviews as store_reviews
from workbench.types import Run

CENTRES = ((51.507, -0.128), (53.480, -2.242), (52.486, -1.890), (55.953, -3.188))
CRITERIA = ("minor_with_fear", "distressed_minor_with_adult", "explicit_likely_minor")
DECISIONS = ("confirmed", "dismissed", "escalated")


def _image(path: Path, seed: int) -> bytes:
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    image = Image.new("RGB", (96, 72), tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 10, 70, 60), fill=tuple(rnd.randrange(256) for _ in range(3)))
    draw.text((4, 4), f"#{seed}", fill=(255, 255, 255))
    image.save(path, format="JPEG", quality=85)
    return path.read_bytes()


def populate_synthetic_case(
    case: Any, n_items: int = 200, hit_rate: float = 0.1, geotag_rate: float = 0.8,
    n_images: int = 20, seed: int = 7,
) -> dict[str, int]:
    """Fill an empty case with synthetic evidence, hits and reviews; return what was added.

    Args:
        case: an open, empty :class:`workbench.store.Case`.
        n_items: evidence rows.
        hit_rate: share of items with one or more hits.
        geotag_rate: share of items with a location.
        n_images: how many of the first items get a real (generated) image file under
            ``case.path / "synthetic_media"``, so thumbnails can be made.
        seed: random seed (same seed, same case).
    """
    rnd = random.Random(seed)
    media = case.path / "synthetic_media"
    media.mkdir(exist_ok=True)
    run = Run.start("synthetic", params={"n_items": n_items, "seed": seed})
    with case.recording(run) as rec:
        start = datetime(2024, 3, 1, tzinfo=UTC)
        counts = {"evidence": 0, "geotagged": 0, "hits": 0, "flagged": 0, "reviews": 0}
        hit_rows: list[tuple[Any, ...]] = []
        review_rows: list[tuple[Any, ...]] = []
        with case.transaction():
            for i in range(n_items):
                if i < n_images:
                    path = media / f"img_{i:05d}.jpg"
                    sha = hashlib.sha256(_image(path, seed * 100_000 + i)).hexdigest()
                else:
                    path = media / f"missing_{i:05d}.jpg"  # a row only; no file behind it
                    sha = hashlib.sha256(f"synthetic-{seed}-{i}".encode()).hexdigest()
                record: dict[str, Any] = {
                    "id": sha, "kind": "image", "format": "JPEG", "width": 96, "height": 72,
                    "captured_at": (start + timedelta(minutes=rnd.randrange(60 * 24 * 30)))
                    .isoformat(),
                    "metadata": {"synthetic": True},
                }
                if rnd.random() < geotag_rate:
                    lat, lon = rnd.choice(CENTRES)
                    record["lat"] = round(lat + rnd.gauss(0, 0.05), 6)
                    record["lon"] = round(lon + rnd.gauss(0, 0.08), 6)
                    counts["geotagged"] += 1
                case.add_evidence(record, str(path), run_id=run.id)
                counts["evidence"] += 1
                if rnd.random() >= hit_rate:
                    continue
                counts["flagged"] += 1
                for n in range(rnd.choice((1, 1, 2))):
                    kind = rnd.choice(("criterion", "criterion", "hash", "registry"))
                    source = {"criterion": rnd.choice(CRITERIA), "hash": "vics-demo-list",
                              "registry": "missing-registry"}[kind]
                    score = round(rnd.uniform(0.3, 1.0), 3)
                    hit_rows.append((f"{sha[:16]}-{n}", sha, kind, source, score,
                                     json.dumps([{"name": "synthetic", "value": score,
                                                  "fired": True, "detail": ""}]),
                                     run.id, run.started_at.isoformat()))
                    counts["hits"] += 1
                if rnd.random() < 0.4:
                    review_rows.append((f"{sha}:synthetic", sha, rnd.choice(DECISIONS), "",
                                        "synthetic", start.isoformat(), sha))
                    counts["reviews"] += 1
            store_hits.add_rows(case, hit_rows)
            store_reviews.add_decisions(case, review_rows)
        rec.summary.update(counts)
    return counts


def synthetic_schools(n: int = 3, seed: int = 7) -> list[dict[str, Any]]:
    """Plain school records as the uniform search hands them over."""
    rnd = random.Random(seed)
    return [{"name": f"Synthetic School {i + 1}", "lat": round(lat + rnd.gauss(0, 0.02), 6),
             "lon": round(lon + rnd.gauss(0, 0.02), 6), "score": round(0.9 - 0.2 * i, 2),
             "explanation": "navy blazer, striped tie (synthetic)"}
            for i, (lat, lon) in enumerate(CENTRES[:n])]


def synthetic_last_seen(n: int = 2, seed: int = 7) -> list[dict[str, Any]]:
    """Plain last-seen records as the missing-persons lookup hands them over."""
    rnd = random.Random(seed + 1)
    return [{"name": f"Synthetic Person {i + 1}", "lat": round(lat + rnd.gauss(0, 0.03), 6),
             "lon": round(lon + rnd.gauss(0, 0.03), 6), "score": round(0.8 - 0.1 * i, 2),
             "explanation": "last seen near a bus station (synthetic)"}
            for i, (lat, lon) in enumerate(CENTRES[1:n + 1])]
