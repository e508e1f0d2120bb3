#!/usr/bin/env bash
# Runs deploy/slurm/distill.sbatch on a real Slurm cluster of three nodes emulated on this
# machine: Debian's slurmctld, slurmd and munge (slurm-wlm 22.05), installed with apt-get if
# missing (scripts/install-deps.sh deploy). Every node is a slurmd in its own network namespace with its own address (veth pairs
# into a bridge in a namespace of its own), the controller likewise; a private munged (as the munge
# user) signs their messages, and the node names resolve only inside the daemons' mount namespaces.
# The job's coordinator and two workers run through srun; worker task 2 is killed mid-run, and the
# job must still end COMPLETED with a summary.json. Everything is torn down on exit, also on failure.
# Exit 0 only when all of it held; 77 when this machine cannot run it; 1 otherwise. The last line
# says which.
#
# Usage: deploy/slurm/selftest.sh   (DISTILL_BIN: folder of the binaries, default .build/release;
#                                    DISTILL_KEEP=1 keeps the scratch folder for reading)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=deploy/netns/netns-lib.sh
source "$here/../netns/netns-lib.sh"
bin=$(cd "${DISTILL_BIN:-$here/../../.build/release}" && pwd)
netns_require
command -v nsenter >/dev/null && command -v unshare >/dev/null || { echo "skip: nsenter/unshare (util-linux) missing" >&2; exit 77; }
netns_session slurm
chmod 755 "$scratch"   # the munge user must reach its folder inside
daemons=()
stop_daemons() {
    trap '' INT TERM
    local pid
    for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 1
    for pid in "${daemons[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    netns_end_session
}
trap stop_daemons EXIT
fail() {
    echo "--- job output and daemon logs ---" >&2
    tail -n 25 "$scratch/job.out" >&2 2>/dev/null || true
    tail -n 8 "$scratch"/log/*.log >&2 2>/dev/null || true
    echo "FAILED: $*"
    exit 1
}

# Munge: a fresh key and a private socket, so a munged already running here is not disturbed.
mkdir -p "$scratch/munge" "$scratch/log" "$scratch/state" "$scratch/spool"
dd if=/dev/urandom of="$scratch/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$scratch/munge"
chmod 700 "$scratch/munge"
chmod 400 "$scratch/munge/munge.key"
runuser -u munge -- munged --foreground --force --socket="$scratch/munge/munge.socket" --key-file="$scratch/munge/munge.key" \
    --pid-file="$scratch/munge/munged.pid" --seed-file="$scratch/munge/munged.seed" --log-file="$scratch/munge/munged.log" \
    > "$scratch/log/munged.out" 2>&1 &
daemons+=($!)

netns_bridge "dslurm-$$"
netns_host ctl 10.78.0.1/24
for i in 1 2 3; do netns_host "n$i" "10.78.0.1$i/24"; done
controller=$(hostname -s)   # slurmctld only runs on a host named in SlurmctldHost
printf '127.0.0.1 localhost\n10.78.0.1 %s\n10.78.0.11 n1\n10.78.0.12 n2\n10.78.0.13 n3\n' "$controller" > "$scratch/hosts"

export SLURM_CONF="$scratch/slurm.conf"
cat > "$SLURM_CONF" <<EOF
ClusterName=distilltest
SlurmctldHost=$controller(10.78.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$scratch/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool/%n
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd-%n.pid
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd-%n.log
SlurmctldPort=6817
NodeName=n[1-3] NodeAddr=10.78.0.1[1-3] Port=6818 CPUs=1 State=UNKNOWN
PartitionName=test Nodes=n[1-3] Default=YES MaxTime=30 State=UP
EOF

# in_host NAME COMMAND...: runs COMMAND in host NAME's network namespace, with the cluster's
# /etc/hosts bound over the machine's in a private mount namespace (nsenter, not `ip netns exec`,
# which remounts /sys and breaks slurmd's cgroup detection).
in_host() {
    local name=$1; shift
    nsenter --net="/run/netns/$netns_prefix-$name" unshare --mount --propagation private \
        sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$scratch/hosts" "$@"
}

until [ -S "$scratch/munge/munge.socket" ]; do sleep 0.1; kill -0 "${daemons[0]}" 2>/dev/null || fail "munged did not start"; done
in_host ctl slurmctld -D -i -f "$SLURM_CONF" > "$scratch/log/slurmctld.out" 2>&1 &
daemons+=($!)
for i in 1 2 3; do
    in_host "n$i" slurmd -D -N "n$i" -f "$SLURM_CONF" > "$scratch/log/slurmd-n$i.out" 2>&1 &
    daemons+=($!)
done
started=$SECONDS
until [ "$(in_host ctl sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)" -eq 3 ]; do
    [ $((SECONDS - started)) -lt 120 ] || fail "the three nodes did not come up idle within 2 minutes"
    sleep 1
done
echo "slurm cluster up: $(in_host ctl sinfo -h -o '%P %D nodes %N %t')"

out="$scratch/run"
export DISTILL_BIN="$bin" DISTILL_KEYS="$scratch/keys"
job=$(in_host ctl sbatch --parsable --nodes=3 --ntasks-per-node=1 --chdir="$scratch" --output="$scratch/job.out" \
    "$here/distill.sbatch" "$out" \
    --set model.spec=hinton-student --set data.train_size=600 --set data.test_size=64 --set train.batch_size=48 \
    --set train.shards=6 --set train.steps=24 --set train.log_every=1 --set seed=5)
echo "submitted job $job"

job_state() { in_host ctl scontrol show job "$job" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# Kill worker task 2 (the worker process on n3) once the run is past step 3.
started=$SECONDS
until grep -q '"step":3,' "$out/metrics.jsonl" 2>/dev/null; do
    case "$(job_state)" in PENDING|RUNNING|CONFIGURING|"") ;; *) fail "job $job ended ($(job_state)) before step 3";; esac
    [ $((SECONDS - started)) -lt 600 ] || fail "job $job reached no step 3 within 10 minutes"
    sleep 0.5
done
victim=""
for pid in $(ip netns pids "$netns_prefix-n3"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = distill-worker ] && victim=$pid
done
[ -n "$victim" ] || fail "no distill-worker process on n3 to kill"
kill -9 "$victim"
echo "killed worker task 2 (pid $victim on n3) after step 3"

started=$SECONDS
while case "$(job_state)" in PENDING|RUNNING|CONFIGURING|COMPLETING) true;; *) false;; esac; do
    [ $((SECONDS - started)) -lt 900 ] || fail "job $job still running after 15 minutes"
    sleep 1
done
state=$(job_state)
[ "$state" = COMPLETED ] || fail "job $job ended $state, not COMPLETED"
grep -q '"completed" : true' "$out/summary.json" || fail "$out/summary.json does not say completed"
grep -qE "^0: .*coordinator listening on tcp://" "$scratch/job.out" || fail "task 0 was not the coordinator"
joined=$(grep -cE "^0: worker worker-[12]@n[23] joined" "$scratch/job.out" || true)
[ "$joined" -eq 2 ] || fail "expected both workers (tasks 1 and 2 on n2 and n3) to join, saw $joined"
grep -q "task 2: Killed" "$scratch/job.out" || fail "srun never reported worker task 2 killed"
grep -E "^0: done: " "$scratch/job.out"
echo "PROVED: sbatch distill.sbatch ran on a 3-node Slurm 22.05 cluster (nodes in separate network namespaces): coordinator on n1 and workers on n2, n3 through srun; worker task 2 killed at step 3; job $job COMPLETED with summary.json completed"
