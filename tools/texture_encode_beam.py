r"""fmi-texture-encode-beam: a dataset's descriptor cache, by Apache Beam.

Usage:
  fmi-texture-encode-beam --dataset=dtd:/data/dtd --encoders=energy,gram \
      --folds=10 --cache_dir=/shared/cache --runner=DirectRunner \
      --direct_num_workers=2 --direct_running_mode=multi_processing
  fmi-texture-eval --dataset=dtd:/data/dtd --encoders=energy,gram \
      --cache_dir=/shared/cache        # encodes nothing

Writes the descriptor cache that fmi-texture-train and fmi-texture-eval
read given the same dataset, network, --image_size, encoder flags and
--cache_dir (`beam.encoding.encode_dataset_beam`). Takes those flags of
fmi-texture-train; every other flag goes to Beam; paths may be URLs (gs://,
s3://; docs/tools.md). Needs pip install "fmi_tf[beam]".
"""

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.beam import encoding
from fmi_tf.beam import options as beam_options
from fmi_tf.recognition import encoder_config
from . import beam_interrupt
from . import cli
from . import model_flags
from . import texture_flags

_ENCODERS = flags.DEFINE_list(
    "encoders", ["energy"], "Encoders whose statistics are encoded: "
    + ",".join(encoder_config.KINDS) + ".")
_FOLDS = flags.DEFINE_integer("folds", 1, "Encode the images of folds 1..N "
                              "(DTD has 10).", lower_bound=1, upper_bound=10)
_IMAGES_PER_ITEM = flags.DEFINE_integer(
    "images_per_item", encoding.DEFAULT_IMAGES_PER_ITEM,
    "Images per work item and per shard file.", lower_bound=1,
    upper_bound=cli.MAX_IMAGES_PER_ITEM)


def main(argv):
  beam_options.require_beam()
  if not texture_flags.CACHE_DIR.value:
    raise errors.ArgumentError("flag --cache_dir must have a value")
  result = encoding.encode_dataset_beam(
      model_flags.network_spec_of_flags(), texture_flags.dataset(),
      texture_flags.CACHE_DIR.value,
      [texture_flags.encoder_for(kind) for kind in _ENCODERS.value],
      folds=_FOLDS.value, image_size=texture_flags.IMAGE_SIZE.value,
      batch_size=texture_flags.BATCH_SIZE.value,
      images_per_item=_IMAGES_PER_ITEM.value, pipeline_args=argv[1:])
  logging.info("%d images in %d shards of %s (%d encoded by this run)",
               result.images, result.shards, result.cache_dir,
               result.encoded)


def run():
  cli.run(beam_interrupt.quiet_on_interrupt(main), pass_through=True)


if __name__ == "__main__":
  run()
