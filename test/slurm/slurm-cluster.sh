#!/usr/bin/env bash
# A one-node Slurm on this machine, for the job-array test (test/slurm/slurm-array.test.ts):
#   test/slurm/slurm-cluster.sh start   installs slurm-wlm and munge when missing, writes a slurm.conf
#                                       for localhost, starts munged, slurmctld and slurmd, and waits
#                                       until sinfo shows the node idle
#   test/slurm/slurm-cluster.sh stop    stops the three daemons
# Everything lives in $WEIGHTSCAPE_SLURM_DIR (default /tmp/weightscape-slurm); commands find the
# cluster through $WEIGHTSCAPE_SLURM_DIR/slurm.conf (export SLURM_CONF=… to use sbatch by hand).
# Needs root (the daemons, apt-get); without it, start exits 3 and says why.
set -euo pipefail
DIR="${WEIGHTSCAPE_SLURM_DIR:-/tmp/weightscape-slurm}"
CONF="$DIR/slurm.conf"
export SLURM_CONF="$CONF"

log() { echo "slurm-cluster: $*" >&2; }

stop_daemons() {
  for name in slurmd slurmctld; do
    if [ -f "$DIR/$name.pid" ] && kill -0 "$(cat "$DIR/$name.pid")" 2> /dev/null; then
      kill "$(cat "$DIR/$name.pid")" 2> /dev/null || true
    fi
  done
  if [ -f "$DIR/munged.pid" ] && kill -0 "$(cat "$DIR/munged.pid")" 2> /dev/null; then
    kill "$(cat "$DIR/munged.pid")" 2> /dev/null || true
  fi
  # Give them a moment, then make sure.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pgrep -f "slurmctld -f $CONF|slurmd -f $CONF" > /dev/null || break
    sleep 0.5
  done
  pkill -9 -f "slurmctld -f $CONF|slurmd -f $CONF" 2> /dev/null || true
}

start() {
  if [ "$(id -u)" != 0 ]; then
    log "needs root to start munged, slurmctld and slurmd (and to install slurm-wlm); not starting"
    exit 3
  fi
  if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
    log "installing slurm-wlm and munge"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge > /dev/null
  fi
  stop_daemons
  rm -rf "$DIR"
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge"
  chown munge: "$DIR/munge"
  if [ ! -s /etc/munge/munge.key ]; then
    log "creating a munge key"
    mungekey --create --keyfile=/etc/munge/munge.key 2> /dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge: /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  local host
  host="$(hostname -s)"
  # The node line as slurmd sees the hardware, so that the node is not drained for a mismatch.
  local node
  node="$(slurmd -C | head -n 1)"
  cat > "$CONF" << CONF
# Written by test/slurm/slurm-cluster.sh: one node, this machine.
ClusterName=weightscape-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
# Dependent jobs start within seconds of the array's end (the default pass runs every 60 s).
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  # munged as its own user, its socket in the default place so that every Slurm tool finds it.
  mkdir -p /run/munge && chown munge: /run/munge
  runuser -u munge -- munged --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" --force
  for _ in $(seq 50); do [ -s "$DIR/munge/munged.pid" ] && break; sleep 0.1; done
  cp "$DIR/munge/munged.pid" "$DIR/munged.pid"
  slurmctld -f "$CONF"
  slurmd -f "$CONF" -N "$(echo "$node" | sed -E 's/^NodeName=([^ ]+).*/\1/')"
  for _ in $(seq 120); do
    if sinfo -h -o '%t' 2> /dev/null | grep -qx 'idle'; then
      log "node idle: $(sinfo -h -o '%N %c CPUs %t')"
      return 0
    fi
    sleep 0.5
  done
  log "the node did not become idle within 60 s; sinfo says: $(sinfo -h -o '%N %t %E' 2>&1 || true)"
  tail -n 20 "$DIR/slurmctld.log" "$DIR/slurmd.log" >&2 || true
  exit 1
}

case "${1:-}" in
  start) start ;;
  stop) stop_daemons; log "stopped" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
