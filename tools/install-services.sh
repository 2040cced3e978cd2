#!/usr/bin/env bash
# Install the servers the scale-out test (tests/scale, `make test-scale`) starts by itself:
# Debian's PostgreSQL (tracker store) and Redis (lock store). Idempotent: does nothing when
# both are there. The test runs its own instances on free ports in a temporary directory;
# the system services these packages bring are neither needed nor used.
set -euo pipefail

packages=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)

if [ "${#packages[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Saknas: ${packages[*]}. Installera som root: apt-get install ${packages[*]}" >&2
  exit 1
fi
echo "Installerar ${packages[*]} (Debian) för skalningstestet …"
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a colleague, unattended upgrades) may hold the lock: wait instead of failing.
apt_opts=(-o DPkg::Lock::Timeout=600 -q)
# Without package lists (a fresh machine) install cannot find anything: update first then.
if ! apt-get "${apt_opts[@]}" install -y --no-install-recommends "${packages[@]}"; then
  apt-get "${apt_opts[@]}" update
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${packages[@]}"
fi
ls /usr/lib/postgresql/*/bin/initdb >/dev/null
redis-server --version
