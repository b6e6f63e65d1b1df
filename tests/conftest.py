"""Shared test set-up: headless Qt, quiet TensorFlow."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tempfile  # noqa: E402

# Measured pre-trained bases are cached in the user's cache folder: tests keep
# theirs apart, shared across the session (measuring InceptionV3 takes seconds).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="cnnstudio-test-cache-")

# Hypothesis: about 50 examples a property in `make test`, many more in `make test-deep`
# (HYPOTHESIS_PROFILE=deep), which is where a rare counter-example is hunted.
from hypothesis import settings  # noqa: E402

settings.register_profile("default", max_examples=50, deadline=None)
settings.register_profile("deep", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
