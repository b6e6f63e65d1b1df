"""The file of layer outputs captured during a run (NumPy only: the GUI reads it directly)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from cnnstudio.core.files import replacing


def save_outputs(path: Path, probe: np.ndarray, epochs: list[int],
                 outputs: list[dict[str, np.ndarray]]) -> Path:
    """One .npz: key 'EPOCH/LAYER' for each captured output, and 'probe' for the image."""
    arrays = {f"{epoch}/{name}": value for epoch, by_layer in zip(epochs, outputs)
              for name, value in by_layer.items()}
    arrays["probe"] = np.asarray(probe, np.float32)
    save_npz_atomic(path, arrays, compressed=True)
    return path


def save_npz_atomic(path: Path, arrays: dict[str, np.ndarray], compressed: bool = False) -> None:
    """Write to a temporary name beside `path`, then rename: a failure or a kill mid-write
    leaves the previous file (or none), never half of one."""
    with replacing(path) as tmp, open(tmp, "wb") as handle:
        (np.savez_compressed if compressed else np.savez)(handle, **arrays)


def save_weight_list(path: Path, weights: Sequence[np.ndarray]) -> None:
    """`model.get_weights()` as an .npz (`w0`, `w1`, ...): written from any thread, unlike
    Keras's own weights file, which reads the live model."""
    save_npz_atomic(path, {f"w{i}": np.asarray(w) for i, w in enumerate(weights)})


def load_weight_list(path: str | Path) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return [archive[f"w{i}"] for i in range(len(archive.files))]


def load_outputs(path: str | Path) -> tuple[np.ndarray, dict[int, dict[str, np.ndarray]]]:
    """The probe image and {epoch: {layer: output}}, layers in model order."""
    with np.load(path) as archive:
        probe = archive["probe"]
        outputs: dict[int, dict[str, np.ndarray]] = {}
        for key in archive.files:
            if key == "probe":
                continue
            epoch, name = key.split("/", 1)
            outputs.setdefault(int(epoch), {})[name] = archive[key]
    return probe, outputs
