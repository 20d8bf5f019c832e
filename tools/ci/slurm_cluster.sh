#!/bin/sh
# A single-node Slurm cluster on this machine, for tests/classroom/test_grade_slurm.py:
#
#   tools/ci/slurm_cluster.sh start DIR   # slurm.conf, state and logs in DIR; prints SLURM_CONF=...
#   tools/ci/slurm_cluster.sh stop DIR    # stops what start started
#
# Needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge); no systemd.
# munged runs as munge with a key made here if there is none; slurmctld and slurmd run as
# root with every path under DIR (see /work/shared/SLURM.md for the facts it relies on).
set -eu
[ $# = 2 ] || { echo "usage: slurm_cluster.sh start|stop DIR" >&2; exit 2; }
mkdir -p "$2"
dir=$(readlink -f "$2")
conf="$dir/slurm.conf"

start() {
    [ "$(id -u)" = 0 ] || { echo "slurm_cluster.sh: run it as root" >&2; exit 2; }
    for program in munged slurmctld slurmd sbatch; do
        command -v "$program" >/dev/null || {
            echo "slurm_cluster.sh: no $program (apt-get install slurm-wlm munge)" >&2; exit 3; }
    done
    mkdir -p "$dir/state" "$dir/spool" /run/munge
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
    fi
    chown munge:munge /etc/munge/munge.key /run/munge
    chmod 400 /etc/munge/munge.key
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        su -s /bin/sh munge -c /usr/sbin/munged
        touch "$dir/munged.ours"
    fi
    host=$(hostname -s)
    cat > "$conf" <<CONF
ClusterName=classroom
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmUser=root
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=classroom Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    slurmctld -f "$conf"
    slurmd -f "$conf"
    for _ in $(seq 60); do
        if SLURM_CONF="$conf" sinfo -h -o %t 2>/dev/null | grep -q idle; then
            echo "SLURM_CONF=$conf"
            return 0
        fi
        sleep 1
    done
    echo "slurm_cluster.sh: the node did not become idle in 60 s (logs in $dir)" >&2
    exit 1
}

stop() {
    for daemon in slurmd slurmctld; do
        if [ -s "$dir/$daemon.pid" ]; then
            kill "$(cat "$dir/$daemon.pid")" 2>/dev/null || true
        fi
    done
    if [ -e "$dir/munged.ours" ] && [ -s /run/munge/munged.pid ]; then
        kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
        rm -f "$dir/munged.ours"
    fi
}

case $1 in
    start) start ;;
    stop) stop ;;
    *) echo "usage: slurm_cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
