"""Atlases of whole layers: output layout, resume, shards, grids, the contact
sheet, and the texture measures and depth statistics drawn from them."""
