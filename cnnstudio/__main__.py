"""`python -m cnnstudio`: the same as the `cnnstudio` command."""

import signal
import sys

# Ctrl+C while the modules load (before main sets its handlers) ends quietly: the
# command had changed nothing yet.
signal.signal(signal.SIGINT, lambda *_: sys.exit(130))

from cnnstudio.cli import main  # noqa: E402

sys.exit(main())
