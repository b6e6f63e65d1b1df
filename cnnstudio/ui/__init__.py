"""Qt widgets and windows. Never imports TensorFlow at module level."""
