"""The five workflow pages, one folder each."""
