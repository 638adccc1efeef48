"""What the Beam tests share: the runner they use and the small runs they
compare a pipeline's files with (`single_process_atlas` in conftest.py)."""

# Beam's DirectRunner with 2 worker processes, as workers run on a cluster.
TWO_PROCESSES = ["--runner=DirectRunner", "--direct_num_workers=2",
                 "--direct_running_mode=multi_processing"]
# The layers of every atlas and dataset-examples run of the Beam tests.
LAYERS = ["block1_conv1", "block2_conv1"]
# The atlas's settings, on the tiny network.
ATLAS_SETTINGS = {"size": 24, "steps": 4, "steps_per_call": 2,
                  "batch_size": 3}
# The dataset examples' options.
EXAMPLES_OPTIONS = {"k": 3, "image_size": 24, "batch_size": 2}
