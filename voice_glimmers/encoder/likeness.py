"""How likely a sentence is each kind of thing: a small classifier over the sentence
encoder's vectors, trained on the language's labelled examples (screen.yaml).

A multinomial logistic regression: one weight vector per kind, balanced so a kind
with fewer examples counts as much. It is trained when first loaded (a few seconds
for the examples' vectors, well under one for the weights) and kept in a cache file
named by a fingerprint of the examples and the model, so a changed example or
another model trains a new one. The cache is only ever a copy: a damaged or missing
one is simply made again.
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


class Likeness:
    """scores(text) -> {kind: probability}: how likely `text` is each kind of example."""

    def __init__(self, examples: Mapping[str, tuple[str, ...]], *, cache_dir: Path | None = None,
                 encoder: MiniLM | None = None) -> None:
        self._encoder = encoder or MiniLM()
        self._kinds = [kind for kind, texts in examples.items() if texts]
        self._weights, self._bias = self._trained(examples, cache_dir)

    def _trained(self, examples: Mapping[str, tuple[str, ...]],
                 cache_dir: Path | None) -> tuple[Any, Any]:
        import numpy as np

        texts = [text for kind in self._kinds for text in examples[kind]]
        digest = hashlib.sha256(f"{SCALE} {STEPS} {RATE} {L2}\n".encode())
        for kind in self._kinds:
            digest.update(f"[{kind}]\n".encode())
            for text in examples[kind]:
                digest.update(text.encode("utf-8") + b"\n")
        digest.update(str((model_folder() / "model.safetensors").stat().st_size).encode())
        path = cache_dir / f"screen-{digest.hexdigest()[:16]}.npz" if cache_dir else None
        if path is not None and path.is_file():
            try:
                with np.load(path, allow_pickle=False) as saved:
                    weights, bias = saved["weights"], saved["bias"]
                if weights.shape == (384, len(self._kinds)):
                    return weights.astype(np.float32), bias.astype(np.float32)
            except (OSError, ValueError, KeyError) as err:
                _LOGGER.info("training the screen again: %s", err)
        labels = np.array([i for i, kind in enumerate(self._kinds) for _ in examples[kind]])
        weights, bias = _fit(self._encoder.encode(texts) * SCALE, labels, len(self._kinds))
        if path is not None:
            try:
                from voice_glimmers.core.files import write_atomically

                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                buffer = io.BytesIO()
                np.savez(buffer, weights=weights, bias=bias)
                os.close(write_atomically(path, buffer.getvalue()))
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
