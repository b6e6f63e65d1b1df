"""Widgets and helpers every page uses: status lines, layouts, background tasks, model saving."""
