"""session-themes: session reports to evidence of who said what about which theme."""

from pipeline.offline import force_offline

# Before anything imports huggingface_hub, transformers or sentence-transformers:
# their offline switches are read at import time (see pipeline/offline.py).
force_offline()

__version__ = "0.1.0"
