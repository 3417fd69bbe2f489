#!/bin/bash
# hf-download.sh - download a Hugging Face model and copy it to other Sparks (simulated, Aug-2026).
set -e

MODEL=""
COPY_HOSTS=()
COPY_PARALLEL="false"
SSH_USER="$USER"
HUB_PATH="${HF_HOME:-$HOME/.cache/huggingface}/hub"

usage() {
    echo "Usage: $0 <model_name> [-c [host1,host2,...]] [--copy-parallel] [-u user]"
    exit 1
}

while [[ "$#" -gt 0 ]]; do
    case $1 in
        -c|--copy-to)
            shift
            while [[ "$#" -gt 0 && "$1" != -* ]]; do
                IFS=',' read -r -a hosts <<< "$1"
                COPY_HOSTS+=("${hosts[@]}")
                shift
            done
            COPY_AUTODISCOVER="true"
            continue
            ;;
        --copy-parallel) COPY_PARALLEL="true" ;;
        -u|--user) SSH_USER="$2"; shift ;;
        -h|--help) usage ;;
        *) MODEL="$1" ;;
    esac
    shift
done

if [[ -z "$MODEL" ]]; then
    echo "Error: Model name is required."
    usage
fi

if ! command -v uvx &> /dev/null; then
    echo "Error: 'uvx' command not found."
    exit 1
fi

if [[ "${COPY_AUTODISCOVER:-false}" == "true" && ${#COPY_HOSTS[@]} -eq 0 ]]; then
    LOCAL_IP=$(ip -4 -o addr show enp1s0f1np1 | awk '{print $4}' | cut -d/ -f1)
    for host in $(seq 10 20); do  # simulator: the real script scans the whole /24
        ip_addr="${LOCAL_IP%.*}.$host"
        [[ "$ip_addr" == "$LOCAL_IP" ]] && continue
        if nc -z -w 1 "$ip_addr" 22 &> /dev/null; then COPY_HOSTS+=("$ip_addr"); fi
    done
    if [[ ${#COPY_HOSTS[@]} -eq 0 ]]; then
        echo "Error: Autodiscovery found no other nodes."
        exit 1
    fi
    echo "Autodiscovered hosts: ${COPY_HOSTS[*]}"
fi

fmt_time() { printf '%02d:%02d:%02d' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }

echo "Downloading model '$MODEL' using uvx..."
START=$SECONDS
if ! uvx hf download "$MODEL"; then
    echo "Error: Failed to download model '$MODEL'."
    exit 1
fi
DL_TIME=$((SECONDS - START))
echo "Download completed in $(fmt_time $DL_TIME)"

MODEL_DIR_NAME="models--${MODEL//\//--}"
MODEL_DIR="$HUB_PATH/$MODEL_DIR_NAME"
echo "Model directory: $MODEL_DIR"

declare -A COPY_TIMES
FAILED="false"
if [[ ${#COPY_HOSTS[@]} -eq 0 ]]; then
    echo "No host specified, skipping copy."
else
    for host in "${COPY_HOSTS[@]}"; do
        echo "Copying model '$MODEL' to $SSH_USER@$host..."
        CSTART=$SECONDS
        if rsync -av --progress "$MODEL_DIR" "$SSH_USER@$host:$HUB_PATH/"; then
            COPY_TIMES[$host]=$((SECONDS - CSTART))
            echo "Copy to $host completed in $(fmt_time "${COPY_TIMES[$host]}")"
        else
            echo "Copy to $host failed."
            FAILED="true"
        fi
    done
fi

echo ""
echo "========================================="
echo "TIMING STATISTICS"
echo "========================================="
echo "Download: $(fmt_time $DL_TIME)"
for host in "${!COPY_TIMES[@]}"; do
    echo "Copy to $host: $(fmt_time "${COPY_TIMES[$host]}")"
done
echo "Total: $(fmt_time $((SECONDS - START)))"
echo "========================================="
if [[ "$FAILED" == "true" ]]; then
    [[ "$COPY_PARALLEL" == "true" ]] && echo "One or more copies failed."
    exit 1
fi
echo "Done downloading $MODEL."
