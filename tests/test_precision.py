"""The compute precision `auto` picks, and where the choice is recorded."""

import json
import os

import pytest
import tensorflow as tf

from fmi_tf import errors
from fmi_tf.inversion import defaults
from fmi_tf.nets import feature_model
from fmi_tf.nets import precision
from tests import tool_runs

_AVX2_ONLY = frozenset({"fpu", "sse4_2", "avx", "avx2", "fma"})
_AVX512_BF16 = _AVX2_ONLY | {"avx512f", "avx512_bf16"}
_AMX = _AVX2_ONLY | {"avx512f", "amx_tile", "amx_bf16"}


@pytest.mark.parametrize("flags,environ,name,phrase", [
    (_AVX2_ONLY, {}, "float32", "no bfloat16 arithmetic"),
    (frozenset(), {}, "float32", "no bfloat16 arithmetic"),
    (_AVX512_BF16, {}, "bfloat16", "AVX512_BF16"),
    (_AMX, {}, "bfloat16", "AMX_BF16"),
    (_AVX512_BF16, {"ONEDNN_MAX_CPU_ISA": "avx2"}, "float32", "AVX2"),
    (_AVX512_BF16, {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16"}, "bfloat16",
     "AVX512_BF16"),
    (_AVX512_BF16, {"TF_ENABLE_ONEDNN_OPTS": "0"}, "float32", "oneDNN is off"),
    (_AVX512_BF16, {"TF_ENABLE_ONEDNN_OPTS": "1"}, "bfloat16", "AVX512_BF16"),
])
def test_cpu_choice_follows_the_hardware_and_onednn(flags, environ, name,
                                                    phrase):
  choice = precision.cpu_choice(flags, environ)
  assert choice.name == name
  assert phrase in choice.reason and choice.reason.startswith("auto:")


@pytest.mark.parametrize("capability,name", [
    ((7, 5), "float32"), ((8, 0), "bfloat16"), ((9, 0), "bfloat16"),
    ((6, 1), "float32")])
def test_gpu_choice_needs_compute_capability_8(capability, name):
  assert precision.gpu_choice(capability).name == name


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
  cpuinfo = tmp_path / "cpuinfo"
  cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\n"
                     "flags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\n"
                     "flags\t\t: fpu\n")
  assert precision.cpu_flags(str(cpuinfo)) == {"fpu", "avx2", "avx512_bf16"}
  assert precision.cpu_flags(str(tmp_path / "missing")) == frozenset()


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")),
                    reason="a GPU decides")
def test_auto_on_this_machine_follows_its_cpu():
  assert precision.resolve("auto") == precision.cpu_choice(
      precision.cpu_flags(), os.environ)


@pytest.mark.parametrize("flags,environ,refused", [
    (_AVX512_BF16, {"ONEDNN_MAX_CPU_ISA": "avx2"}, True),
    (_AVX512_BF16, {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}, False),
    (_AVX512_BF16, {"ONEDNN_MAX_CPU_ISA": "AVX2", "TF_ENABLE_ONEDNN_OPTS": "0"},
     False),
    (_AVX2_ONLY, {"ONEDNN_MAX_CPU_ISA": "AVX2"}, False),
    (_AVX512_BF16, {}, False),
])
def test_bfloat16_is_refused_only_where_onednn_cannot_compute_it(
    flags, environ, refused):
  refusal = precision.cpu_refusal(flags, environ)
  assert (refusal is not None) == refused
  if refused:
    assert "ONEDNN_MAX_CPU_ISA=AVX2" in refusal and "float32" in refusal


@pytest.mark.bfloat16
def test_explicit_precisions_are_kept_and_others_refused():
  assert precision.resolve("float32") == precision.Choice("float32",
                                                           "as asked")
  assert precision.resolve("bfloat16").name == "bfloat16"
  with pytest.raises(errors.ArgumentError, match="auto, float32, bfloat16"):
    precision.resolve("float16")


def test_auto_feature_model_computes_in_the_chosen_precision(tiny_backbone):
  chosen = precision.resolve("auto").name
  model = feature_model.feature_model(tiny_backbone, ["block1_conv1"],
                                      precision="auto")
  dtypes = {layer.compute_dtype for layer in model.layers[-1].layers
            if layer.weights}
  assert dtypes == {chosen}


def test_inversion_config_records_the_resolved_precision():
  config = defaults.resolve("vgg19").config
  assert config.precision == "auto"
  record = config.record()
  assert record["precision"] == precision.resolve("auto").name
  assert record["precision_reason"].startswith("auto:")
  assert defaults.resolve("vgg19", precision="float32").config.record()[
      "precision_reason"] == "as asked"


@pytest.mark.slow
def test_tool_logs_and_records_the_choice(tmp_path):
  weights = tool_runs.random_vgg19_weights(str(tmp_path / "w.h5"),
                                           ["block1_conv1"])
  process = tool_runs.run_tool(
      "fmi-invert", "--layer=block1_conv1", "--filters=0", "--size=16",
      "--steps=2", f"--weights={weights}", f"--out={tmp_path}/out",
      env={"ONEDNN_MAX_CPU_ISA": "AVX2"})
  assert process.returncode == 0, process.stderr
  assert "precision float32 (auto: ONEDNN_MAX_CPU_ISA=AVX2" in process.stderr
  record = json.loads((tmp_path / "out" / "block1_conv1_0000.json").read_text())
  assert record["parameters"]["precision"] == "float32"
  assert "ONEDNN_MAX_CPU_ISA=AVX2" in record["parameters"]["precision_reason"]
