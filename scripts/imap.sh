#!/usr/bin/env bash
# Debian's dovecot-imapd for the email-reply tests (tests/imap_server.py starts it on loopback with its own
# configuration), installed when missing (scripts/debian_packages.sh). Run by scripts/test; it never fails
# the run: without dovecot the IMAP tests skip and say why (under CI they fail). The package's own service is
# not used (a container has no init; elsewhere it may stay stopped).
# COMMPLAN_DOVECOT names another executable (the tests read it too).
set -uo pipefail
DOVECOT="${COMMPLAN_DOVECOT:-/usr/sbin/dovecot}"
if [ -x "$DOVECOT" ]; then
  exit 0
fi
source "${BASH_SOURCE[0]%/*}/debian_packages.sh"  # (no dirname: the tests run it on a PATH of fakes)
install_debian_packages scripts/imap.sh "IMAP tests" "$DOVECOT --version" dovecot-imapd
exit 0
