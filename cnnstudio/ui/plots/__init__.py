"""Live and recorded training curves (pyqtgraph) and the pacing of their redraws."""
