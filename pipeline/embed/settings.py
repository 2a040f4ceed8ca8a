"""The `embed` section of params.yaml, as frozen dataclasses.

Everything here that changes the vectors is part of the vector cache's key
(`EmbedParams.vector_settings`). The thread count and the shape of a forward pass (texts
per batch) change them by float noise only (~1e-7: a matrix product summed in another
order), but that noise is enough to change the topic tables downstream, so a cached vector
is reused only under the same thread count and batch limits. Where the texts are encoded
(`engine`) does not change them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.embed.model import DEFAULT_MODEL

LONG_TEXT_STRATEGIES = ("windows", "truncate")
# Each forward pass holds at least this many word pieces (texts x length): below about 16
# the CPU matrix kernels take another path and a text's vector changes in its last bits
# (measured: a 3-piece text alone, or a 15-piece text alone, differs from the same text in
# a larger batch). Short batches are filled with copies of their first text (encode.py).
MIN_BATCH_TOKENS = 64
BACKENDS = ("torch", "onnx")
# float32: the model as trained; bfloat16: the torch backend's matrix products in bfloat16
# (CPU autocast), measured 1.9-2.5x faster per word piece on this machine (AMX, passes of 2048
# word pieces) with every cosine to float32 >= 0.999 (README, Stage: embed). Slow on CPUs
# without native bfloat16 (the stage warns).
# auto: bfloat16 with the torch backend on a CPU with native bfloat16, else float32; resolved when
# the params are read, so the cache key, the workers of a cluster and embedding_model.json see
# the precision that made the vectors.
PRECISIONS = ("float32", "bfloat16")
AUTO_PRECISION = "auto"
ENGINES = ("local", "dask")


def resolve_auto_precision(backend: str) -> str:
    """What `precision: auto` means on this machine for `backend`."""
    from pipeline.embed.model import native_bfloat16

    return "bfloat16" if backend == "torch" and native_bfloat16() else "float32"


@dataclass(frozen=True)
class LongTextParams:
    """What to do with statements longer than the model reads (256 word pieces for the default)."""

    # windows: split into overlapping windows of word pieces, average the window vectors;
    # truncate: the model reads the first word pieces only (a warning lists the statements)
    strategy: str = "windows"
    # word pieces per window, without the 2 special tokens; capped to what the model reads
    window_tokens: int = 254
    # word pieces shared by two neighbouring windows
    overlap_tokens: int = 32

    def __post_init__(self) -> None:
        if self.strategy not in LONG_TEXT_STRATEGIES:
            raise ValueError(f"long_text.strategy must be one of {', '.join(LONG_TEXT_STRATEGIES)}, got {self.strategy!r}")
        if not isinstance(self.window_tokens, int) or self.window_tokens < 8:
            raise ValueError(f"long_text.window_tokens must be a whole number >= 8, got {self.window_tokens!r}")
        if not isinstance(self.overlap_tokens, int) or not 0 <= self.overlap_tokens < self.window_tokens // 2:
            raise ValueError(
                f"long_text.overlap_tokens must be a whole number from 0 to less than half of window_tokens, "
                f"got {self.overlap_tokens!r}"
            )


@dataclass(frozen=True)
class EmbedParams:
    model: str = DEFAULT_MODEL
    # texts per forward pass at most, and word pieces per forward pass at most (texts x length)
    batch_size: int = 128
    batch_tokens: int = 2048
    normalize: bool = True
    long_text: LongTextParams = field(default_factory=LongTextParams)
    backend: str = "torch"
    precision: str = AUTO_PRECISION
    # CPU threads of the backend; 0 keeps the library's default (one per core, so the
    # vectors' last bits then depend on the machine)
    threads: int = 0
    # where texts are encoded: local (this process) or dask (a cluster's workers, same vectors;
    # see pipeline/embed/distributed.py). Not part of the cache key: the vectors are the same.
    engine: str = "local"
    # engine dask: the scheduler's address (tcp://host:8786); empty = a local cluster for the run
    cluster: str = ""
    # engine dask, local cluster: worker processes
    workers: int = 2
    # engine dask: texts per task
    engine_chunk: int = 2048

    def __post_init__(self) -> None:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, got {self.batch_size!r}")
        if not isinstance(self.batch_tokens, int) or self.batch_tokens < 0:
            raise ValueError(f"batch_tokens must be a whole number >= 0 (0 = no limit), got {self.batch_tokens!r}")
        if self.precision == AUTO_PRECISION:
            object.__setattr__(self, "precision", resolve_auto_precision(self.backend))
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join((*PRECISIONS, AUTO_PRECISION))}, got {self.precision!r}"
            )
        if self.precision != "float32" and self.backend != "torch":
            raise ValueError(f"precision {self.precision} needs backend torch, got backend {self.backend!r}")
        if not isinstance(self.normalize, bool):
            raise ValueError(f"normalize must be true or false, got {self.normalize!r}")
        if not isinstance(self.threads, int) or self.threads < 0:
            raise ValueError(f"threads must be a whole number >= 0, got {self.threads!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"workers must be a whole number >= 1, got {self.workers!r}")
        if not isinstance(self.engine_chunk, int) or self.engine_chunk < 1:
            raise ValueError(f"engine_chunk must be a whole number >= 1, got {self.engine_chunk!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")

    def encoder_options(self) -> dict[str, object]:
        """How `load_encoder` runs the model (backend, precision, threads)."""
        return {"backend": self.backend, "precision": self.precision, "threads": self.threads}

    def encoding_options(self) -> dict[str, object]:
        """How `embed_texts` batches, normalises and cuts long texts."""
        return {"batch_size": self.batch_size, "batch_tokens": self.batch_tokens, "normalize": self.normalize,
                "long_text": self.long_text}

    def vector_settings(self) -> dict[str, object]:
        """The settings (besides the model's own files) that change a text's vector."""
        return {
            "backend": self.backend,
            "precision": self.precision,
            "threads": self.threads,
            "batch_size": self.batch_size,
            "batch_tokens": self.batch_tokens,
            "normalize": self.normalize,
            "min_batch_tokens": MIN_BATCH_TOKENS,
            "long_text": {
                "strategy": self.long_text.strategy,
                "window_tokens": self.long_text.window_tokens,
                "overlap_tokens": self.long_text.overlap_tokens,
            },
        }
