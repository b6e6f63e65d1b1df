"""The Keras/TensorFlow side of CNN Studio. Imports no Qt.

Most modules here import TensorFlow at module level; import them lazily from
the GUI (in workers) and from the command line (only for commands that need
it). The NumPy-only ones (arrays, shapes_data, folder_scan, probe_file) are
safe anywhere.
"""
