#!/bin/sh
# Install the system packages that `npm start` and `npm test` need and a fresh machine lacks, or
# stop with the one command that installs them. Run by npm's `prestart` and `pretest` hooks (and so
# by CI, which only calls the README's commands).
#
#   sh scripts/system-deps.sh start   Chromium and the fonts its screenshots need
#   sh scripts/system-deps.sh test    the same, plus Firefox ESR and openssl
#
# Only Debian and Ubuntu are installed for automatically, and only as root: apt-get is the one
# installer whose package names we know and test. Elsewhere a browser given by CHROMIUM_PATH (and
# FIREFOX_PATH) is enough; what is missing is said with the command that fixes it.
set -eu

purpose=${1:-test}
case "$purpose" in
  start) why="the demo drives a real Chromium" ;;
  test) why="the end-to-end tests drive real Chromium and Firefox ESR" ;;
  *) echo "system-deps: usage: sh scripts/system-deps.sh start|test" >&2; exit 2 ;;
esac

have_pkg() { command -v dpkg-query >/dev/null 2>&1 && [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

missing=""
# A browser given by path counts whether or not it came from a package.
if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] || { echo "system-deps: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2; exit 1; }
else
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
fi
if [ "$purpose" = test ]; then
  if [ -n "${FIREFOX_PATH:-}" ]; then
    [ -x "$FIREFOX_PATH" ] || { echo "system-deps: FIREFOX_PATH=$FIREFOX_PATH is not an executable file" >&2; exit 1; }
  else
    [ -x /usr/bin/firefox-esr ] || missing="$missing firefox-esr"
  fi
  command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
fi
# Fonts: Latin metrics for stable screenshots, CJK so a Chinese notice renders as text, not boxes.
# Only checked where dpkg can tell; other systems bring their own fonts.
if command -v dpkg-query >/dev/null 2>&1; then
  have_pkg fonts-liberation || missing="$missing fonts-liberation"
  have_pkg fonts-noto-cjk || missing="$missing fonts-noto-cjk"
fi
missing=${missing# }
[ -z "$missing" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "system-deps: installing $missing with apt-get ($why; once per machine)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086 # one word per package
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
    exit 0
  fi
  echo "system-deps: $why, and this machine lacks: $missing. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing" >&2
  exit 1
fi

echo "system-deps: $why, and this machine lacks: $missing." >&2
case "$(uname -s)" in
  Darwin) echo "  Install Chromium (brew install --cask chromium) and run again with CHROMIUM_PATH=/Applications/Chromium.app/Contents/MacOS/Chromium" >&2 ;;
  *) echo "  Install Chromium with your system's package manager and run again with CHROMIUM_PATH=/path/to/chromium (and FIREFOX_PATH for the tests)" >&2 ;;
esac
exit 1
