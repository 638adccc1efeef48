r"""fmi-texture-encode-beam: a dataset's descriptor cache, by Apache Beam.

Usage:
  fmi-texture-encode-beam --dataset=dtd:/data/dtd --encoders=energy,gram \
      --folds=10 --cache_dir=/shared/cache --runner=DirectRunner \
      --direct_num_workers=2 --direct_running_mode=multi_processing
  fmi-texture-eval --dataset=dtd:/data/dtd --encoders=energy,gram \
      --cache_dir=/shared/cache        # encodes nothing
  fmi-texture-encode-beam --dataset=dtd:s3://data/dtd \
      --weights=s3://models/vgg19.h5 --cache_dir=s3://cache/dtd \
      --s3_endpoint_url=http://127.0.0.1:9000 --s3_access_key_id=KEY \
      --s3_secret_access_key=SECRET --runner=DirectRunner

Encodes every image of the dataset's folds (train and test) with the
statistics of the encoders, each image once per scale, into sharded files of
the descriptor cache in --cache_dir; fmi-texture-train and fmi-texture-eval
given the same --dataset, --model, --weights, --image_size, encoder flags
and --cache_dir read them instead of encoding. A rerun skips shards already
written. Takes fmi-texture-train's dataset, encoder and network flags; every
other flag goes to Beam: --runner (DirectRunner, PrismRunner,
DataflowRunner, FlinkRunner, SparkRunner; default DirectRunner) and the
runner's options. --cache_dir, --weights and the dataset's path may be
URLs (gs://, s3://, any scheme Beam's file systems speak), with the store's
Beam options (--s3_endpoint_url, --s3_access_key_id, ...): the shard files
are uploaded whole, the inputs copied to each worker once. Needs
pip install "fmi_tf[beam]".
"""

from absl import flags
from absl import logging

from fmi_tf import errors
from fmi_tf.beam import encoding
from fmi_tf.beam import network_spec
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
  spec = network_spec.NetworkSpec(
      model_flags.MODEL.value,
      model_flags.weights_source(model_flags.WEIGHTS.value),
      model_flags.ALPHA.value, model_flags.PREPROCESSING.value)
  result = encoding.encode_dataset_beam(
      spec, texture_flags.dataset(), texture_flags.CACHE_DIR.value,
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
