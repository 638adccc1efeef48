"""fmi_tf: feature-map inversion, energy reallocation and texture tools on VGG19.

Every convolutional filter extracts a specific texture (Xia et al., arXiv
1608.04170). The modules follow the pipeline: `feature_model` slices VGG19,
`objectives` and `optimization` invert codes back to images, `inversion` and
`atlas` show each filter's texture primitive, `reallocation` and
`stylization` redistribute energies and transfer style, and `encoder`,
`classifier` and `export` recognise textures and serve the classifier.
"""
