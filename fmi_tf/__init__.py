"""fmi_tf: feature-map inversion, energy reallocation and texture tools on VGG19.

Every convolutional filter extracts a specific texture (Xia et al., arXiv
1608.04170). The subpackages follow the pipeline: `nets` slices VGG19 into
feature models, `inversion` inverts modified codes back to images (each
filter's texture primitive, whole-layer atlases), `style` redistributes
energies and transfers style, `recognition` encodes and classifies textures,
and `serving` exports the classifier for TF Serving. `texture` holds the
statistics they all use; `io` reads and writes images and records.
"""
