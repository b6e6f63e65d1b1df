"""The Data page: choose, load and look at the data set."""
