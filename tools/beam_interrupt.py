"""Ctrl-C on a Beam tool: one line and exit status 130, as every tool.

Ctrl-C reaches the tool and every worker process its runner started, and
each of them prints tracebacks: the SDK harnesses, their gRPC threads, the
runner closing them. `quiet_on_interrupt` sends the standard error of the
tool and of every process it starts through a pipe (a pseudo-terminal when
stderr is a terminal) that a thread copies to the real stderr. From the
first Ctrl-C on, the copy drops what comes: the signal's arrival is seen
by the copying thread itself (`signal.set_wakeup_fd`), before any worker or
thread has printed a traceback; what comes is held half a second first, so
that a worker quicker to react than this process is dropped too. Once the
pipeline has unwound, the real
stderr is back for `cli.run`'s one line. The files already written are
whole (every output is written atomically) and a rerun resumes.
"""

import contextlib
import logging
import os
import select
import signal
import sys
import threading
from typing import Callable, Optional

# How long a finished run waits for the last lines of its workers.
_DRAIN_SECONDS = 5
# How long what reaches stderr waits before it is shown: a worker's own
# reaction to Ctrl-C (its traceback, or its log relayed by the runner) can
# reach the pipe just before this process has seen the signal.
_GRACE_SECONDS = 0.5


def _readable(descriptor: int, seconds: float = 0) -> bool:
  return bool(select.select([descriptor], [], [], seconds)[0])


@contextlib.contextmanager
def _stderr_copied(interrupted: threading.Event):
  """Stderr through a pipe whose copy stops once `interrupted` is set;
  yields a function that puts the real stderr back."""
  real = os.dup(2)
  if os.isatty(real):
    source, sink = os.openpty()
  else:
    source, sink = os.pipe()
  os.dup2(sink, 2)
  os.close(sink)

  wakeup_read, wakeup_write = os.pipe()
  os.set_blocking(wakeup_write, False)
  previous_wakeup = signal.set_wakeup_fd(wakeup_write)

  def copy():
    while True:
      ready, _, _ = select.select([source, wakeup_read], [], [])
      if wakeup_read in ready or _readable(wakeup_read):
        interrupted.set()
      if source not in ready:
        continue
      try:
        chunk = os.read(source, 65536)
      except OSError:  # a pseudo-terminal whose last writer closed it
        return
      if not chunk:
        return
      if interrupted.is_set() or _readable(wakeup_read, _GRACE_SECONDS):
        interrupted.set()
      else:
        os.write(real, chunk)

  copier = threading.Thread(target=copy, name="stderr_copy", daemon=True)
  copier.start()
  restored = False

  def restore():
    nonlocal restored
    if not restored:
      sys.stderr.flush()
      os.dup2(real, 2)
      restored = True

  try:
    yield restore
  finally:
    signal.set_wakeup_fd(previous_wakeup)
    restore()
    if not interrupted.is_set():  # what the workers wrote last
      copier.join(timeout=_DRAIN_SECONDS)


def _silence_threads() -> None:
  """No more logs, nor tracebacks of threads, from this process: what the
  runner's threads print while they unwind after Ctrl-C."""
  threading.excepthook = lambda unused_args: None
  logging.disable(logging.CRITICAL)


def quiet_on_interrupt(main: Callable[[list[str]], Optional[int]]
                       ) -> Callable[[list[str]], Optional[int]]:
  """`main`, ending in one KeyboardInterrupt and nothing else on Ctrl-C."""

  def quiet_main(argv):
    interrupted = threading.Event()

    def on_interrupt(*unused):
      interrupted.set()
      _silence_threads()
      raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
      with _stderr_copied(interrupted) as restore:
        try:
          return main(argv)
        except BaseException:
          if not interrupted.is_set():
            raise
          # The pipeline may fail of its workers' interruption before the
          # main thread runs `on_interrupt`: its threads are silenced here.
          _silence_threads()
          restore()
          raise KeyboardInterrupt from None
    finally:
      signal.signal(signal.SIGINT, previous)

  return quiet_main
