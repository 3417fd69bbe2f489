#!/bin/bash
# build-and-copy.sh - build the vllm-node image and copy it to other Sparks (simulated, Aug-2026).
set -e

IMAGE_NAME="vllm-node"
COPY_HOSTS=()
COPY="false"
SSH_USER="$USER"
USE_WHEELS="false"

usage() {
    echo "Usage: $0 [-t <image>] [-c [host1,host2,...]] [--copy-parallel] [-u user] [--use-wheels]"
    exit 1
}

while [[ "$#" -gt 0 ]]; do
    case $1 in
        -t) IMAGE_NAME="$2"; shift ;;
        -c|--copy-to)
            COPY="true"
            shift
            while [[ "$#" -gt 0 && "$1" != -* ]]; do
                IFS=',' read -r -a hosts <<< "$1"
                COPY_HOSTS+=("${hosts[@]}")
                shift
            done
            continue
            ;;
        --copy-parallel) ;;
        -u|--user) SSH_USER="$2"; shift ;;
        --use-wheels) USE_WHEELS="true" ;;
        -h|--help) usage ;;
        *) echo "Unknown parameter passed: $1"; usage ;;
    esac
    shift
done

fmt_time() { printf '%02d:%02d:%02d' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }

if [[ "$COPY" == "true" && ${#COPY_HOSTS[@]} -eq 0 ]]; then
    LOCAL_IP=$(ip -4 -o addr show enp1s0f1np1 | awk '{print $4}' | cut -d/ -f1)
    for host in $(seq 10 20); do  # simulator: the real script scans the whole /24
        ip_addr="${LOCAL_IP%.*}.$host"
        [[ "$ip_addr" == "$LOCAL_IP" ]] && continue
        if nc -z -w 1 "$ip_addr" 22 &> /dev/null; then COPY_HOSTS+=("$ip_addr"); fi
    done
    [[ ${#COPY_HOSTS[@]} -eq 0 ]] && { echo "Error: Autodiscovery found no other nodes."; exit 1; }
    echo "Autodiscovered hosts: ${COPY_HOSTS[*]}"
fi

START=$SECONDS
if [[ "$USE_WHEELS" == "true" ]]; then
    echo "Building image '$IMAGE_NAME' from source..."
    docker build -t "$IMAGE_NAME" .
else
    echo "Pulling prebuilt image eugr/spark-vllm:latest..."
    docker pull eugr/spark-vllm:latest
    docker tag eugr/spark-vllm:latest "$IMAGE_NAME"
fi
BUILD_TIME=$((SECONDS - START))
echo "Build completed in $(fmt_time $BUILD_TIME)"

if [[ ${#COPY_HOSTS[@]} -gt 0 ]]; then
    TMP_FILE=$(mktemp vllm_image.XXXXXX)
    trap 'rm -f "$TMP_FILE"' EXIT
    echo "Saving image '$IMAGE_NAME'..."
    docker save "$IMAGE_NAME" -o "$TMP_FILE"
    LOCAL_ID=$(docker image inspect --format '{{.Id}}' "$IMAGE_NAME")
    for host in "${COPY_HOSTS[@]}"; do
        if [[ "$(ssh "$SSH_USER@$host" "docker image inspect --format '{{.Id}}' $IMAGE_NAME" 2>/dev/null)" == "$LOCAL_ID" ]]; then
            echo "Image '$IMAGE_NAME' is already up to date on $host; skipping."
            continue
        fi
        echo "Loading image into $SSH_USER@$host..."
        CSTART=$SECONDS
        cat "$TMP_FILE" | ssh "$SSH_USER@$host" docker load
        echo "Copy to $host completed in $(fmt_time $((SECONDS - CSTART)))"
    done
fi

echo ""
echo "========================================="
echo "TIMING STATISTICS"
echo "========================================="
echo "Build: $(fmt_time $BUILD_TIME)"
echo "Total: $(fmt_time $((SECONDS - START)))"
echo "========================================="
echo "Done preparing $IMAGE_NAME."
