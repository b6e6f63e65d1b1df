"""The Keras/TensorFlow side of CNN Studio. Imports no Qt.

Modules here import TensorFlow at module level; import them lazily from the
GUI (in workers) and from the command line (only for commands that need it).
"""
