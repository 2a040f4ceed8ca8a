"""The `segments` stage: each report cut into its agenda, contiguous parts with a theme and speakers.

`segment_sequence` (one report's statement vectors in turn order, and who said
them -> segment numbers) is the algorithmic core; `build_segments` turns a
corpus's statements, vectors and themes into the stage's tables; `cli.py` reads
and writes.
"""

from pipeline.segments.core import Segments, build_segments
from pipeline.segments.params import SegmentsParams
from pipeline.segments.sequence import segment_sequence

__all__ = ["Segments", "SegmentsParams", "build_segments", "segment_sequence"]
