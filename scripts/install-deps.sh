#!/usr/bin/env bash
# Installs the Debian packages Distill builds and tests against, when they are missing.
# Usage: scripts/install-deps.sh             what the build and `make test` need
#        scripts/install-deps.sh deploy      also what the deploy recipe tests run: Slurm and munge,
#                                            iproute2 and util-linux (namespaces), docker-compose
#                                            (called by those tests themselves, so `make dist` and
#                                            the container build stay lean)
set -euo pipefail
packages=(pkg-config libzmq3-dev libopenblas-dev zlib1g-dev dataset-fashion-mnist)
case "${1:-}" in
    "") ;;
    deploy) packages=(slurm-wlm munge iproute2 util-linux docker-compose python3-venv) ;;
    *) echo "usage: scripts/install-deps.sh [deploy]" >&2; exit 64 ;;
esac
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
