"""The depth order of an atlas's layers: recorded depths, else their names."""

import json

from fmi_tf.atlas import layer_order


def test_natural_key_compares_digit_runs_as_numbers():
  names = ["conv_pw_11_relu", "conv_pw_2_relu", "conv_pw_1_relu",
           "block1_pool", "block1_conv2", "block10_conv1"]
  assert sorted(names, key=layer_order.natural_key) == [
      "block1_conv2", "block1_pool", "block10_conv1", "conv_pw_1_relu",
      "conv_pw_2_relu", "conv_pw_11_relu"]


def test_recorded_depths_win_over_names():
  # Recorded depths that contradict both the plain and the natural order.
  order = layer_order.depth_order({"b_relu": 7, "a_relu": 9, "c_relu": 2})
  assert order == ["c_relu", "b_relu", "a_relu"]


def test_layers_without_a_depth_fall_in_by_name():
  order = layer_order.depth_order({
      "conv_pw_11_relu": 60, "conv_pw_3_relu": 20, "conv_pw_5_relu": None,
      "conv_pw_1_relu": None})
  assert order == ["conv_pw_1_relu", "conv_pw_3_relu", "conv_pw_5_relu",
                   "conv_pw_11_relu"]


def test_recorded_index_reads_the_depth_and_tolerates_bad_records(tmp_path):
  cases = {"good.json": ({"layer_index": 12}, 12),
           "old.json": ({"layer": "conv1_relu"}, None),
           "text.json": ({"layer_index": "12"}, None),
           "list.json": ([12], None)}
  for name, (content, _) in cases.items():
    (tmp_path / name).write_text(json.dumps(content))
  (tmp_path / "broken.json").write_text("{broken")
  for name, (_, want) in cases.items():
    assert layer_order.recorded_index(str(tmp_path / name)) == want
  assert layer_order.recorded_index(str(tmp_path / "broken.json")) is None
  assert layer_order.recorded_index(str(tmp_path / "missing.json")) is None
