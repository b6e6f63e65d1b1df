"""The file of layer outputs captured during a run (NumPy only: the GUI reads it directly)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def save_outputs(path: Path, probe: np.ndarray, epochs: list[int],
                 outputs: list[dict[str, np.ndarray]]) -> Path:
    """One .npz: key 'EPOCH/LAYER' for each captured output, and 'probe' for the image."""
    arrays = {f"{epoch}/{name}": value for epoch, by_layer in zip(epochs, outputs)
              for name, value in by_layer.items()}
    arrays["probe"] = np.asarray(probe, np.float32)
    np.savez_compressed(path, **arrays)
    return path


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
