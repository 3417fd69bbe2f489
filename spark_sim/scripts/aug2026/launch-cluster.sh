#!/bin/bash
# launch-cluster.sh - start vLLM on one or more DGX Sparks in Docker (simulated, Aug-2026 dialect).
# Mandatory action word, --solo, `-d exec` dispatches into the container log and returns at once,
# native (no-Ray) multi-node: node count from -tp/-pp/-dp, workers started --headless.

IMAGE_NAME="vllm-node"
DEFAULT_CONTAINER_NAME="vllm_node"
CONTAINER_NAME="$DEFAULT_CONTAINER_NAME"
NODES_ARG=""
ETH_IF=""
IB_IF=""
DAEMON_MODE="false"
SOLO_MODE="false"
USE_RAY="false"
MASTER_PORT="29501"
ACTION=""
EXEC_ARGS=()
EXTRA_ENV=()
CLUSTER_WAS_RUNNING="false"
SETTLE_SECONDS="@@SETTLE@@"

usage() {
    echo "Usage: $0 [options] <start|stop|status|exec <command...>>"
    echo "Options:"
    echo "  -n, --nodes <ips>       Comma-separated node IPs (first is head); default: autodiscover or .env"
    echo "  -t <image>              Docker image (default: vllm-node)"
    echo "  --name <name>           Container name (default: vllm_node)"
    echo "  --solo                  Run on this node only (no cluster)"
    echo "  -d                      Daemon mode: start/exec in the background"
    echo "  -e VAR=value            Pass an environment variable to the container"
    echo "  --ray                   Use Ray as the distributed backend"
    echo "  --master-port <port>    Coordination port (default: 29501)"
    echo "  --eth-if <if>, --ib-if <if>  Network interfaces (auto-detected)"
    echo "  -h, --help              Show this help"
    exit 1
}

while [[ "$#" -gt 0 ]]; do
    case $1 in
        -n|--nodes) NODES_ARG="$2"; shift ;;
        -t) IMAGE_NAME="$2"; shift ;;
        --name) CONTAINER_NAME="$2"; shift ;;
        --eth-if) ETH_IF="$2"; shift ;;
        --ib-if) IB_IF="$2"; shift ;;
        --master-port) MASTER_PORT="$2"; shift ;;
        -e) EXTRA_ENV+=("-e" "$2"); shift ;;
        -d) DAEMON_MODE="true" ;;
        --solo) SOLO_MODE="true" ;;
        --ray) USE_RAY="true" ;;
        -h|--help) usage ;;
        start|stop|status) ACTION="$1" ;;
        exec)
            ACTION="exec"
            shift
            EXEC_ARGS=("$@")
            break
            ;;
        *)
            echo "Error: Unknown argument or action: $1"
            usage
            ;;
    esac
    shift
done

if [[ -z "$ACTION" ]]; then
    echo "Error: No action specified"
    usage
fi
if [[ "$ACTION" == "exec" && ${#EXEC_ARGS[@]} -eq 0 ]]; then
    echo "Error: exec requires a command"
    usage
fi

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
    [[ -z "$IB_IF" ]] && IB_IF=$(echo "$active" | awk '{print $1}' | paste -sd, -)
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

discover_nodes() {
    local subnet found=() host
    subnet="${LOCAL_IP%.*}"
    for host in $(seq 10 20); do  # simulator: the real autodiscover.sh scans the whole /24
        if nc -z -w 1 "$subnet.$host" 22 &> /dev/null; then
            if [[ "$subnet.$host" == "$LOCAL_IP" ]] || \
               [[ "$(ssh -o BatchMode=yes -o ConnectTimeout=5 "$subnet.$host" nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null)" == "NVIDIA GB10" ]]; then
                found+=("$subnet.$host")
            fi
        fi
    done
    NODES_ARG=$(IFS=,; echo "${found[*]}")
}

if [[ -f .env ]]; then
    # shellcheck disable=SC1091
    source .env
    [[ -z "$NODES_ARG" && -n "${CLUSTER_NODES:-}" ]] && NODES_ARG="$CLUSTER_NODES"
fi

if [[ "$SOLO_MODE" == "true" ]]; then
    LOCAL_IP="127.0.0.1"
    HEAD_IP="$LOCAL_IP"
    WORKER_NODES=()
else
    if [[ -z "$ETH_IF" || -z "$IB_IF" ]]; then
        detect_interfaces
    fi
    LOCAL_IP=$(ip -4 -o addr show "$ETH_IF" | awk '{print $4}' | cut -d/ -f1 | head -n1)
    [[ -z "$NODES_ARG" ]] && discover_nodes
    IFS=',' read -r -a ALL_NODES <<< "$NODES_ARG"
    HEAD_IP="${ALL_NODES[0]}"
    WORKER_NODES=("${ALL_NODES[@]:1}")
    local_ok="false"
    for n in "${ALL_NODES[@]}"; do [[ "$n" == "$LOCAL_IP" ]] && local_ok="true"; done
    if [[ "$local_ok" != "true" ]]; then
        echo "Error: Local IP ($LOCAL_IP) is not in the list of nodes ($NODES_ARG)."
        exit 1
    fi
fi

echo "Head Node: $HEAD_IP"
echo "Worker Nodes: ${WORKER_NODES[*]}"
echo "Container Name: $CONTAINER_NAME"
echo "Image Name: $IMAGE_NAME"
echo "Action: $ACTION"

remote() {
    ssh -o BatchMode=yes -o ConnectTimeout=5 "$@"
}

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
        remote "$w" "docker stop $CONTAINER_NAME" > /dev/null 2>&1 || true
    done
    echo "Cluster stopped."
}

if [[ "$ACTION" == "stop" ]]; then
    cleanup
    exit 0
fi

if [[ "$ACTION" == "status" ]]; then
    if docker ps | grep -q "$CONTAINER_NAME"; then
        echo "[HEAD] $HEAD_IP: Container '$CONTAINER_NAME' is RUNNING."
        if [[ "$USE_RAY" == "true" ]]; then
            echo "--- Ray Status ---"
            docker exec "$CONTAINER_NAME" ray status 2>/dev/null || echo "Ray status unavailable."
        fi
    else
        echo "[HEAD] $HEAD_IP: Container '$CONTAINER_NAME' is NOT running."
    fi
    for w in "${WORKER_NODES[@]}"; do
        if remote "$w" "docker ps | grep -q $CONTAINER_NAME"; then
            echo "[WORKER] $w: Container '$CONTAINER_NAME' is RUNNING."
        else
            echo "[WORKER] $w: Container '$CONTAINER_NAME' is NOT running."
        fi
    done
    exit 0
fi

# Nodes the command needs: tp * pp * dp (one GPU per Spark).
NEEDED=1
if [[ "$ACTION" == "exec" ]]; then
    TP=1; PP=1; DP=1
    CLEAN_ARGS=()
    skip="false"
    for ((i = 0; i < ${#EXEC_ARGS[@]}; i++)); do
        a="${EXEC_ARGS[$i]}"
        next="${EXEC_ARGS[$((i + 1))]:-}"
        if [[ "$skip" == "true" ]]; then skip="false"; continue; fi
        case "$a" in
            -tp|--tensor-parallel-size) TP="$next" ;;
            --tensor-parallel-size=*) TP="${a#*=}" ;;
            -pp|--pipeline-parallel-size) PP="$next" ;;
            --pipeline-parallel-size=*) PP="${a#*=}" ;;
            -dp|--data-parallel-size) DP="$next" ;;
            --data-parallel-size=*) DP="${a#*=}" ;;
            --distributed-executor-backend) skip="true"; continue ;;
            --distributed-executor-backend=*) continue ;;
        esac
        CLEAN_ARGS+=("$a")
    done
    EXEC_ARGS=("${CLEAN_ARGS[@]}")
    NEEDED=$((TP * PP * DP))
    NODE_COUNT=$((1 + ${#WORKER_NODES[@]}))
    if [[ "${EXEC_ARGS[0]}" == "vllm" && "$NEEDED" -gt "$NODE_COUNT" ]]; then
        echo "Error: Command requires $NEEDED nodes (tp=$TP * pp=$PP * dp=$DP) but only $NODE_COUNT node(s) are configured."
        exit 1
    fi
    if [[ "${EXEC_ARGS[0]}" != "vllm" || "$NEEDED" -le 1 ]]; then
        WORKER_NODES=()
    fi
fi

if [[ ${#WORKER_NODES[@]} -gt 0 ]]; then
    echo "Checking SSH connectivity to worker nodes..."
    for w in "${WORKER_NODES[@]}"; do
        if remote "$w" true > /dev/null 2>&1; then
            echo "  SSH to $w: OK"
        else
            echo "Error: Passwordless SSH to $w failed."
            exit 1
        fi
    done
    HEAD_IMAGE_ID=$(docker image inspect --format '{{.Id}}' "$IMAGE_NAME" 2>/dev/null)
    for w in "${WORKER_NODES[@]}"; do
        if [[ "$(remote "$w" "docker image inspect --format '{{.Id}}' $IMAGE_NAME" 2>/dev/null)" != "$HEAD_IMAGE_ID" ]]; then
            echo "Error: Docker image mismatch on worker node ($w)"
            exit 1
        fi
    done
fi

if [[ "$DAEMON_MODE" != "true" ]]; then
    trap cleanup EXIT INT TERM HUP
fi

RUNNING_ON=""
if docker ps | grep -q "$CONTAINER_NAME"; then RUNNING_ON="$HEAD_IP"; fi
for w in "${WORKER_NODES[@]}"; do
    if remote "$w" "docker ps | grep -q $CONTAINER_NAME"; then RUNNING_ON="$RUNNING_ON $w"; fi
done

DOCKER_ARGS=(--privileged --gpus all --rm --ipc=host --network host --ulimit nofile=1048576
    --entrypoint= -e NCCL_IGNORE_CPU_AFFINITY=1 -e PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
    -e "NCCL_SOCKET_IFNAME=$ETH_IF" -e "NCCL_IB_HCA=$IB_IF" "${EXTRA_ENV[@]}"
    -v "${HF_HOME:-$HOME/.cache/huggingface}:/root/.cache/huggingface"
    -v "$HOME/.cache/vllm:/root/.cache/vllm" -v "$HOME/.cache/flashinfer:/root/.cache/flashinfer"
    -v "$HOME/.triton:/root/.triton")

if [[ -n "$RUNNING_ON" ]]; then
    echo "Warning: Container '$CONTAINER_NAME' is already running on${RUNNING_ON}."
    echo "Cluster containers are already running. Skipping launch."
    CLUSTER_WAS_RUNNING="true"
else
    echo "Starting head node ($HEAD_IP)..."
    docker run -d "${DOCKER_ARGS[@]}" --name "$CONTAINER_NAME" "$IMAGE_NAME" sleep infinity > /dev/null || exit 1
    for w in "${WORKER_NODES[@]}"; do
        echo "Starting worker node ($w)..."
        remote "$w" "docker run -d $(printf '%q ' "${DOCKER_ARGS[@]}") --name $CONTAINER_NAME $IMAGE_NAME sleep infinity" > /dev/null || exit 1
    done
    sleep "$SETTLE_SECONDS"
fi

if [[ "$ACTION" == "exec" ]]; then
    HEAD_ARGS=("${EXEC_ARGS[@]}")
    if [[ ${#WORKER_NODES[@]} -gt 0 ]]; then
        NNODES=$((1 + ${#WORKER_NODES[@]}))
        if [[ "$USE_RAY" == "true" ]]; then
            HEAD_ARGS+=(--distributed-executor-backend ray)
        else
            rank=1
            for w in "${WORKER_NODES[@]}"; do
                WORKER_CMD=$(printf '%q ' "${EXEC_ARGS[@]}" --nnodes "$NNODES" --node-rank "$rank" --master-addr "$HEAD_IP" --master-port "$MASTER_PORT" --headless)
                echo "Starting worker $rank on $w (headless)..."
                remote "$w" "docker exec -d $CONTAINER_NAME bash -c $(printf '%q' "$WORKER_CMD >> /proc/1/fd/1 2>&1")" || exit 1
                rank=$((rank + 1))
            done
            HEAD_ARGS+=(--nnodes "$NNODES" --node-rank 0 --master-addr "$HEAD_IP" --master-port "$MASTER_PORT")
        fi
    fi
    CMD_Q=$(printf '%q ' "${HEAD_ARGS[@]}")
    echo "Executing command on head node: $CMD_Q"
    if [[ "$DAEMON_MODE" == "true" ]]; then
        docker exec -d "$CONTAINER_NAME" bash -c "$CMD_Q >> /proc/1/fd/1 2>&1" || exit 1
        echo "Command dispatched in background (Daemon mode). Container: $CONTAINER_NAME"
        exit 0
    fi
    if [[ -t 0 ]]; then
        docker exec -it "$CONTAINER_NAME" bash -c "$CMD_Q"
    else
        docker exec -i "$CONTAINER_NAME" bash -c "$CMD_Q"
    fi
    exit $?
fi

if [[ "$DAEMON_MODE" == "true" ]]; then
    echo "Cluster started in daemon mode."
    exit 0
fi

echo "Following head node logs (Ctrl+C to stop the cluster)..."
docker logs -f "$CONTAINER_NAME"
