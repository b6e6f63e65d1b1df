"""The Design page's diagram: the network drawn as blocks and wires."""
