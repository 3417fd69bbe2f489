#!/bin/bash
# run-cluster-node.sh inside the Jan-2026 image: start Ray as PID 1 (head or worker).
role=node; head_ip=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --role) role="$2"; shift 2 ;;
    --head-ip) head_ip="$2"; shift 2 ;;
    *) shift ;;
  esac
done
if [[ "$role" == head ]]; then
  exec ray start --block --head --port 6379 --dashboard-port 8265
fi
exec ray start --block --address="$head_ip:6379"
