#!/bin/sh
# Run a command as an ordinary user, so that the grader's attack tests run both as root and
# as a user who cannot install or read root's files (issue 26):
#
#   sudo tools/ci/as_ordinary_user.sh .venv/bin/python -m pytest tests/classroom -p no:cacheprovider
#
# Needs root. Creates two accounts without a login if they are missing: classroom-ci (who
# runs the command) and classroom-sandbox (whom a grader running as root runs the
# notebooks as; without it the grader uses nobody). Where the Python the command names
# lives under a folder the user cannot pass (pyenv under /root, say), it lets that user
# (and only that user) pass it with an ACL (setfacl: Debian package acl): listing stays
# refused. The command runs in the current folder with HOME=/tmp.
set -eu
[ "$(id -u)" = 0 ] || { echo "as_ordinary_user.sh: run it as root" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: as_ordinary_user.sh COMMAND [ARGS...]" >&2; exit 2; }
user=${CLASSROOM_CI_USER:-classroom-ci}
for account in "$user" classroom-sandbox; do
    id "$account" >/dev/null 2>&1 ||
        useradd --system --no-create-home --shell /usr/sbin/nologin "$account"
done
can_pass() { runuser -u "$user" -- test -x "$1"; }
for path in "$(readlink -f "$1")" "$(pwd)"; do
    dir=$(dirname "$path")
    while [ "$dir" != / ]; do
        if ! can_pass "$dir"; then
            command -v setfacl >/dev/null || apt-get install -y -qq acl >/dev/null
            setfacl -m "u:$user:x" "$dir"
        fi
        dir=$(dirname "$dir")
    done
done
exec runuser -u "$user" -- env HOME=/tmp "$@"
