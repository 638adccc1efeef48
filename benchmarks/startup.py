r"""What starting and ending a tool costs, against a plain TensorFlow script.

Times two processes from launch to exit, interleaved `--repeats` times:

* plain: imports Keras and TensorFlow and lists the devices, as any
  TensorFlow script does, then exits;
* fmi_tf.tools: the same through the tools package, which pauses the
  garbage collector while they load and then freezes the objects they made.

Prints the median of each and what the second saves per run.

Usage:
  python benchmarks/startup.py
"""

import statistics

from absl import app
from absl import flags
import machine
import processes

_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed runs of each process.",
                                lower_bound=1)


def main(argv):
  del argv
  machine.print_header()
  times = {name: [] for name in processes.STARTUPS}
  for _ in range(_REPEATS.value):
    for name, process in processes.STARTUPS.items():
      times[name].append(processes.seconds(process))
  print(f"launch to exit, median of {_REPEATS.value} runs")
  medians = {name: statistics.median(t) for name, t in times.items()}
  for name, median in medians.items():
    print(f"  {name:13} {median:5.2f} s  (runs: "
          f"{', '.join(f'{t:.2f}' for t in times[name])})")
  saved = medians["plain"] - medians["fmi_tf.tools"]
  print(f"frozen collector saves {saved:.2f} s per run "
        f"({saved / medians['plain']:.0%})")


if __name__ == "__main__":
  app.run(main)
