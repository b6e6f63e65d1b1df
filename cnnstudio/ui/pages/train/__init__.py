"""The Train page: settings, the training session in its worker thread, live progress."""
