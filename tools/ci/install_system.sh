#!/bin/sh
# `make system`: the system packages the tests need, installed where this account may install
# them (as root, or through password-less sudo): Chromium for the browser tests, bubblewrap for
# the grader's sandbox, Slurm and munge for its array-job test, acl. Elsewhere it says what is missing; the tests that need it are skipped
# and named in make test's summary (and with CI=true the run fails).
set -u
missing=""
command -v chromium >/dev/null 2>&1 || [ -x "${NPGRAD_CHROMIUM:-/usr/bin/chromium}" ] ||
  missing="$missing chromium"
command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
# the grader's Slurm array-job test (tests/classroom/test_grade_slurm.py), and the ACL that
# lets the ordinary user of the attack tests reach the Python (tools/ci/as_ordinary_user.sh)
command -v slurmctld >/dev/null 2>&1 || missing="$missing slurm-wlm"
command -v munged >/dev/null 2>&1 || missing="$missing munge"
command -v setfacl >/dev/null 2>&1 || missing="$missing acl"
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "make system: not a Debian-like system; install by hand:$missing"
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  as_root() { "$@"; }
elif sudo -n true 2>/dev/null; then
  as_root() { sudo "$@"; }
else
  echo "make system: cannot install$missing here (not root, no password-less sudo);"
  echo "  run: sudo apt-get install$missing"
  exit 0
fi
echo "make system: installing$missing"
# shellcheck disable=SC2086  # the package names are words
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null 2>&1 ||
  { as_root apt-get update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; } ||
  echo "make system: apt-get could not install$missing; the tests that need it will be skipped"
exit 0
