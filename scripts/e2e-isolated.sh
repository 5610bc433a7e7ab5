#!/bin/sh
# Run a command (typically `npx playwright test test/e2e/x.spec.ts`) isolated from other browser runs
# on this machine: a private Chromium and Firefox enterprise-policy directory, a private TMPDIR (so the
# browser lock is private) and a private network namespace (own loopback, so ports such as 80 are free).
# usage: scripts/e2e-isolated.sh <command...>
set -e
d=$(mktemp -d /tmp/e2epriv.XXXXXX)
mkdir -p "$d/policies" "$d/tmp" "$d/ffpolicies" /etc/chromium/policies/managed /etc/firefox/policies
exec unshare -m -n --propagation private sh -c '
  d=$1; shift
  ip link set lo up
  mount --bind "$d/policies" /etc/chromium/policies/managed
  mount --bind "$d/ffpolicies" /etc/firefox/policies
  export TMPDIR="$d/tmp"
  exec "$@"' sh "$d" "$@"
