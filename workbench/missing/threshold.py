"""The verification threshold a registry candidate must reach.

The face engine calibrates its own threshold (``workbench/faces/calibration.json``, read
through ``workbench.faces.verify``). This module turns it into a cosine-similarity cut
for L2-normalised embeddings, where ``cosine = 1 - d**2 / 2`` for Euclidean distance
``d``. Without a calibration it falls back to dlib's published 0.6 Euclidean distance and
says so in ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass

DLIB_DISTANCE = 0.6


def cosine_from_distance(distance: float) -> float:
    """Cosine similarity of unit vectors ``distance`` apart (Euclidean)."""
    return 1.0 - distance * distance / 2.0


@dataclass(frozen=True)
class Threshold:
    """A cosine-similarity cut and where it came from."""

    similarity: float
    source: str

    def decide(self, similarity: float) -> bool:
        """Verified when the similarity reaches the cut."""
        return bool(similarity >= self.similarity)


def default_threshold(embedding_key: str | None = None, far: float | None = None
                      ) -> Threshold:
    """The face engine's calibrated threshold, or dlib's 0.6 when none applies.

    Args:
        embedding_key: the key of the embeddings compared (checked against the calibration).
        far: a calibrated false-match rate other than the calibration's default.
    """
    reason = "no calibration found"
    try:
        from workbench.faces import verify
    except ImportError:
        verify = None
    if verify is not None:
        try:
            similarity, used = verify.threshold_for(far, embedding_key)
        except verify.CalibrationError as error:
            reason = str(error).split(";")[0]
        else:
            return Threshold(float(similarity),
                             f"calibrated: false-match rate {used:g} measured on LFW")
    return Threshold(cosine_from_distance(DLIB_DISTANCE),
                     f"dlib default: Euclidean {DLIB_DISTANCE} ({reason})")
