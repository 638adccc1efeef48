"""Apache Beam pipelines: the atlas and dataset encoding beyond one machine.

The optional extra `pip install "fmi_tf[beam]"` installs Apache Beam; the
rest of fmi_tf imports and runs without it. One pipeline runs unchanged on a
laptop (`--runner=DirectRunner` or `PrismRunner`), on Dataflow, Flink or
Spark (`options` checks the runner and Beam's own flags). `atlas` inverts
(layer, filter-chunk) work items into the files `fmi_tf.draw_atlas` writes
(then, if asked, the dataset examples and the site); `examples` runs
`fmi_tf.dataset_examples` over image shards; `encoding` encodes a dataset's images into sharded descriptor-cache files
that `fmi_tf.train_texture_classifier` and `fmi-texture-eval` read. Each
worker loads the network once (`network_spec`) and reuses it for every item.
"""
