"""Reading and writing: images, grids, atomic outputs, summaries, progress."""
