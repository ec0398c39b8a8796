# SPDX-License-Identifier: MIT
"""amber - the helper library of the Python integration tests (stdlib only).

Every Python test takes what it shares with others from here, one rule for
each thing:

  amber           skipping (exit 77) and what a test needs to run, the
                  amberfs binary under test, deadlines, waiting for a
                  condition, SIGTERM (meson's timeout) unwinding the test
  amber.mounts    a temporary directory that owns every mount made in it:
                  amberfs in the background (daemon mode) or as our child
                  (-f), kernel overlayfs, mounts a test makes itself; all
                  unmounted and their daemons ended by pid, whatever happens
  amber.users     a function run as another user in a forked child
  amber.auditlog  reading the audit log and verifying it independently of
                  amber-log (chain, seq, announced gaps, totals, contract);
                  the only place that knows the log's schema, whose names
                  it reads from `amber-log schema --json`
  amber.amberlog  running amber-log and genlog, and the checks the
                  logtool tests report through

A test finds the package with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import amber  # noqa: E402

meson passes AMBERFS and AMBER_LOG (and, to the logtool tests, GENLOG);
by hand, set them to the binaries of a build directory.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77


def skip(why):
    """Ends the test as skipped (meson counts exit status 77 as SKIP)."""
    print("SKIP: " + why)
    sys.exit(SKIP)


def amberfs():
    """The amberfs under test ($AMBERFS).  Not set is a mistake in how the
    test was started, not a property of the machine: a failure, not a skip."""
    amb = os.environ.get("AMBERFS")
    if not amb or not os.access(amb, os.X_OK):
        print("FAIL: $AMBERFS is not set to an executable amberfs binary")
        sys.exit(1)
    return amb


def _has_fs(name):
    with open("/proc/filesystems") as f:
        return any(line.split()[-1] == name for line in f if line.strip())


def require(root=True, fuse=True, overlay=False, tools=()):
    """Skips the test unless the machine can run it: root, /dev/fuse and
    fusermount3 (fuse), kernel overlayfs (overlay; loaded with modprobe if
    need be) and the given commands.  Returns amberfs() when fuse is asked
    for, else None."""
    if root and os.geteuid() != 0:
        skip("needs root")
    if fuse and not os.path.exists("/dev/fuse"):
        skip("/dev/fuse is missing")
    missing = [t for t in (("fusermount3",) if fuse else ()) + tuple(tools) if not shutil.which(t)]
    if missing:
        skip("missing: " + ", ".join(missing))
    if overlay and not _has_fs("overlay"):
        try:
            subprocess.run(["modprobe", "overlay"], check=False, capture_output=True)
        except OSError:
            pass
        if not _has_fs("overlay"):
            skip("kernel overlayfs is not available")
    return amberfs() if fuse else None


def wait_until(pred, timeout=10.0, what="condition"):
    """pred()'s first true value, polled; AssertionError after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Timeout(Exception):
    pass


def alarm(seconds):
    """Raises Timeout in the main thread after `seconds` (cleanup still runs
    through the context managers); alarm(0) cancels."""
    def handler(signum, frame):
        raise Timeout("timed out after %d s" % seconds)
    signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)


class Terminated(Exception):
    """SIGTERM (meson's timeout): not caught by the tests, so the run stops
    after unwinding through every cleanup."""


def _on_sigterm(signum, frame):
    # Once: a second SIGTERM (meson's and a wrapper's, say) must not cut
    # the unwinding short and leave a mount behind.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated("terminated by signal %d" % signum)


# meson sends SIGTERM on timeout: unwind through the cleanup code, so that
# whatever the test mounted is unmounted.  (Forked children that must not
# unwind reset it: amber.users does.)
signal.signal(signal.SIGTERM, _on_sigterm)
