#!/usr/bin/env bash
# A throwaway single-node Slurm cluster for tests/test_slurm.c: munged, slurmctld and slurmd
# on localhost as root, every file (key, socket, state, spool, logs, pid files) under DIR,
# ports from the caller. Debian 12's slurm-wlm 22.05 and munge (scripts/deps.sh).
#
#   tests/slurm_cluster.sh start DIR CTLD_PORT SLURMD_PORT   prints SLURM_CONF=DIR/slurm.conf
#   tests/slurm_cluster.sh stop DIR                          kills the daemons by their pids
#
# start fails (exit 1) with the reason on stderr and the daemons' logs when the cluster does
# not come up within 20 s; stop is safe to run any number of times.
set -uo pipefail
cmd=${1:?start or stop}
dir=${2:?directory}

stop() {
    for name in slurmd slurmctld munged; do
        pidfile="$dir/$name.pid"
        [ -s "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null
        fi
        rm -f "$pidfile"
    done
}

fail() {
    echo "slurm_cluster.sh: $*" >&2
    for log in "$dir"/log/*.log; do
        [ -f "$log" ] && { echo "---- $log" >&2; tail -n 20 "$log" >&2; }
    done
    stop
    exit 1
}

if [ "$cmd" = stop ]; then
    stop
    exit 0
fi
[ "$cmd" = start ] || { echo "slurm_cluster.sh: start or stop, not '$cmd'" >&2; exit 2; }
ctld_port=${3:?slurmctld port}
slurmd_port=${4:?slurmd port}
[ "$(id -u)" = 0 ] || fail "must run as root (slurmd runs jobs as their users)"
for p in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd sbatch squeue scancel sinfo scontrol; do
    command -v "$p" >/dev/null || fail "$p is missing: install slurm-wlm and munge (scripts/deps.sh)"
done

mkdir -p "$dir"/state "$dir"/spool "$dir"/log || fail "cannot create $dir"
chmod 755 "$dir"
# munged refuses a key others can read, and a socket folder others can write.
head -c 1024 /dev/urandom > "$dir/munge.key" && chmod 400 "$dir/munge.key" || fail "cannot write the munge key"
/usr/sbin/munged --force --socket="$dir/munge.sock" --key-file="$dir/munge.key" \
    --log-file="$dir/log/munged.log" --pid-file="$dir/munged.pid" --seed-file="$dir/munged.seed" \
    || fail "munged did not start"

cpus=$(nproc)
cat > "$dir/slurm.conf" <<CONF
ClusterName=zstest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
KillWait=10
InactiveLimit=0
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=zsnode NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=zs Nodes=zsnode Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
# -i: no state to recover (a fresh cluster)
/usr/sbin/slurmctld -i -f "$SLURM_CONF" || fail "slurmctld did not start"
/usr/sbin/slurmd -N zsnode -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 200); do
    state=$(sinfo -h -o %T 2>/dev/null)
    [ "$state" = idle ] && { echo "SLURM_CONF=$SLURM_CONF"; exit 0; }
    sleep 0.1
done
fail "the node did not become idle within 20 s (sinfo says '${state:-nothing}')"
