"""In-memory images as a tf.data pipeline for `model.fit`, the same shape as folder data.

The function is the export runtime's (export_runtime/batches.py), which exported
scripts carry too; importing it here sets up Keras's environment first.
"""

from __future__ import annotations

from cnnstudio.engine.keras_env import import_keras

import_keras()

from cnnstudio.export_runtime.batches import array_dataset  # noqa: E402

__all__ = ["array_dataset"]
