"""Serving: SavedModel export for TF Serving and its clients."""
