"""The code every exported Keras script carries, as real modules.

`core.keras_script` writes a project's own parts (settings, the model, the data
glue) and copies from these modules, as source, the functions and classes the
script uses: `script_parts` (the script's data glue, training and `main`), the
data modules it imports (`array_files`, `cache_readers`, `image_files`,
`batches`, `rules`) and `shapes` (the built-in Shapes generator). The engine
imports the data modules and `shapes` too, so a script reads, checks, splits and
batches the very images CNN Studio trains on, with one implementation. Being
modules, they are imported, checked and tested like the rest of CNN Studio. They import NumPy, TensorFlow and Keras, and
never cnnstudio.core (only each other); importing this package imports nothing.
"""
