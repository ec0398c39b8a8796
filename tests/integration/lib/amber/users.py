# SPDX-License-Identifier: MIT
"""amber.users - running a function as another user.

in_child() runs fn(*args) in a forked child that has dropped to a user
(setgroups, setgid, setuid: no capabilities left) and sends what came of it
back through a pipe; as_user() and attempt() are the two ways the tests
want it: the function's (picklable) result, or the errno of a syscall that
is expected to fail, with the pid that made it (for matching audit
records).  setpriv() is the same drop for a command line.
"""
import collections
import os
import pickle
import signal

User = collections.namedtuple("User", "name uid gid groups")

ROOT = User("root", 0, 0, (0,))
NOBODY = User("nobody", 65534, 65534, ())


def user(uid):
    """A user with gid = uid and no supplementary groups."""
    return User(str(uid), uid, uid, ())


class ChildError(RuntimeError):
    pass


def drop_to(u):
    """In a child: become u for good (no way back, no capabilities).  Root
    stays as it is."""
    if u.uid == 0:
        return
    os.setgroups(list(u.groups))
    os.setgid(u.gid)
    os.setuid(u.uid)


def in_child(fn, *args, user=None):
    """fn(*args) in a forked child (as user, if given).  Returns (pid, what,
    value, text): what is "ok" (value: fn's result), "oserror" (value: the
    errno), "exc" (any other exception) or "died" (the child sent nothing);
    text is "Type: message" of the exception."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                if user:
                    drop_to(user)
                data = pickle.dumps(("ok", fn(*args), None))
            except OSError as e:
                data = pickle.dumps(("oserror", e.errno, "%s: %s" % (type(e).__name__, e)))
            except BaseException as e:  # reported to the parent
                data = pickle.dumps(("exc", None, "%s: %s" % (type(e).__name__, e)))
            with os.fdopen(w, "wb") as f:
                f.write(data)
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    if not data:
        return pid, "died", None, None
    return (pid,) + pickle.loads(data)


def as_user(u, fn, *args):
    """fn(*args) run as u; its (picklable) result.  An exception in the
    child is raised here as ChildError."""
    pid, what, val, text = in_child(fn, *args, user=u)
    if what == "died":
        raise ChildError("child as %s died without a result" % u.name)
    if what != "ok":
        raise ChildError("as %s: %s" % (u.name, text))
    return val


def attempt(fn, user=None):
    """(pid, errno) of fn() in a fresh process (as user, if given): 0 when
    it succeeded, 254 for an OSError without errno, 255 for any other
    exception."""
    pid, what, val, _ = in_child(fn, user=user)
    if what == "ok":
        return pid, 0
    if what == "oserror":
        return pid, val or 254
    return pid, 255


def setpriv(u):
    """The argv prefix that runs a command as u."""
    groups = ["--groups=" + ",".join(map(str, u.groups))] if u.groups else ["--clear-groups"]
    return ["setpriv", "--reuid=%d" % u.uid, "--regid=%d" % u.gid] + groups
