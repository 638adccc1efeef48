"""A microscope for a CNN: dataset examples of every filter, a static site.

`examples` finds, in one pass over a dataset, the image regions that
activate each filter most and the texture classes it prefers; `site` turns
an atlas directory (and those examples) into pages a browser opens from
disk.
"""
