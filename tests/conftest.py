"""Shared test set-up: headless Qt, quiet TensorFlow."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tempfile  # noqa: E402

# Measured pre-trained bases are cached in the user's cache folder: tests keep
# theirs apart, shared across the session (measuring InceptionV3 takes seconds).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="cnnstudio-test-cache-")
