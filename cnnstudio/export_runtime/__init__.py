"""The code every exported Keras script carries, as real modules.

`core.keras_script` writes a project's own parts (settings, the model, the data
glue) and copies from these modules, as source, the functions and classes the
script uses: `script_parts` (data sources, batches, training) and `shapes` (the
built-in Shapes generator, which the engine imports too, so a script draws the
very images CNN Studio trains on). Being modules, they are imported, checked and
tested like the rest of CNN Studio. They import NumPy, TensorFlow and Keras, and
never cnnstudio.core; importing this package imports nothing.
"""
