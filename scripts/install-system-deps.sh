#!/usr/bin/env bash
# Installs the Debian packages Phantom Grid needs to build, run and test.
# Idempotent: packages already present are skipped, so re-running is cheap.
set -euo pipefail

PACKAGES=(
  # native addon (node-gyp)
  g++ make python3
  # UI tests and the browser fallback
  chromium xvfb fonts-dejavu-core
  # O-Remote guests: QEMU, the guest's userland, image tools
  qemu-system-x86 qemu-utils busybox-static cpio kmod zstd
  # network tests: namespaces, bridges, tc; a DNS server taking RFC 2136 updates
  iproute2 bind9 bind9-dnsutils dnsmasq-base
  # cgroup and process tools used by QoS tests
  procps util-linux
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all ${#PACKAGES[@]} present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "error: these Debian packages are missing: ${missing[*]}" >&2
  echo "Install them as root (apt-get install ${missing[*]}) or run this script with sudo rights." >&2
  exit 1
fi

echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# bind9's packaged service is not wanted: tests start their own named on loopback.
if command -v systemctl >/dev/null 2>&1; then "${SUDO[@]}" systemctl disable --now named >/dev/null 2>&1 || true; fi
echo "system packages: done"
