"""Every file of ../shared/data/badinput: no crash, no hang, a specific reason or a recorded problem."""

from __future__ import annotations

import time
from pathlib import Path

from .helpers import ingest_quiet

# What each hostile file must become. "ok" files decode; "problem" files decode but their
# metadata is broken and must say so.
EXPECTED = {
    "pillow__bmp_b_badrle.bmp": "ok",  # Pillow's RLE decoder recovers the pixels
    "pillow__bmp_b_badwidth.bmp": "decompression_bomb",
    "pillow__broken.png": "corrupt_header",
    "pillow__broken_data_stream.png": "corrupt_data",
    "pillow__decompression_bomb.gif": "decompression_bomb",
    "pillow__decompression_bomb.ico": "decompression_bomb",
    "pillow__decompression_bomb_extents.gif": "decompression_bomb",
    "pillow__empty_gps_ifd.jpg": "problem",
    "pillow__exif-dpi-zerodivision.jpg": "problem",
    "pillow__hopper_bad_exif.jpg": "problem",
    "pillow__invalid-exif.jpg": "problem",
    "pillow__negative_size.ppm": "invalid_dimensions",
    "pillow__png_decompression_dos.png": "decompression_bomb",
    "pillow__sugarshack_bad_mpo_header.jpg": "problem",
    "pillow__truncated_app14.jpg": "problem",
    "pillow__truncated_end_chunk.png": "truncated",
    "pillow__truncated_image.png": "truncated",
    "pillow__truncated_jpeg.jpg": "truncated",
    "pillow__zero_width.gif": "invalid_dimensions",
    "pngsuite__xc1n0g08.png": "corrupt_header",
    "pngsuite__xcrn0g04.png": "corrupt_header",
    "pngsuite__xcsn0g01.png": "corrupt_data",
    "pngsuite__xhdn0g08.png": "corrupt_header",
    "pngsuite__xlfn0g04.png": "corrupt_header",
    "pngsuite__xs1n0g01.png": "corrupt_header",
    "pngsuite__xs7n0g01.png": "corrupt_header",
}


def test_every_bad_file_is_handled(shared_data: Path, new_case) -> None:
    folder = shared_data / "badinput"
    images = sorted(p.name for p in folder.iterdir() if p.suffix not in (".md", ".csv"))
    assert sorted(EXPECTED) == images, "a new file in badinput needs an expectation here"
    started = time.monotonic()
    ingest_quiet(new_case, [folder])
    assert time.monotonic() - started < 60, "bad input must not hang the ingest"

    quarantine = {Path(p).name: r for p, r in zip(new_case.quarantined()["path"],
                                                   new_case.quarantined()["reason"], strict=True)}
    evidence = {Path(p).name: row for row in new_case.evidence().to_dict(orient="records")
                for p in row["paths"]}
    for name, expected in EXPECTED.items():
        if expected == "ok":
            assert evidence[name]["status"] == "ok", name
        elif expected == "problem":
            assert evidence[name]["status"] == "metadata_problem", name
            assert evidence[name]["problems"], name
            assert evidence[name]["pdq"] and evidence[name]["width"] > 0
        else:
            assert quarantine.get(name) == expected, (name, quarantine.get(name))
    # the README and the CSV are not media: quarantined as such, never silently dropped
    assert quarantine["README.md"] == "unsupported_format"
