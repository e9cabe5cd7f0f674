#!/usr/bin/env bash
# Debian's chromium and chromium-driver for the browser tests (tests/browser.py), installed when missing
# (scripts/debian_packages.sh). Run by scripts/test; it never fails the run: without a browser the browser
# tests skip and say why (under CI they fail).
# COMMPLAN_CHROMIUM / COMMPLAN_CHROMEDRIVER name other executables (the tests read them too).
set -uo pipefail
CHROMIUM="${COMMPLAN_CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER="${COMMPLAN_CHROMEDRIVER:-/usr/bin/chromedriver}"
if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
  exit 0
fi
source "${BASH_SOURCE[0]%/*}/debian_packages.sh"  # (no dirname: the tests run it on a PATH of fakes)
install_debian_packages scripts/browser.sh "browser tests" "$CHROMIUM --version" chromium chromium-driver
exit 0
