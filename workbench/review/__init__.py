"""The review queue: ranked, explained items for a person to confirm, dismiss or escalate.

Scores order the work; they never act on their own.
"""

from workbench.media import ThumbnailError, thumbnail
from workbench.review.queue import (
    DECISIONS,
    ImageGroup,
    QueueItem,
    ReviewError,
    decide,
    evidence_fingerprints,
    find_item,
    queue_frame,
    queue_groups,
    queue_items,
    reviewed_hits,
)
from workbench.review.thumbs import ReviewSession

__all__ = [
    "DECISIONS", "ImageGroup", "QueueItem", "ReviewError", "ReviewSession", "ThumbnailError",
    "decide", "evidence_fingerprints", "find_item", "queue_frame", "queue_groups",
    "queue_items", "reviewed_hits", "thumbnail",
]
