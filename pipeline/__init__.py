"""session-themes: session reports to evidence of who said what about which theme."""

from pipeline.jit_cache import use_persistent_jit_cache
from pipeline.memory_pages import use_small_pages
from pipeline.offline import force_offline

# Before anything imports huggingface_hub, transformers or sentence-transformers:
# their offline switches are read at import time (see pipeline/offline.py).
force_offline()
# Before numba is imported: UMAP's and PyNNDescent's compiled code is kept between runs.
use_persistent_jit_cache()
# Before numpy is imported: large arrays on ordinary pages (see pipeline/memory_pages.py).
use_small_pages()

__version__ = "0.1.0"
