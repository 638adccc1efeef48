"""The networks: layer names, weights, preprocessing, feature models."""
