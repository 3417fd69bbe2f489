"""Prometheus text exposition for the few counters the service keeps (no client library needed)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


@dataclass
class Metrics:
    """Counters updated on the event loop only, so no locking is needed."""

    requests: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    audio_seconds: float = 0.0
    worker_restarts: int = 0
    latency_counts: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    latency_sum: float = 0.0
    latency_total: int = 0

    def observe_request(self, endpoint: str, status: int) -> None:
        """Count one answered request by endpoint and status code."""
        self.requests[endpoint, status] += 1

    def observe_inference(self, seconds: float, audio_seconds: float) -> None:
        """Record one successful diarization: its latency and the audio it covered."""
        self.audio_seconds += audio_seconds
        self.latency_sum += seconds
        self.latency_total += 1
        for index, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.latency_counts[index] += 1

    def render(self, state: str, backend: str, queue_depth: int = 0) -> str:
        """The /metrics body."""
        lines = [
            "# HELP spark_diarizer_requests_total HTTP requests answered, by endpoint and status.",
            "# TYPE spark_diarizer_requests_total counter",
        ]
        for (endpoint, status), count in sorted(self.requests.items()):
            lines.append(
                f'spark_diarizer_requests_total{{endpoint="{endpoint}",status="{status}"}} {count}'
            )
        lines += [
            "# HELP spark_diarizer_failures_total Failed diarizations, by reason.",
            "# TYPE spark_diarizer_failures_total counter",
        ]
        for reason, count in sorted(self.failures.items()):
            lines.append(f'spark_diarizer_failures_total{{reason="{reason}"}} {count}')
        lines += [
            "# HELP spark_diarizer_inference_seconds Latency of successful diarizations.",
            "# TYPE spark_diarizer_inference_seconds histogram",
        ]
        for bound, count in zip(LATENCY_BUCKETS, self.latency_counts, strict=True):
            lines.append(f'spark_diarizer_inference_seconds_bucket{{le="{bound:g}"}} {count}')
        lines += [
            f'spark_diarizer_inference_seconds_bucket{{le="+Inf"}} {self.latency_total}',
            f"spark_diarizer_inference_seconds_sum {self.latency_sum:.6f}",
            f"spark_diarizer_inference_seconds_count {self.latency_total}",
            "# HELP spark_diarizer_audio_seconds_total Seconds of audio diarized.",
            "# TYPE spark_diarizer_audio_seconds_total counter",
            f"spark_diarizer_audio_seconds_total {self.audio_seconds:.3f}",
            "# HELP spark_diarizer_worker_restarts_total Inference worker restarts after a wedge.",
            "# TYPE spark_diarizer_worker_restarts_total counter",
            f"spark_diarizer_worker_restarts_total {self.worker_restarts}",
            "# HELP spark_diarizer_queue_depth Requests holding or waiting for the worker.",
            "# TYPE spark_diarizer_queue_depth gauge",
            f"spark_diarizer_queue_depth {queue_depth}",
            "# HELP spark_diarizer_ready 1 when the worker accepts requests.",
            "# TYPE spark_diarizer_ready gauge",
            f'spark_diarizer_ready{{state="{state}",backend="{backend}"}} '
            f"{1 if state == 'ready' else 0}",
        ]
        return "\n".join(lines) + "\n"
