#!/usr/bin/env bash
# Install the browser the widget tests and `make screenshots` drive: Debian's chromium and a
# font with full Swedish coverage (å, ä, ö). Idempotent: does nothing when both are there.
# Playwright's own `playwright install` downloads a browser build from outside the package
# registries, so the tests use this system chromium through `executable_path` instead.
#   CHROMIUM=/path/to/chromium tools/install-browser.sh   → only checks that path
set -euo pipefail

chromium="${CHROMIUM:-/usr/bin/chromium}"
packages=()
[ -x "$chromium" ] || packages+=(chromium)
# DejaVu alone renders Swedish, but Liberation gives the metrics of the fonts intranets use.
dpkg -s fonts-liberation2 >/dev/null 2>&1 || packages+=(fonts-liberation2)

if [ "${#packages[@]}" -eq 0 ]; then
  exit 0
fi
if [ -n "${CHROMIUM:-}" ] && [ ! -x "$chromium" ]; then
  echo "Webbläsaren $chromium finns inte." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Saknas: ${packages[*]}. Installera som root: apt-get install ${packages[*]}" >&2
  exit 1
fi
echo "Installerar ${packages[*]} (Debian) för webbläsartesterna …"
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a colleague, unattended upgrades) may hold the lock: wait instead of failing.
apt_opts=(-o DPkg::Lock::Timeout=600 -q)
# Without package lists (a fresh machine) install cannot find anything: update first then.
if ! apt-get "${apt_opts[@]}" install -y --no-install-recommends "${packages[@]}"; then
  apt-get "${apt_opts[@]}" update
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${packages[@]}"
fi
"$chromium" --version
