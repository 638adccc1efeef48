"""The optimiser shared by inversion and style: objectives, parameterisations,
transforms and the batched compiled loop."""
