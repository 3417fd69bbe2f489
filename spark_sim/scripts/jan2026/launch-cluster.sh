#!/bin/bash
# launch-cluster.sh - start a vLLM cluster of DGX Sparks in Docker (simulated, Jan-2026 dialect).
# Foreground `exec` with EXIT/INT/TERM/HUP traps that stop the cluster; `-d` does not detach exec.

IMAGE_NAME="vllm-node"
DEFAULT_CONTAINER_NAME="vllm_node"
CONTAINER_NAME="$DEFAULT_CONTAINER_NAME"
NODES_ARG=""
ETH_IF=""
IB_IF=""
DAEMON_MODE="false"
ACTION="start"
EXEC_CMD=""
CLUSTER_WAS_RUNNING="false"
SETTLE_SECONDS="@@SETTLE@@"

usage() {
    echo "Usage: $0 [-n <node_ips>] [-t <image_name>] [--name <container_name>] [--eth-if <if>] [--ib-if <if>] [-d] [start|stop|status|exec <command...>]"
    echo "  -n, --nodes     Comma-separated list of node IPs (first is head). Auto-detected if omitted."
    echo "  -t              Docker image name (default: vllm-node)"
    echo "  --name          Container name (default: vllm_node)"
    echo "  --eth-if        Ethernet interface (auto-detected)"
    echo "  --ib-if         InfiniBand interfaces (auto-detected)"
    echo "  -d              Daemon mode (start only: do not follow logs)"
    echo "  -h, --help      Show this help"
    exit 1
}

while [[ "$#" -gt 0 ]]; do
    case $1 in
        -n|--nodes) NODES_ARG="$2"; shift ;;
        -t) IMAGE_NAME="$2"; shift ;;
        --name) CONTAINER_NAME="$2"; shift ;;
        --eth-if) ETH_IF="$2"; shift ;;
        --ib-if) IB_IF="$2"; shift ;;
        -d) DAEMON_MODE="true" ;;
        -h|--help) usage ;;
        start|stop|status) ACTION="$1" ;;
        exec)
            ACTION="exec"
            shift
            EXEC_CMD="$*"
            break
            ;;
        *)
            # Anything else is the command to execute
            ACTION="exec"
            EXEC_CMD="$*"
            break
            ;;
    esac
    shift
done

detect_interfaces() {
    if ! command -v ibdev2netdev &> /dev/null; then
        echo "Error: ibdev2netdev not found. Cannot auto-detect interfaces."
        exit 1
    fi
    local active
    active=$(ibdev2netdev | grep "(Up)")
    if [[ -z "$active" ]]; then
        echo "Error: No active IB interfaces found."
        exit 1
    fi
    if [[ -z "$IB_IF" ]]; then
        IB_IF=$(echo "$active" | awk '{print $1}' | paste -sd, -)
    fi
    if [[ -z "$ETH_IF" ]]; then
        local ifname
        for ifname in $(echo "$active" | awk '{print $5}'); do
            if [[ -n "$(ip -4 -o addr show "$ifname" | awk '{print $4}')" ]]; then
                ETH_IF="$ifname"
                break
            fi
        done
    fi
    if [[ -z "$ETH_IF" ]]; then
        echo "Error: No active IB-associated interfaces have IP addresses."
        exit 1
    fi
}

detect_nodes() {
    LOCAL_IP=$(ip -4 -o addr show "$ETH_IF" | awk '{print $4}' | cut -d/ -f1 | head -n1)
    if [[ -z "$NODES_ARG" ]]; then
        local subnet found=()
        subnet="${LOCAL_IP%.*}"
        for host in $(seq 10 20); do  # simulator: the real script scans .1-.254
            if nc -z -w 1 "$subnet.$host" 22 &> /dev/null; then
                found+=("$subnet.$host")
            fi
        done
        NODES_ARG=$(IFS=,; echo "${found[*]}")
    fi
    IFS=',' read -r -a ALL_NODES <<< "$NODES_ARG"
    HEAD_IP="${ALL_NODES[0]}"
    WORKER_NODES=("${ALL_NODES[@]:1}")
    local ok="false" n
    for n in "${ALL_NODES[@]}"; do
        [[ "$n" == "$LOCAL_IP" ]] && ok="true"
    done
    if [[ "$ok" != "true" ]]; then
        echo "Error: Local IP ($LOCAL_IP) is not in the list of nodes ($NODES_ARG)."
        exit 1
    fi
}

if [[ -n "$NODES_ARG" && -n "$ETH_IF" ]]; then
    LOCAL_IP=$(ip -4 -o addr show "$ETH_IF" | awk '{print $4}' | cut -d/ -f1 | head -n1)
    IFS=',' read -r -a ALL_NODES <<< "$NODES_ARG"
    HEAD_IP="${ALL_NODES[0]}"
    WORKER_NODES=("${ALL_NODES[@]:1}")
else
    detect_interfaces
    detect_nodes
fi

echo "Head Node: $HEAD_IP"
echo "Worker Nodes: ${WORKER_NODES[*]}"
echo "Container Name: $CONTAINER_NAME"
echo "Image Name: $IMAGE_NAME"
echo "Action: $ACTION"

cleanup() {
    trap '' PIPE HUP  # simulator: let a second hang-up not kill the stop commands
    if [[ "$CLUSTER_WAS_RUNNING" == "true" ]]; then
        echo "Cluster was already running when script started. Skipping cleanup."
        return
    fi
    echo ""
    echo "Stopping cluster..."
    echo "Stopping head node ($HEAD_IP)..."
    docker stop "$CONTAINER_NAME" > /dev/null 2>&1 || true
    local w
    for w in "${WORKER_NODES[@]}"; do
        echo "Stopping worker node ($w)..."
        ssh -o BatchMode=yes -o ConnectTimeout=5 "$w" "docker stop $CONTAINER_NAME" > /dev/null 2>&1 || true
    done
    echo "Cluster stopped."
}

if [[ "$ACTION" == "stop" ]]; then
    trap - EXIT
    cleanup
    exit 0
fi

if [[ "$ACTION" == "status" ]]; then
    if docker ps | grep -q "$CONTAINER_NAME"; then
        echo "[HEAD] $HEAD_IP: Container '$CONTAINER_NAME' is RUNNING."
        echo "--- Ray Status ---"
        docker exec "$CONTAINER_NAME" ray status 2>/dev/null || echo "Ray status unavailable."
    else
        echo "[HEAD] $HEAD_IP: Container '$CONTAINER_NAME' is NOT running."
    fi
    for w in "${WORKER_NODES[@]}"; do
        if ssh -o BatchMode=yes -o ConnectTimeout=5 "$w" "docker ps | grep -q $CONTAINER_NAME"; then
            echo "[WORKER] $w: Container '$CONTAINER_NAME' is RUNNING."
        else
            echo "[WORKER] $w: Container '$CONTAINER_NAME' is NOT running."
        fi
    done
    exit 0
fi

echo "Checking SSH connectivity to worker nodes..."
for w in "${WORKER_NODES[@]}"; do
    if ssh -o BatchMode=yes -o ConnectTimeout=5 "$w" true > /dev/null 2>&1; then
        echo "  SSH to $w: OK"
    else
        echo "Error: Passwordless SSH to $w failed."
        exit 1
    fi
done

trap cleanup EXIT INT TERM HUP

RUNNING_ON=""
if docker ps | grep -q "$CONTAINER_NAME"; then RUNNING_ON="$HEAD_IP"; fi
for w in "${WORKER_NODES[@]}"; do
    if ssh -o BatchMode=yes -o ConnectTimeout=5 "$w" "docker ps | grep -q $CONTAINER_NAME"; then
        RUNNING_ON="$RUNNING_ON $w"
    fi
done

DOCKER_ARGS="--privileged --gpus all --rm --ipc=host --network host -e NCCL_IGNORE_CPU_AFFINITY=1 -e NCCL_SOCKET_IFNAME=$ETH_IF -e NCCL_IB_HCA=$IB_IF -v $HOME/.cache/huggingface:/root/.cache/huggingface $VLLM_SPARK_EXTRA_DOCKER_ARGS"

if [[ -n "$RUNNING_ON" ]]; then
    echo "Warning: Container '$CONTAINER_NAME' is already running on${RUNNING_ON}."
    echo "Cluster containers are already running. Skipping launch."
    CLUSTER_WAS_RUNNING="true"
else
    echo "Starting head node ($HEAD_IP)..."
    docker run -d $DOCKER_ARGS --name "$CONTAINER_NAME" "$IMAGE_NAME" ./run-cluster-node.sh --role head --host-ip "$HEAD_IP" --eth-if "$ETH_IF" --ib-if "$IB_IF" > /dev/null || exit 1
    for w in "${WORKER_NODES[@]}"; do
        echo "Starting worker node ($w)..."
        ssh -o BatchMode=yes -o ConnectTimeout=5 "$w" "docker run -d $DOCKER_ARGS --name $CONTAINER_NAME $IMAGE_NAME ./run-cluster-node.sh --role node --host-ip $w --head-ip $HEAD_IP --eth-if $ETH_IF --ib-if $IB_IF" > /dev/null || exit 1
    done
    echo "Waiting for cluster to be ready..."
    ready="false"
    for _ in $(seq 1 30); do
        if docker exec "$CONTAINER_NAME" ray status > /dev/null 2>&1; then
            ready="true"
            break
        fi
        sleep 2
    done
    if [[ "$ready" != "true" ]]; then
        echo "Timeout waiting for cluster to start."
        exit 1
    fi
    echo "Cluster head is responsive."
    sleep "$SETTLE_SECONDS"
fi

if [[ "$ACTION" == "exec" ]]; then
    echo "Executing command on head node: $EXEC_CMD"
    if [[ -t 0 ]]; then
        docker exec -it "$CONTAINER_NAME" bash -i -c "$EXEC_CMD"
    else
        docker exec -i "$CONTAINER_NAME" bash -i -c "$EXEC_CMD"
    fi
    exit $?
fi

if [[ "$DAEMON_MODE" == "true" ]]; then
    trap - EXIT INT TERM HUP
    echo "Cluster started in daemon mode."
    exit 0
fi

echo "Following head node logs (Ctrl+C to stop the cluster)..."
docker logs -f "$CONTAINER_NAME"
