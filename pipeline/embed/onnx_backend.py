"""An ONNX Runtime backend, exported locally from the same sentence-transformers weights.

Why: on a small CPU machine ONNX Runtime runs the same network faster than
torch eager mode (figures in the README, Stage: embed). Nothing is downloaded:
the graph is exported once from the local weights with `torch.onnx.export`
(transformer + attention-masked mean pooling in one graph) and kept in the
vector cache folder (`<cache>/onnx/<model fingerprint>/model.onnx`), so later
runs load neither torch weights nor the exporter. Optional int8 dynamic
quantisation (`quantize_int8`) is measured by the benchmark only: it changes
vectors too much to adopt (cosine to the torch vectors below 0.99).

Only models made of a Transformer, a mean Pooling and optionally a Normalize
module can be exported this way; others are refused with a clear message.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import InputError

log = logging.getLogger(__name__)

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_layout(folder: Path) -> tuple[int, bool, bool]:
    """(max word pieces, lowercase texts first, ends with a Normalize module) read from the model folder.

    Raises InputError when the folder's modules cannot be exported as one graph.
    """
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        raise InputError(folder, "backend onnx needs a sentence-transformers folder with modules.json; use backend: torch")
    modules = [m.get("type", "").rsplit(".", 1)[-1] for m in json.loads(modules_file.read_text(encoding="utf-8"))]
    if modules[:2] != ["Transformer", "Pooling"] or any(m != "Normalize" for m in modules[2:]):
        raise InputError(folder, f"backend onnx supports Transformer + Pooling (+ Normalize) models, not {modules}; use backend: torch")
    pooling_file = folder / "1_Pooling" / "config.json"
    pooling = json.loads(pooling_file.read_text(encoding="utf-8")) if pooling_file.is_file() else {}
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if modes and modes != ["pooling_mode_mean_tokens"]:
        raise InputError(folder, f"backend onnx supports mean pooling only, not {modes}; use backend: torch")
    config_file = folder / "sentence_bert_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
    return int(config.get("max_seq_length") or 512), bool(config.get("do_lower_case")), "Normalize" in modules


def export_onnx(sentence_transformer: Any, target: Path) -> Path:
    """Export transformer + mean pooling of a loaded SentenceTransformer to `target` (atomic)."""
    import torch

    transformer = sentence_transformer[0].auto_model.eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    sample = sentence_transformer.tokenizer(["an example", "a longer example sentence"], padding=True, return_tensors="pt")
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".onnx")
    os.close(fd)
    try:
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                MeanPooled(transformer).eval(),  # export restores the wrapper's mode onto the model
                tuple(sample[k] for k in _INPUTS),
                tmp,
                input_names=list(_INPUTS),
                output_names=["embedding"],
                dynamic_axes={**{k: {0: "batch", 1: "tokens"} for k in _INPUTS}, "embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("exported the model to ONNX: %s", target)
    return target


def quantize_int8(source: Path, target: Path, *, per_channel: bool = False) -> Path:
    """Dynamic int8 quantisation of an exported graph (weights int8, one scale per tensor or per output
    channel; activations quantised as they come)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint on the root logger
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=per_channel)
    finally:
        root.setLevel(level)
    return target


class OnnxRunner:
    """Mean-pooled vectors from an exported graph, batched by length like sentence-transformers."""

    def __init__(self, onnx_path: Path, tokenizer: Any, *, max_tokens: int, lowercase: bool, threads: int = 0) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.lowercase = lowercase

    def encode(self, texts: list[str], *, batch_size: int, show_progress_bar: bool = False) -> np.ndarray:
        if self.lowercase:
            texts = [t.lower() for t in texts]
        lengths = [len(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: (-lengths[i], i))
        out: np.ndarray | None = None
        starts = range(0, len(texts), batch_size)
        if show_progress_bar:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Batches")
        for start in starts:
            rows = order[start : start + batch_size]
            enc = self.tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np"
            )
            feed = {}
            for name in self.inputs:
                value = enc.get(name)
                if value is None:  # a tokenizer without token types: all zeros, as in the model
                    value = np.zeros_like(enc["input_ids"])
                feed[name] = np.asarray(value, dtype=np.int64)
            vectors = self.session.run(None, feed)[0]
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        return out
