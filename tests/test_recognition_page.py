"""The recognition page, and explanations linked to atlas pictures."""

import base64
import io
import json
import os
import re
import shutil

import numpy as np
from PIL import Image
import pytest

from fmi_tf import errors
from fmi_tf.inversion import files
from fmi_tf.inversion import defaults
from fmi_tf.inversion import filters
from fmi_tf.io import records
from fmi_tf.microscope import examples
from fmi_tf.microscope import examples_files
from fmi_tf.microscope import filter_links
from fmi_tf.microscope import recognition_page
from fmi_tf.microscope import site
from fmi_tf.microscope import site_faithfulness
from fmi_tf.nets import networks
from fmi_tf.recognition import classifier
from fmi_tf.recognition import encoder
from fmi_tf.recognition import encoder_config
from fmi_tf.recognition import explanation
from fmi_tf.recognition import trained_model
from fmi_tf.recognition import training
from tests import faithfulness_records

LAYER = "block1_conv1"
CLASSES = ("rough", "<smooth>")
SIZE = 24


@pytest.fixture(scope="module")
def sources(tmp_path_factory, tiny_backbone, photo):
  """An atlas of every block1_conv1 filter, a faithfulness record of its
  filter 0, the dataset examples, and a classifier of the same tiny
  network."""
  root = tmp_path_factory.mktemp("sources")
  atlas = str(root / "atlas")
  os.makedirs(atlas)
  config = defaults.resolve(tiny_backbone, steps=5, steps_per_call=5).config
  inverter = filters.FilterInverter(tiny_backbone, LAYER, config)
  count = tiny_backbone.num_filters(LAYER)
  for result in inverter.invert(photo, list(range(count))):
    files.save_result(atlas, result,
                       records.RunRecord(**inverter.layer_record))
  scored = faithfulness_records.write(
      root / "faithfulness.json", faithfulness_records.record(
          {0: (0.75, 0.5, 0.1)}, condition="pictures-atlas", layer=LAYER,
          settings={"network": tiny_backbone.network,
                    "weights": tiny_backbone.source}))
  data = root / "data"
  rng = np.random.default_rng(1)
  for name in ("rough", "smooth"):
    os.makedirs(data / name)
    for i in range(3):
      pixels = rng.uniform(0, 255 if name == "rough" else 60, (28, 28, 3))
      Image.fromarray(pixels.astype(np.uint8)).save(data / name / f"{i}.png")
  found = str(root / "examples")
  examples.dataset_examples(tiny_backbone, [LAYER], f"folder:{data}", found,
                            k=2, image_size=24, progress=False)
  enc_config = encoder_config.EncoderConfig(kind="energy", layers=(LAYER,))
  model = encoder.build(tiny_backbone, enc_config)
  images = rng.uniform(size=(8, SIZE, SIZE, 3)).astype(np.float32)
  images[4:] *= 0.2
  fitted = classifier.train(model(images).numpy(), np.arange(8) // 4,
                            CLASSES)
  clf = training.TextureClassifier(trained_model.TrainedModel(
      model, enc_config, SIZE, fitted, networks.record(tiny_backbone)), {})
  return atlas, found, clf, scored


def test_the_page_lists_each_class_voters_with_pictures(sources, tmp_path):
  atlas, found, clf, scored = sources
  scores = site_faithfulness.read(scored, [atlas])
  listed = recognition_page.classes(clf, atlas, found, k=3,
                                    faithfulness=scores)
  assert [c["name"] for c in listed] == list(CLASSES)
  record = examples_files.read_layer(found, LAYER)
  units = explanation.descriptor_units(clf.model.encoder)
  for class_id, entry in enumerate(listed):
    expected = explanation.voters(clf.model.classifier, units, class_id, 3)
    assert [(v["filter"], v["weight"]) for v in entry["voters"]] == [
        (int(units.indices[d]), w) for d, w in expected]
    for voter in entry["voters"]:
      assert voter["picture"].startswith("data:image/png;base64,")
      drawn = Image.open(files.filter_stem(atlas, LAYER, voter["filter"])
                         + ".png")
      assert max(drawn.size) <= recognition_page.PICTURE_PIXELS
      assert Image.open(io.BytesIO(base64.b64decode(voter["picture"].split(
          ",", 1)[1]))).size == drawn.size
      top = record["filters"][voter["filter"]]["top"]
      assert [(c["height"], c["width"]) for c in voter["crops"]] == [
          tuple(t["window"][2:]) for t in top[:recognition_page.CROPS_SHOWN]]
      for crop, pixels in zip(voter["crops"], examples_files.read_crops(
          found, record, voter["filter"])):
        shown = Image.open(io.BytesIO(base64.b64decode(
            crop["src"].split(",", 1)[1])))
        np.testing.assert_array_equal(np.asarray(shown), pixels)
      assert voter["faithfulness"]["score"] == (
          0.75 if voter["filter"] == 0 else None)
      assert voter["faithfulness"]["trust"] == (
          site_faithfulness.BEATS if voter["filter"] == 0
          else site_faithfulness.NOT_MEASURED)
  path = recognition_page.write_recognition_page(clf, str(tmp_path), atlas,
                                                 found, k=3,
                                                 faithfulness=scored)
  page = open(path, encoding="utf8").read()
  assert "faithfulness 0.75 [0.65, 0.85] (image-statistics): beats" in page
  assert page.count("faithfulness not measured") == 5
  assert "&lt;smooth&gt;" in page and "<smooth>" not in page
  assert len(re.findall(r'<div class="voter">', page)) == 6
  assert page.count('<div class="crops">') == 6
  assert f'width="{recognition_page.PICTURE_PIXELS}"' not in page


def test_examples_of_an_older_format_are_refused(sources, tmp_path):
  atlas, found, clf, _ = sources
  older = tmp_path / "older"
  shutil.copytree(found, older)
  summary = json.loads((older / examples_files.SUMMARY).read_text())
  del summary["version"]
  (older / examples_files.SUMMARY).write_text(json.dumps(summary))
  with pytest.raises(errors.ArgumentError, match="of format 1, not 2"):
    recognition_page.write_recognition_page(clf, str(tmp_path / "page"),
                                            atlas, str(older))
  assert not (tmp_path / "page").exists()


def test_the_site_index_links_the_page_and_the_page_links_filters(
    sources, tmp_path):
  atlas, found, clf, scored = sources
  made = site.make_site(atlas, str(tmp_path / "site"), found,
                        progress=False, classifier=clf, faithfulness=scored)
  index = open(made.index, encoding="utf8").read()
  assert 'href="recognition.html"' in index
  page = open(os.path.join(made.out, "recognition.html"),
              encoding="utf8").read()
  for link in re.findall(r'href="([^"]+\.html)"', page):
    assert os.path.isfile(os.path.join(made.out, link)), link
  assert f'href="{LAYER}/0' in page or f'href="{LAYER}/' in page
  assert "faithfulness 0.75 [0.65, 0.85]" in page


def test_an_atlas_of_another_network_is_refused_and_nothing_written(
    sources, tmp_path):
  atlas, found, clf, _ = sources
  other = tmp_path / "other_atlas"
  other.mkdir()
  (other / f"{LAYER}_0000.json").write_text(json.dumps(
      {"network": {"network": "mobilenet", "preprocessing": "tf",
                   "options": {"alpha": 0.25}}}))
  out = tmp_path / "site"
  with pytest.raises(errors.ArgumentError,
                     match="holds an atlas of another network"):
    site.make_site(str(other), str(out), progress=False, classifier=clf)
  assert not out.exists()
  with pytest.raises(errors.ArgumentError,
                     match="holds an atlas of another network"):
    recognition_page.write_recognition_page(clf, str(out), str(other))
  assert not out.exists()
  (why,) = clf.explain(np.full((1, SIZE, SIZE, 3), 0.5, np.float32), k=2)
  with pytest.raises(errors.ArgumentError,
                     match="holds an atlas of another network"):
    filter_links.attach([why], clf.model.network, str(other))


def test_explanations_get_their_filters_pictures_and_crops(sources):
  atlas, found, clf, _ = sources
  (why,) = clf.explain(np.full((1, SIZE, SIZE, 3), 0.5, np.float32), k=2)
  (linked,) = filter_links.attach([why], clf.model.network, atlas, found)
  for item in linked.top:
    assert item.picture == files.filter_stem(atlas, LAYER,
                                              item.index) + ".png"
    assert os.path.isfile(item.examples)
  assert linked._repr_html_().count("data:image/png;base64,") >= 3


def test_a_gram_classifier_has_no_recognition_page(tiny_backbone, tmp_path):
  config = encoder_config.EncoderConfig(kind="gram", layers=(LAYER,))
  model = encoder.build(tiny_backbone, config)
  images = np.random.default_rng(2).uniform(size=(4, SIZE, SIZE, 3))
  fitted = classifier.train(model(images.astype(np.float32)).numpy(),
                            np.arange(4) % 2, CLASSES)
  gram = trained_model.TrainedModel(model, config, SIZE, fitted,
                                    networks.record(tiny_backbone))
  with pytest.raises(errors.ArgumentError, match="Gram entries"):
    recognition_page.write_recognition_page(gram, str(tmp_path / "page"))
  assert not (tmp_path / "page").exists()
