"""A real IMAP server for the tests: Debian's dovecot-imapd (scripts/imap.sh installs it), started on a loopback
port with a configuration of its own in a temporary folder: one user in a passwd-file, a Maildir, plaintext
login allowed (loopback only, no TLS). Run as the current user; as root, its processes and the mail belong
to the unprivileged `dovecot` system user (dovecot refuses to keep mail as root)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = os.environ.get("COMMPLAN_DOVECOT") or shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "nhacviec", "mat-khau-thu-nghiem"


@dataclass(frozen=True)
class Imap:
    host: str
    port: int
    user: str
    password: str
    log: Path

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/{folder}"


def require_dovecot() -> str:
    if os.path.exists(DOVECOT) and os.access(DOVECOT, os.X_OK):
        return DOVECOT
    message = ("dovecot is not installed (scripts/imap.sh installs Debian's dovecot-imapd when it can: "
               "run it as root, or `apt-get install dovecot-imapd`)")
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(f"SKIPPED WITHOUT DOVECOT: {message}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dovecot(extra: str = "") -> Iterator[Imap]:
    """A running server (`extra`: more configuration lines); its folder (in the system's temporary folder: dovecot's unprivileged user must reach
    it, which a root-owned pytest tmp_path does not let it) is removed afterwards."""
    binary = require_dovecot()
    folder = Path(tempfile.mkdtemp(prefix="commplan-dovecot-"))
    account = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    port = _free_port()
    for sub in ("run", "mail", "state"):
        (folder / sub).mkdir(exist_ok=True)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    config = folder / "dovecot.conf"
    log = folder / "dovecot.log"
    config.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {account.pw_name}
default_internal_group = {_group(account.pw_gid)}
default_login_user = {account.pw_name}
first_valid_uid = {account.pw_uid}
last_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{folder}/mail/%u
mail_uid = {account.pw_uid}
mail_gid = {account.pw_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={account.pw_uid} gid={account.pw_gid} home={folder}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  imap_idle_notify_interval = 1 secs
}}
{extra}
""", encoding="utf-8")
    if os.geteuid() == 0:
        for path in (folder, folder / "mail", folder / "state", folder / "passwd"):
            os.chown(path, account.pw_uid, account.pw_gid)
    child = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if child.poll() is not None or time.monotonic() > deadline:
                error = child.stderr.read().decode(errors="replace") if child.stderr else ""
                logged = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"dovecot did not start: {error}\n{logged}")
            time.sleep(0.1)
        yield Imap("127.0.0.1", port, USER, PASSWORD, log)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)


def _group(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name
