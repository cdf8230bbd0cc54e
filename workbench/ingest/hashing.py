"""File hashes (SHA-256, MD5, SHA-1 in one pass) and the PDQ perceptual hash.

PDQ hex strings follow ThreatExchange's ``Hash256`` text form (64 hex digits, most
significant word first), so they compare with PDQ values from other tools.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image as PILImage

CHUNK = 1 << 20
# PDQ downsamples to 64x64 itself; feeding it ~512 px keeps quality identical in practice
# and makes hashing a 24 MP photo ~50x cheaper.
PDQ_INPUT_SIDE = 512
# ThreatExchange thresholds: a match needs distance <= 31 and quality >= 50.
PDQ_MATCH_DISTANCE = 31
PDQ_MIN_QUALITY = 50


def file_hashes_bytes(data: bytes) -> dict[str, str]:
    """SHA-256, MD5 and SHA-1 of bytes already in memory."""
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha1": hashlib.sha1(data, usedforsecurity=False).hexdigest(),
    }


def file_hashes_stream(chunks: Iterable[bytes]) -> tuple[dict[str, str], int]:
    """SHA-256, MD5 and SHA-1 of a stream of chunks, in one pass; also the byte count."""
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    sha1 = hashlib.sha1(usedforsecurity=False)
    total = 0
    for chunk in chunks:
        sha256.update(chunk)
        md5.update(chunk)
        sha1.update(chunk)
        total += len(chunk)
    return {"sha256": sha256.hexdigest(), "md5": md5.hexdigest(), "sha1": sha1.hexdigest()}, total


def file_hashes(path: str | os.PathLike[str]) -> tuple[dict[str, str], int]:
    """Stream a file once (read-only) and return its three hashes and size."""
    def chunks() -> Iterable[bytes]:
        with open(path, "rb") as handle:
            while block := handle.read(CHUNK):
                yield block

    return file_hashes_stream(chunks())


def pdq_of_rgb(rgb: np.ndarray) -> tuple[str, int]:
    """PDQ hash (64 hex digits) and quality (0-100) of an RGB ``uint8`` array."""
    import pdqhash

    vector, quality = pdqhash.compute(np.ascontiguousarray(rgb, dtype=np.uint8))
    return pdq_bits_to_hex(np.asarray(vector)), int(quality)


def pdq_of_image(image: PILImage.Image) -> tuple[str, int]:
    """PDQ of an upright RGB PIL image, downscaled first (see ``PDQ_INPUT_SIDE``)."""
    from workbench.ingest.images import shrink

    small = shrink(image, PDQ_INPUT_SIDE)
    return pdq_of_rgb(np.asarray(small.convert("RGB")))


def pdq_bits_to_hex(bits: np.ndarray) -> str:
    """256 bits (most significant first, as pdqhash returns them) to 64 hex digits."""
    return np.packbits(bits.astype(np.uint8).reshape(-1)).tobytes().hex()


def pdq_hex_to_bytes(value: str) -> bytes:
    """64 hex digits to 32 bytes; raises ValueError on anything else."""
    value = value.strip().lower()
    if len(value) != 64:
        raise ValueError(f"a PDQ hash has 64 hex digits, got {len(value)}")
    return bytes.fromhex(value)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def pdq_distances(query: str, table: np.ndarray) -> np.ndarray:
    """Hamming distances from one PDQ hex to each row of an ``(n, 32)`` ``uint8`` table."""
    if table.size == 0:
        return np.empty(0, dtype=np.int32)
    q = np.frombuffer(pdq_hex_to_bytes(query), dtype=np.uint8)
    return _POPCOUNT[np.bitwise_xor(table, q)].sum(axis=1, dtype=np.int32)


def pdq_distance(a: str, b: str) -> int:
    """Hamming distance between two PDQ hex strings (0-256)."""
    table = np.frombuffer(pdq_hex_to_bytes(b), dtype=np.uint8).reshape(1, 32)
    return int(pdq_distances(a, table)[0])
