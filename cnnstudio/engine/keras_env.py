"""Importing Keras quietly: TensorFlow's start-up chatter is not for our users."""

from __future__ import annotations

import os


def import_keras():
    """Import and return `keras` with TensorFlow's C++ log noise turned down."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    return keras
