"""Feature-map inversion: modified codes, objectives, the loop, atlases."""
