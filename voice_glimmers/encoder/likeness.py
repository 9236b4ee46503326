"""How likely a sentence is each kind of thing: a small classifier over the sentence
encoder's vectors, trained on the language's labelled examples (screen.yaml).

A multinomial logistic regression: one weight vector per kind, balanced so a kind
with fewer examples counts as much. The trained weights (a few KB) ship beside the
examples (screen.npz, made by tools/train-screen) under a fingerprint of the
examples and the model; when the examples have changed since, it is trained at
start (a few seconds for the examples' vectors, well under one for the weights) and
kept in the user's cache under the new fingerprint. A cache is only ever a copy: a
damaged or missing one is simply made again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voice_glimmers.encoder.minilm import MiniLM, model_folder

_LOGGER = logging.getLogger(__name__)

SCALE = 4.0  # unit vectors are small; this lets the weights stay well-conditioned
STEPS = 1500
RATE = 0.5
L2 = 1e-3


def fingerprint(examples: Mapping[str, tuple[str, ...]]) -> str:
    """Names the examples, the training settings and the model: the same means the same
    weights, so trained ones can be kept (in the cache, or shipped beside the examples)."""
    digest = hashlib.sha256(f"{SCALE} {STEPS} {RATE} {L2}\n".encode())
    for kind, texts in examples.items():
        digest.update(f"[{kind}]\n".encode())
        for text in texts:
            digest.update(text.encode("utf-8") + b"\n")
    digest.update(str((model_folder() / "model.safetensors").stat().st_size).encode())
    return digest.hexdigest()[:16]


class Likeness:
    """scores(text) -> {kind: probability}: how likely `text` is each kind of example."""

    def __init__(self, examples: Mapping[str, tuple[str, ...]], *, cache_dir: Path | None = None,
                 shipped: Path | None = None, encoder: MiniLM | None = None) -> None:
        self._encoder = encoder or MiniLM()
        self._kinds = [kind for kind, texts in examples.items() if texts]
        self._weights, self._bias = self._trained(examples, cache_dir, shipped)

    def _trained(self, examples: Mapping[str, tuple[str, ...]], cache_dir: Path | None,
                 shipped: Path | None) -> tuple[Any, Any]:
        import numpy as np

        name = fingerprint({kind: examples[kind] for kind in self._kinds})
        path = cache_dir / f"screen-{name}.npz" if cache_dir else None
        for known in (shipped, path):
            found = _read(known, name, len(self._kinds)) if known is not None else None
            if found is not None:
                return found
        texts = [text for kind in self._kinds for text in examples[kind]]
        labels = np.array([i for i, kind in enumerate(self._kinds) for _ in examples[kind]])
        weights, bias = _fit(self._encoder.encode(texts) * SCALE, labels, len(self._kinds))
        if path is not None:
            try:
                write_trained(path, name, weights, bias)
            except OSError as err:  # a cache that cannot be written costs time, nothing else
                _LOGGER.info("cannot keep the screen's cache in %s: %s", path, err)
        return weights, bias

    def scores(self, text: str) -> dict[str, float]:
        return self.scores_of([text])[0]

    def scores_of(self, texts: list[str]) -> list[dict[str, float]]:
        """scores() of several texts at once (one pass through the encoder)."""
        import numpy as np

        z = (self._encoder.encode(texts) * SCALE) @ self._weights + self._bias
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return [{kind: float(row[i]) for i, kind in enumerate(self._kinds)} for row in p]


def _read(path: Path, name: str, kinds: int) -> tuple[Any, Any] | None:
    """Trained weights from `path`, if it holds the ones `name` stands for."""
    import numpy as np

    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            weights, bias, made_for = saved["weights"], saved["bias"], str(saved["fingerprint"])
    except (OSError, ValueError, KeyError) as err:
        _LOGGER.info("not using %s: %s", path, err)
        return None
    if made_for != name or weights.shape != (384, kinds):
        _LOGGER.info("%s was trained on other examples; training again", path)
        return None
    return weights.astype(np.float32), bias.astype(np.float32)


def write_trained(path: Path, name: str, weights: Any, bias: Any) -> None:
    import numpy as np

    from voice_glimmers.core.files import write_atomically

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    buffer = io.BytesIO()
    np.savez(buffer, weights=weights, bias=bias, fingerprint=np.array(name))
    os.close(write_atomically(path, buffer.getvalue()))


def train(examples: Mapping[str, tuple[str, ...]], path: Path) -> str:
    """Train on `examples` and write the weights to `path` (shipped beside the examples)."""
    likeness = Likeness(examples)
    name = fingerprint({kind: examples[kind] for kind in likeness._kinds})
    write_trained(path, name, likeness._weights, likeness._bias)
    return name


def _fit(x: Any, labels: Any, kinds: int) -> tuple[Any, Any]:
    """Balanced multinomial logistic regression by gradient descent (deterministic)."""
    import numpy as np

    weights = np.zeros((x.shape[1], kinds), dtype=np.float32)
    bias = np.zeros(kinds, dtype=np.float32)
    target = np.eye(kinds, dtype=np.float32)[labels]
    balance = (len(labels) / (kinds * np.bincount(labels, minlength=kinds)))[labels][:, None]
    for _ in range(STEPS):
        z = x @ weights + bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        gradient = ((p - target) * balance / len(labels)).astype(np.float32)
        weights -= RATE * (x.T @ gradient + L2 * weights)
        bias -= RATE * gradient.sum(axis=0)
    return weights, bias
