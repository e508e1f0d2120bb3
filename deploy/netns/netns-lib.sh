# shellcheck shell=bash
# Network namespaces as hosts, for the multi-host proofs on one machine. Sourced (not run) by
# deploy/netns/selftest.sh, deploy/netns/bench-links.sh and deploy/slurm/selftest.sh.
#
# Shape: one namespace PREFIX-br holds a Linux bridge br0; every "host" is a namespace PREFIX-NAME
# whose eth0 is one end of a veth pair, the other end (called NAME) plugged into br0. Addresses
# exist only inside the host namespaces, so nothing touches the machine's own network.
# Exit status 77 means "cannot run here" (not root, no netns/veth/bridge); callers report it as a skip.

netns_prefix=""
netns_names=()

# Exits 77 with a reason unless namespaces, veth pairs and bridges work here; installs the
# Debian packages the deploy tests use (scripts/install-deps.sh deploy) when they are missing.
netns_require() {
    if [ "$(id -u)" -ne 0 ]; then echo "skip: network namespaces need root" >&2; exit 77; fi
    "$(dirname "${BASH_SOURCE[0]}")/../../scripts/install-deps.sh" deploy >&2
    command -v ip >/dev/null || { echo "skip: ip (iproute2) is not installed" >&2; exit 77; }
    local probe="distill-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then echo "skip: ip netns add failed (no network namespaces)" >&2; exit 77; fi
    local ok=1
    ip -n "$probe" link add pa type veth peer name pb 2>/dev/null || ok=0
    [ $ok -eq 1 ] && { ip -n "$probe" link add pbr type bridge 2>/dev/null || ok=2; }
    ip netns del "$probe"
    [ $ok -eq 1 ] || { echo "skip: the kernel refuses $([ $ok -eq 0 ] && echo veth pairs || echo bridges) in a namespace" >&2; exit 77; }
}

# netns_bridge PREFIX: the bridge namespace PREFIX-br with br0 up.
netns_bridge() {
    netns_prefix=$1
    ip netns add "$netns_prefix-br"
    netns_names+=("$netns_prefix-br")
    ip -n "$netns_prefix-br" link add br0 type bridge
    ip -n "$netns_prefix-br" link set br0 up
}

# netns_host NAME ADDRESS/BITS: the host namespace PREFIX-NAME with eth0 at ADDRESS, plugged into br0.
netns_host() {
    local name=$1 address=$2 ns="$netns_prefix-$1"
    ip netns add "$ns"
    netns_names+=("$ns")
    ip link add "$name" netns "$netns_prefix-br" type veth peer name eth0 netns "$ns"
    ip -n "$netns_prefix-br" link set "$name" master br0 up
    ip -n "$ns" addr add "$address" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
}

# netns_cut NAME: pulls host NAME's cable (its port on the bridge goes down).
netns_cut() { ip -n "$netns_prefix-br" link set "$1" down; }

# netns_shape NAME RATE: limits host NAME's traffic both ways to RATE (tc units, e.g. 1gbit) with tbf.
netns_shape() {
    local name=$1 rate=$2 burst
    # tbf needs a bucket of at least rate / HZ; 1/250 s of the rate (at least 64 KiB) is enough for any HZ.
    burst=$(( $(netns_bits_per_second "$rate") / 8 / 250 ))
    [ "$burst" -ge 65536 ] || burst=65536
    tc -n "$netns_prefix-$name" qdisc replace dev eth0 root tbf rate "$rate" burst "$burst" latency 50ms
    tc -n "$netns_prefix-br" qdisc replace dev "$name" root tbf rate "$rate" burst "$burst" latency 50ms
}

# netns_bits_per_second RATE: RATE (e.g. 10gbit, 100mbit, 500kbit) in bits per second.
netns_bits_per_second() {
    local rate=${1,,}
    case "$rate" in
        *gbit) echo $(( ${rate%gbit} * 1000000000 )) ;;
        *mbit) echo $(( ${rate%mbit} * 1000000 )) ;;
        *kbit) echo $(( ${rate%kbit} * 1000 )) ;;
        *bit) echo "${rate%bit}" ;;
        *) echo "netns_bits_per_second: unknown rate $1 (use gbit, mbit, kbit or bit)" >&2; return 1 ;;
    esac
}

# netns_session KIND: a scratch folder /tmp/distill-KIND.XXXXXX in $scratch, and traps that end
# the session on exit, also on failure or a signal (DISTILL_KEEP=1 keeps the folder for reading).
netns_session() {
    scratch=$(mktemp -d "/tmp/distill-$1.XXXXXX")
    trap netns_end_session EXIT
    trap 'exit 1' INT TERM
}

# netns_end_session: tears the namespaces down and removes the scratch folder.
netns_end_session() {
    trap '' INT TERM
    disown -a 2>/dev/null || true
    netns_teardown
    if [ "${DISTILL_KEEP:-0}" = 1 ]; then echo "scratch kept in $scratch" >&2; else rm -rf "$scratch"; fi
}

# netns_teardown: kills every process left in the namespaces made here and deletes them.
netns_teardown() {
    local ns pids
    for ns in "${netns_names[@]}"; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
    done
    for ns in "${netns_names[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    netns_names=()
}
