#!/usr/bin/env bash
# Sourced by scripts/browser.sh and scripts/imap.sh: install Debian packages a group of tests needs, when
# apt-get can (as root, or through sudo without a password). It never fails the run: without the packages
# those tests skip and say why (under CI they fail).
#   install_debian_packages SCRIPT WHAT VERSION_COMMAND PACKAGE...
install_debian_packages() {
  local script="$1" what="$2" version="$3"
  shift 3
  say() { echo "$script: $*" >&2; }
  if ! command -v apt-get >/dev/null; then
    say "no apt-get here: install $* yourself, or the $what skip"
    return 0
  fi
  local as_root=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      say "not root and no passwordless sudo: run 'sudo apt-get install $*', or the $what skip"
      return 0
    fi
  fi
  apt_install() {
    "${as_root[@]+"${as_root[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
  }
  local packages="$*"
  say "installing ${packages// / and } for the $what ..."
  local log
  log="$(mktemp)"
  # a fresh machine has no package lists yet: read them once, then try again
  if apt_install "$@" >"$log" 2>&1 || { "${as_root[@]+"${as_root[@]}"}" apt-get update -q >>"$log" 2>&1 && apt_install "$@" >>"$log" 2>&1; }; then
    say "installed: $($version 2>/dev/null | head -n1)"
  else
    tail -n 5 "$log" >&2
    say "could not install them: the $what will skip (and fail under CI)"
  fi
  rm -f "$log"
  return 0
}
