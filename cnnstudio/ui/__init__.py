"""Qt widgets and windows. Never imports TensorFlow at module level."""

APP_NAME = "CNN Studio"  # window titles and message boxes
