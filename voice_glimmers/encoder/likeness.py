"""How likely a sentence is each kind of thing: a small classifier over the sentence
encoder's vectors, trained on the language's labelled examples (screen/*.yaml).

A multinomial logistic regression: one weight vector per kind, balanced so a kind
with fewer examples counts as much. What ships beside the examples (screen.npz, made
by tools/train-screen) is that classifier trained together with low-rank adapters
that tune the encoder itself to these kinds (see minilm.py), under a fingerprint of
the examples. When the examples have changed since, the shipped adapters are kept and
the classifier alone is trained again at start (numpy; seconds, for the examples'
vectors) and kept in the user's cache. A cache is only ever a copy: a damaged or
missing one is simply made again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice_glimmers.encoder.minilm import MiniLM, model_folder

_LOGGER = logging.getLogger(__name__)

SCALE = 4.0  # unit vectors are small; this lets the weights stay well-conditioned
STEPS = 1500
RATE = 0.5
L2 = 1e-3
VECTORS_KEPT = 16  # the vectors of the texts scored last, for vectors_of()
ADAPTER = "adapter:"  # screen.npz: "adapter:<layer>:a" and ":b", one pair per tuned layer


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


@dataclass(frozen=True)
class Trained:
    """What screen.npz holds: the classifier, the examples it was trained on, and the
    encoder's adapters (none for a classifier over the plain encoder)."""

    fingerprint: str
    weights: Any
    bias: Any
    adapters: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    scale: float = 1.0

    @property
    def tuning(self) -> str:
        """Names the adapters: a classifier trained over them fits only them."""
        digest = hashlib.sha256(repr(self.scale).encode())
        for name in sorted(self.adapters):
            digest.update(name.encode())
            for matrix in self.adapters[name]:
                digest.update(matrix.tobytes())
        return digest.hexdigest()[:8] if self.adapters else "plain"


class Likeness:
    """scores(text) -> {kind: probability}: how likely `text` is each kind of example."""

    def __init__(self, examples: Mapping[str, tuple[str, ...]], *, cache_dir: Path | None = None,
                 shipped: Path | None = None) -> None:
        self._kinds = [kind for kind, texts in examples.items() if texts]
        name = fingerprint({kind: examples[kind] for kind in self._kinds})
        found = read_trained(shipped, len(self._kinds)) if shipped is not None else None
        try:
            self._encoder = MiniLM(adapters=found.adapters if found else None,
                                   scale=found.scale if found else 1.0)
        except ValueError as err:  # adapters made for another model: the plain one, retrained
            _LOGGER.info("not using the adapters in %s: %s", shipped, err)
            found, self._encoder = None, MiniLM()
        self._tuning = found.tuning if found else "plain"
        self._vectors: dict[str, Any] = {}  # text -> vector, the last VECTORS_KEPT scored
        if found is not None and found.fingerprint == name:
            self._weights, self._bias = found.weights, found.bias
            return
        if found is not None:
            _LOGGER.info("%s was trained on other examples; training its classifier again",
                         shipped)
        tuning = found.tuning if found else "plain"
        path = cache_dir / f"screen-{name}-{tuning}.npz" if cache_dir else None
        cached = read_trained(path, len(self._kinds)) if path is not None else None
        if cached is not None and cached.fingerprint == name:
            self._weights, self._bias = cached.weights, cached.bias
            return
        self._weights, self._bias = self._fit(examples)
        if path is not None:
            try:
                write_trained(path, Trained(name, self._weights, self._bias))
            except OSError as err:  # a cache that cannot be written costs time, nothing else
                _LOGGER.info("cannot keep the screen's cache in %s: %s", path, err)

    def _fit(self, examples: Mapping[str, tuple[str, ...]]) -> tuple[Any, Any]:
        import numpy as np

        texts = [text for kind in self._kinds for text in examples[kind]]
        labels = np.array([i for i, kind in enumerate(self._kinds) for _ in examples[kind]])
        return _fit(self._encoder.encode(texts) * SCALE, labels, len(self._kinds))

    def scores(self, text: str) -> dict[str, float]:
        return self.scores_of([text])[0]

    def scores_of(self, texts: list[str]) -> list[dict[str, float]]:
        """scores() of several texts at once (one pass through the encoder)."""
        import numpy as np

        vectors = self._encoder.encode(texts)
        self._keep(texts, vectors)
        z = (vectors * SCALE) @ self._weights + self._bias
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return [{kind: float(row[i]) for i, kind in enumerate(self._kinds)} for row in p]

    @property
    def tuning(self) -> str:
        """Whose vectors vectors_of() gives: "plain", or the adapters' tuning name."""
        return self._tuning

    def vectors_of(self, texts: list[str]) -> Any:
        """The encoder's unit vectors of `texts`; those of the last few texts scored are
        kept, so a glimmer just scored is not encoded again (to tag it, say)."""
        import numpy as np

        todo = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        found = dict(zip(todo, self._encoder.encode(todo), strict=True)) if todo else {}
        self._keep(todo, list(found.values()))
        return np.stack([found[text] if text in found else self._vectors[text]
                         for text in texts]) if texts else np.zeros((0, 384), np.float32)

    def _keep(self, texts: list[str], vectors: Any) -> None:
        kept = self._vectors
        for text, vector in zip(texts[-VECTORS_KEPT:], vectors[-VECTORS_KEPT:], strict=True):
            kept.pop(text, None)
            kept[text] = vector.copy()  # not a view holding a whole batch's vectors
        while len(kept) > VECTORS_KEPT:
            del kept[next(iter(kept))]


def read_trained(path: Path, kinds: int) -> Trained | None:
    """What `path` holds, if it is a screen for `kinds` kinds; None (and a log line) if not."""
    import numpy as np

    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:
            weights, bias = saved["weights"], saved["bias"]
            made_for = str(saved["fingerprint"])
            scale = float(saved["scale"]) if "scale" in saved.files else 1.0  # may raise
            adapters = {key[len(ADAPTER):-2]: (saved[key], saved[key[:-2] + ":b"])
                        for key in saved.files if key.startswith(ADAPTER) and key.endswith(":a")}
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile) as err:
        _LOGGER.info("not using %s: %s", path, str(err)[:200])
        return None
    try:
        trained = Trained(made_for, weights.astype(np.float32), bias.astype(np.float32),
                          {name: (a.astype(np.float32), b.astype(np.float32))
                           for name, (a, b) in adapters.items()}, scale)
    except (TypeError, ValueError) as err:
        _LOGGER.info("not using %s: %s", path, err)
        return None
    arrays = [trained.weights, trained.bias, *(m for pair in trained.adapters.values()
                                               for m in pair)]
    if (trained.weights.shape != (384, kinds) or trained.bias.shape != (kinds,)
            or any(a.ndim != 2 or b.ndim != 2 for a, b in trained.adapters.values())):
        _LOGGER.info("%s holds a screen of another shape; not using it", path)
        return None
    if not np.isfinite(scale) or not all(np.isfinite(m).all() for m in arrays):
        _LOGGER.info("%s holds numbers that are not finite; not using it", path)
        return None
    return trained


def write_trained(path: Path, trained: Trained) -> None:
    import numpy as np

    from voice_glimmers.core.files import write_atomically

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    arrays = {"weights": trained.weights, "bias": trained.bias,
              "fingerprint": np.array(trained.fingerprint), "scale": np.array(trained.scale)}
    for name, (a, b) in trained.adapters.items():
        arrays[f"{ADAPTER}{name}:a"], arrays[f"{ADAPTER}{name}:b"] = a, b
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    os.close(write_atomically(path, buffer.getvalue()))


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
