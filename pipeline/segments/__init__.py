"""The `segments` stage: each report cut into its agenda, contiguous parts with a theme and speakers.

`segment_sequence` (one report's statement vectors in turn order -> segment
numbers) is the algorithmic core; `build_segments` turns a corpus's statements,
vectors and themes into the stage's tables; `cli.py` reads and writes.
"""

from pipeline.segments.params import SegmentsParams
from pipeline.segments.sequence import segment_sequence

__all__ = ["SegmentsParams", "segment_sequence"]
