"""Texture recognition: datasets, encoders, classifiers, experiments."""
