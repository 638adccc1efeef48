"""Feature-map inversion: modified codes and the inverter of a layer's filters."""
