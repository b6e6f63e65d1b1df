"""The Design page: palette, layer stack, properties, explanation, summary."""
