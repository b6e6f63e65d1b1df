"""Images from a scanned folder, streamed through tf.data (never read whole into memory).

The pipeline is the export runtime's (export_runtime/batches.py), which exported
scripts carry too; importing it here sets up Keras's environment first.
"""

from __future__ import annotations

from cnnstudio.engine.arrays import data_errors
from cnnstudio.engine.folder_scan import FolderScan
from cnnstudio.engine.keras_env import import_keras

import_keras()

from cnnstudio.export_runtime import batches  # noqa: E402
from cnnstudio.export_runtime.batches import folder_dataset  # noqa: E402

__all__ = ["decodable", "folder_dataset"]


def decodable(scan: FolderScan, channels: int) -> FolderScan:
    """The scan without the files TensorFlow cannot decode, so each epoch has the steps
    it plans."""
    with data_errors():
        return batches.decodable(scan, channels)
