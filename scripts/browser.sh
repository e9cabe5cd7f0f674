#!/usr/bin/env bash
# Debian's chromium and chromium-driver for the browser tests (tests/browser.py), installed when
# missing and apt-get can do it (as root, or through sudo without a password). Run by scripts/test;
# it never fails the run: without a browser the browser tests skip and say why (under CI they fail).
# COMMPLAN_CHROMIUM / COMMPLAN_CHROMEDRIVER name other executables (the tests read them too).
set -uo pipefail
CHROMIUM="${COMMPLAN_CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER="${COMMPLAN_CHROMEDRIVER:-/usr/bin/chromedriver}"
if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
  exit 0
fi
say() { echo "scripts/browser.sh: $*" >&2; }
if ! command -v apt-get >/dev/null; then
  say "no apt-get here: install chromium and chromium-driver yourself, or the browser tests skip"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  say "not root and no passwordless sudo: run 'sudo apt-get install chromium chromium-driver', or the browser tests skip"
  exit 0
fi
apt_install() {
  "${as_root[@]+"${as_root[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
}
say "installing chromium and chromium-driver for the browser tests ..."
LOG="$(mktemp)"
# a fresh machine has no package lists yet: read them once, then try again
if apt_install >"$LOG" 2>&1 || { "${as_root[@]+"${as_root[@]}"}" apt-get update -q >>"$LOG" 2>&1 && apt_install >>"$LOG" 2>&1; }; then
  say "installed: $("$CHROMIUM" --version 2>/dev/null | head -n1)"
else
  tail -n 5 "$LOG" >&2
  say "could not install them: the browser tests will skip (and fail under CI)"
fi
rm -f "$LOG"
exit 0
