"""paramiko against dropgate's SFTP server (run by tests/sftp.rs through tools/test-venv).

usage: sftp_paramiko.py PORT KEY PASSWORD PO_FILE PO_FILE_2 OUT_DIR IDLE_SECS

Checks protocol behaviour with asserts and prints what it saw as JSON for
the Rust side to compare with the store.
"""

import errno
import io
import json
import struct
import sys
import time

import paramiko

port, key_file, password, po1, po2, out_dir, idle = sys.argv[1:8]
port, idle = int(port), int(idle)
key = paramiko.Ed25519Key.from_private_key_file(key_file)


def connect(user, **auth):
    t = paramiko.Transport(("127.0.0.1", port))
    t.connect(username=user, **auth)
    return t, paramiko.SFTPClient.from_transport(t)


def refused(fn, code):
    try:
        fn()
    except IOError as e:
        assert e.errno == code, f"expected errno {code}, got {e!r}"
        return
    raise AssertionError(f"{fn} was not refused")


def fails(fn):
    try:
        fn()
    except (IOError, paramiko.SSHException, UnicodeError) as e:
        return repr(e)
    raise AssertionError(f"{fn} did not fail")


seen = {}
t, s = connect("acme", pkey=key)
seen["cipher"] = t.remote_cipher

# The tree, and paths that stay inside it.
assert sorted(s.listdir("/")) == ["inbound", "outbound"], s.listdir("/")
assert s.normalize(".") == "/"
assert s.normalize("/inbound/../../..") == "/"
assert s.stat("/inbound").st_mode & 0o170000 == 0o040000
assert s.lstat("/outbound").st_mode & 0o170000 == 0o040000

# put (with paramiko's default size check after close), then a .part and posix-rename.
with open(po1, "rb") as f:
    data1 = f.read()
attrs = s.putfo(io.BytesIO(data1), "/inbound/PY1.edi")
assert attrs.st_size == len(data1), attrs
with open(po2, "rb") as f:
    data2 = f.read()
s.putfo(io.BytesIO(data2), "/inbound/PY2.edi.part", confirm=False)
assert s.stat("/inbound/PY2.edi.part").st_size == len(data2)
s.putfo(io.BytesIO(b"other"), "/inbound/OTHER.part", confirm=False)
# A plain rename does not overwrite; posix-rename does.
fails(lambda: s.rename("/inbound/OTHER.part", "/inbound/PY2.edi.part"))
s.remove("/inbound/OTHER.part")
s.posix_rename("/inbound/PY2.edi.part", "/inbound/PY2.edi")
assert s.listdir("/inbound") == [], s.listdir("/inbound")

# setstat and fsetstat are accepted (and ignored).
s.putfo(io.BytesIO(b"x"), "/inbound/T.tmp", confirm=False)
s.chmod("/inbound/T.tmp", 0o600)
s.utime("/inbound/T.tmp", (1, 1))
with s.open("/inbound/T.tmp", "a") as f:
    f.chmod(0o600)
    assert f.stat().st_size >= 0
s.remove("/inbound/T.tmp")

# Writes out of order are put in place; a gap or a write into a part
# already stored (the tests' chunks are 16 KiB) is refused, nothing taken
# (paramiko does not report a failed close: the log and the ledger say).
with s.open("/inbound/OOO.edi", "w", bufsize=0) as f:
    f.seek(5)
    f.write(b"WORLD")
    f.seek(0)
    f.write(b"HELLO")
gap = s.open("/inbound/GAP.edi", "w", bufsize=0)
gap.seek(100)
gap.write(b"after a hole")
gap.close()
back = s.open("/inbound/BACK.edi", "w", bufsize=0)
back.write(b"a" * 40000)
back.seek(0)
seen["rewrite"] = fails(lambda: back.write(b"b"))
back.close()

# Refusals, with their codes.
refused(lambda: s.mkdir("/inbound/sub"), errno.EACCES)
refused(lambda: s.rmdir("/outbound"), errno.EACCES)
refused(lambda: s.open("/outbound/mine.edi", "w"), errno.EACCES)
refused(lambda: s.open("/elsewhere.edi", "w"), errno.EACCES)
refused(lambda: s.stat("/inbound/../outbound"), errno.EACCES)
refused(lambda: s.open("/inbound/../../etc/passwd", "r"), errno.EACCES)
refused(lambda: s.stat("/outbound/no-such-file"), errno.ENOENT)
refused(lambda: s.stat("/etc"), errno.ENOENT)
refused(lambda: s.symlink("/outbound", "/inbound/link"), errno.EACCES)
seen["nul"] = fails(lambda: s.open("/inbound/a\x00b.edi", "w"))
seen["non_utf8"] = fails(lambda: s.open(b"/inbound/\xff\xfe.edi", "w"))
assert s.listdir("/inbound") == []

# /outbound: every waiting document (several READDIR pages), one read and removed.
names = sorted(a.filename for a in s.listdir_attr("/outbound"))
seen["outbound"] = names
first = names[0]
size = s.stat("/outbound/" + first).st_size
buf = io.BytesIO()
s.getfo("/outbound/" + first, buf)
assert len(buf.getvalue()) == size
with open(f"{out_dir}/paramiko-got.edi", "wb") as f:
    f.write(buf.getvalue())
seen["got"] = first
s.remove("/outbound/" + first)
refused(lambda: s.stat("/outbound/" + first), errno.ENOENT)
refused(lambda: s.remove("/outbound/" + first), errno.ENOENT)
s.close()
t.close()

# A packet longer than the limit ends the channel (before anything is read into it).
t, _ = connect("acme", pkey=key)
chan = t.open_session()
chan.invoke_subsystem("sftp")
chan.sendall(struct.pack(">IBI", 5, 1, 3))
version = chan.recv(4096)
assert version[4] == 2, version
chan.sendall(struct.pack(">IB", 10_000_000, 6) + b"x" * 1000)
chan.settimeout(10)
rest = b""
while True:
    got = chan.recv(4096)
    if not got:
        break
    rest += got
seen["too_long_closed"] = chan.closed or chan.exit_status_ready() or rest == b""
t.close()

# A password login; a wrong password, an unknown user.
t, s = connect("acme", password=password)
assert len(s.listdir("/outbound")) == len(names) - 1
s.close()
t.close()
for user, pw in [("acme", password + "x"), ("nobody", password)]:
    try:
        connect(user, password=pw)
    except paramiko.AuthenticationException:
        pass
    else:
        raise AssertionError(f"{user} logged in with a wrong password")

# An idle session is closed by the server.
t, s = connect("acme", pkey=key)
time.sleep(idle + 2)
seen["idle"] = fails(lambda: s.listdir("/"))
t.close()

print(json.dumps(seen))
