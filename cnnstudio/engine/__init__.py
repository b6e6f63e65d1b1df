"""The Keras/TensorFlow side of CNN Studio. Imports no Qt.

Most modules here import TensorFlow at module level; import them lazily from
the GUI (in workers) and from the command line (only for commands that need
it). The NumPy-only ones (arrays, folder_scan, keras_cache, probe_file) are
safe anywhere, as are the Shapes generator and the cache readers, which live in
cnnstudio.export_runtime because exported scripts carry them too.
"""
