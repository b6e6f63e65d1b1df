"""What a pre-trained base outputs and how many weights it holds, once measured.

A Conv2D's output is arithmetic; a keras.applications network's is not worth
re-deriving by hand (hundreds of layers, a cut at any of them). So the engine
builds the base once, without weights, in a worker (it takes seconds) and its
figures are kept here: in memory for the editor's every keystroke, and in a
JSON file in the user's cache folder so the next start knows them at once.
The shape engine reads none of this itself: `infer(project, known_figures())`
passes what is known, so inference is a function of its inputs alone. Until a
base's figures are known, the shape engine reports its layer as pending.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnstudio.core.files import write_text_atomic
from cnnstudio.core.resources import user_cache_dir
from cnnstudio.core.shape_math import ShapeError

FILE_NAME = "base_figures.json"
FORMAT = 1


class PendingShape(ShapeError):
    """The layer's figures are being measured; the row says so instead of an error."""


@dataclass(frozen=True)
class BaseFigures:
    """A measured base: its output shape (batch None) and parameter counts, or why
    Keras refused to build it (a cut layer it does not have, an input too small)."""

    output_shape: tuple[int | None, ...] | None = None
    trainable: int = 0
    non_trainable: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"output_shape": None if self.output_shape is None else list(self.output_shape),
                "trainable": self.trainable, "non_trainable": self.non_trainable,
                "error": self.error}

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> "BaseFigures":
        shape = item.get("output_shape")
        return cls(None if shape is None else tuple(shape), int(item.get("trainable", 0)),
                   int(item.get("non_trainable", 0)), item.get("error"))


def figures_key(input_shape: tuple, resolved: dict[str, Any]) -> str:
    """What the figures depend on: the base, its input and how it is cut and unfrozen
    (not the weights file: weights change values, not shapes or counts)."""
    return json.dumps([resolved["application"], list(input_shape[1:]), resolved["cut"],
                       resolved["pooling"], resolved["trainable_top"]])


class _Store:
    def __init__(self) -> None:
        self.known: dict[str, BaseFigures] = {}
        self.kept: set[str] = set()  # measured by Keras, so worth writing down
        self.loaded_from: Path | None = None
        self.lock = threading.Lock()

    def path(self) -> Path:
        return user_cache_dir() / FILE_NAME

    def _load(self) -> None:
        path = self.path()
        if self.loaded_from == path:
            return
        self.loaded_from = path
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("format") == FORMAT:
                for key, item in document.get("figures", {}).items():
                    self.known.setdefault(key, BaseFigures.from_json(item))
                    self.kept.add(key)
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # no cache yet, or a damaged one: measure again

    def lookup(self, key: str) -> BaseFigures | None:
        with self.lock:
            self._load()
            return self.known.get(key)

    def remember(self, key: str, figures: BaseFigures, persist: bool) -> None:
        with self.lock:
            self._load()
            self.known[key] = figures
            if persist:
                self.kept.add(key)
                self._save()

    def _save(self) -> None:
        """Atomically, and quietly: a cache that cannot be written is measured again."""
        path = self.path()
        document = {"format": FORMAT,
                    "figures": {k: v.to_json() for k, v in self.known.items() if k in self.kept}}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, json.dumps(document))
        except OSError:
            pass


_store = _Store()


def lookup(key: str) -> BaseFigures | None:
    return _store.lookup(key)


def known_figures() -> dict[str, BaseFigures]:
    """Every base measured so far (in this process or, from the cache file, before)."""
    with _store.lock:
        _store._load()
        return dict(_store.known)


def remember(key: str, figures: BaseFigures, persist: bool = True) -> None:
    """Keep `figures` for `key`; `persist=False` for this session only (a failure to
    build that was not Keras's verdict, such as TensorFlow failing to load)."""
    _store.remember(key, figures, persist)
