#!/usr/bin/env bash
# Debian's dovecot-imapd for the email-reply tests (tests/imap_server.py starts it on loopback with its own
# configuration), installed when missing and apt-get can do it (as root, or through sudo without a password).
# Run by scripts/test; it never fails the run: without dovecot the IMAP tests skip and say why (under CI they
# fail). The package's own service is not used (a container has no init; elsewhere it may stay stopped).
# COMMPLAN_DOVECOT names another executable (the tests read it too).
set -uo pipefail
DOVECOT="${COMMPLAN_DOVECOT:-/usr/sbin/dovecot}"
if [ -x "$DOVECOT" ]; then
  exit 0
fi
say() { echo "scripts/imap.sh: $*" >&2; }
if ! command -v apt-get >/dev/null; then
  say "no apt-get here: install dovecot-imapd yourself, or the IMAP tests skip"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  say "not root and no passwordless sudo: run 'sudo apt-get install dovecot-imapd', or the IMAP tests skip"
  exit 0
fi
apt_install() {
  "${as_root[@]+"${as_root[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd
}
say "installing dovecot-imapd for the IMAP tests ..."
LOG="$(mktemp)"
# a fresh machine has no package lists yet: read them once, then try again
if apt_install >"$LOG" 2>&1 || { "${as_root[@]+"${as_root[@]}"}" apt-get update -q >>"$LOG" 2>&1 && apt_install >>"$LOG" 2>&1; }; then
  say "installed: $("$DOVECOT" --version 2>/dev/null | head -n1)"
else
  tail -n 5 "$LOG" >&2
  say "could not install it: the IMAP tests will skip (and fail under CI)"
fi
rm -f "$LOG"
exit 0
