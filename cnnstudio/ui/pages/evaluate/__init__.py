"""The Evaluate page: predictions, confusion matrix, feature maps, the dropout view, layer dynamics."""
