#!/usr/bin/env bash
# The system packages the tests need, installed from Debian's registry when they are missing.
# Called by `make test` and by .ci/run. As root it installs what is missing with apt-get;
# otherwise it stops at once and prints the one command to run.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)                    # browser tests of the book
command -v pdftotext >/dev/null 2>&1 && command -v pdfimages >/dev/null 2>&1 || missing+=(poppler-utils)  # reading make pdf's output
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)                     # the grading sandbox
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)  # gradebook on PostgreSQL
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)                       # vendoring MathJax and friends
compgen -G "/usr/share/fonts/opentype/noto/NotoSansCJK-*" >/dev/null || missing+=(fonts-noto-cjk)  # Chinese edition
command -v setpriv >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1 || missing+=(util-linux)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: the tests need these system packages: ${missing[*]}" >&2
  echo "Install them (as root), then run make test again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the tests need these system packages, and apt-get is not available to install them: ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages for the tests: ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
