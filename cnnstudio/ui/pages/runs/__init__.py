"""The Runs page: recorded runs, overlaid curves, what changed between two."""
