"""Importing Keras quietly: TensorFlow's start-up chatter is not for our users.

TF_CPP_MIN_LOG_LEVEL silences most of TensorFlow's C++ logging, but not all of it:
absl prints "WARNING: All log messages before absl::InitializeLog() is called are
written to STDERR", oneDNN and the CUDA probe print I0000 / E0000 lines ("failed call
to cuInit" on a machine without a GPU) straight to file descriptor 2, where Python
cannot filter them. So the import, and the first device query that triggers the CUDA
probe, run with descriptor 2 captured; what is known chatter is dropped and anything
else (a real error) is written back to the terminal.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import tempfile
import threading

NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IWE]\d{4} [\d:. ]+\d+ \S+\.(cc|h):\d+\] .*"
    r"(oneDNN|cuda|cuInit|CUDA|cuDNN|cuFFT|cuBLAS|TensorRT|TF-TRT|GPU will not be used"
    r"|computation placer|rebuild TensorFlow with the appropriate compiler flags"
    r"|AVX|XLA|Created device))")
"""Lines TensorFlow prints at start-up that say nothing a user can act on."""

_lock = threading.Lock()
_imported = False


def import_keras():
    """Import and return `keras` with TensorFlow's start-up log lines left out."""
    global _imported
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with _lock:
        if not _imported:
            with quiet_stderr():
                importlib.import_module("keras")
                tf = importlib.import_module("tensorflow")
                tf.config.list_physical_devices()  # the CUDA probe prints now, not later
            _imported = True
    return importlib.import_module("keras")


class quiet_stderr:
    """Capture file descriptor 2; on exit, write back every line that is not NOISE."""

    def __enter__(self) -> "quiet_stderr":
        try:
            sys.stderr.flush()
            self.saved = os.dup(2)
            self.capture = tempfile.TemporaryFile()
            os.dup2(self.capture.fileno(), 2)
        except (OSError, ValueError):  # no real descriptor 2 (an embedded interpreter)
            self.saved = None
        return self

    def __exit__(self, *exc) -> None:
        if self.saved is None:
            return
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.capture.seek(0)
        text = self.capture.read().decode("utf-8", "replace")
        self.capture.close()
        kept = [line for line in text.splitlines() if line.strip() and not NOISE.match(line)]
        if kept:
            sys.stderr.write("\n".join(kept) + "\n")
