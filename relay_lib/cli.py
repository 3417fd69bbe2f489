"""`python -m relay_lib`: diarize (and transcribe) a recording through the Spark add-on(s).

Exit codes: 0 ok, 1 unexpected error, 2 bad usage, 3 unreadable input, 4 service unreachable,
5 a chunk failed for good (or a service broke its contract), 6 discovery/token problem.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import aiohttp

from relay_lib.audio import ChunkPlan, probe_duration
from relay_lib.client import RelayClient, RetryPolicy, probe
from relay_lib.clustering import SpeakerHints
from relay_lib.discovery import discover, token_from_env
from relay_lib.errors import (
    AudioDecodeError,
    DiscoveryError,
    RelayError,
    ServiceUnreachableError,
)
from relay_lib.pipeline import RelayOptions, build_result, process_chunks
from relay_lib.progress import ProgressBar
from relay_lib.result import RelayResult
from relay_lib.writers import FORMATS, render

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_UNREACHABLE = 4
EXIT_CHUNK = 5
EXIT_DISCOVERY = 6
ADDON_TOKEN_ENV = "SPARK_DIARIZER_API_TOKEN"  # noqa: S105 - a variable name, not a secret


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the add-on(s) and the STT service are (shared with `batch`)."""
    parser.add_argument(
        "--addon",
        action="append",
        default=[],
        metavar="URL",
        help="diarization add-on base URL (repeat to spread chunks over several)",
    )
    parser.add_argument("--stt", metavar="URL", help="OpenAI-compatible STT base URL (Parakeet)")
    parser.add_argument("--stt-model", metavar="NAME", help="model field sent to the STT service")
    parser.add_argument(
        "--discover",
        metavar="HA_URL",
        help="take add-on and STT URLs from Home Assistant's spark_control discovery",
    )
    parser.add_argument(
        "--token-env",
        metavar="VAR",
        help="environment variable holding the HA token "
        "(default: SPARK_CONTROL_TOKEN, then HA_TOKEN)",
    )
    parser.add_argument(
        "--addon-token",
        metavar="TOKEN",
        help=f"the add-on's API token, sent as Authorization: Bearer (default: ${ADDON_TOKEN_ENV}; "
        "prefer the variable: a flag shows in the process list)",
    )


def add_tuning_arguments(parser: argparse.ArgumentParser) -> None:
    """Chunking, clustering and retry settings (shared with `batch`)."""
    parser.add_argument("--chunk-seconds", type=_positive_float, default=300.0)
    parser.add_argument("--overlap-seconds", type=float, default=0.0)
    parser.add_argument(
        "--concurrency", type=_positive_int, help="chunks in flight (default 2 per add-on)"
    )
    parser.add_argument("--speakers", type=_positive_int, help="exact number of speakers, if known")
    parser.add_argument("--min-speakers", type=_positive_int)
    parser.add_argument("--max-speakers", type=_positive_int)
    parser.add_argument(
        "--threshold",
        type=_positive_float,
        help="cosine-distance merge threshold (default: per embedding model)",
    )
    parser.add_argument("--retries", type=_positive_int, default=4, help="attempts per request")
    parser.add_argument(
        "--timeout", type=_positive_float, default=900.0, help="seconds per request"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def build_parser() -> argparse.ArgumentParser:
    """The CLI's arguments (kept separate so tests can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="python -m relay_lib",
        description="Speaker-diarize (and optionally transcribe) a recording of any length by "
        "chunking it across Spark diarization add-ons and clustering the speakers globally. "
        "`python -m relay_lib batch --help` runs many recordings into one folder.",
    )
    parser.add_argument("input", type=Path, help="audio or video file ffmpeg can read")
    add_service_arguments(parser)
    parser.add_argument(
        "--format", choices=FORMATS, help="output format (default: from each -o suffix, else txt)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        action="append",
        default=[],
        help="output file (default: stdout); repeat to write several formats in one run",
    )
    add_tuning_arguments(parser)
    return parser


def _format_for(args: argparse.Namespace, output: Path | None) -> str:
    if args.format:
        return str(args.format)
    suffix = output.suffix.lower().lstrip(".") if output else ""
    return suffix if suffix in FORMATS else "txt"


def summary(result: RelayResult) -> str:
    """Talk-time table printed on stderr at the end."""
    lines = [
        f"{len([s for s in result.speakers if s.identified])} speakers in "
        f"{result.duration_s / 60:.1f} min ({result.chunk_count} chunks):"
    ]
    for speaker in result.speakers:
        share = 100 * speaker.talk_time_s / result.duration_s if result.duration_s else 0.0
        minutes, secs = divmod(round(speaker.talk_time_s), 60)
        lines.append(f"  {speaker.label:<12} {minutes:4d}:{secs:02d}  {share:5.1f} %")
    return "\n".join(lines) + "\n"


async def _resolve_services(
    session: aiohttp.ClientSession, args: argparse.Namespace, err: TextIO
) -> tuple[list[str], str | None, str | None]:
    addons = list(args.addon)
    stt, stt_model = args.stt, args.stt_model
    if args.discover:
        found = await discover(session, args.discover, token_from_env(args.token_env))
        addons = addons or [found.addon_url]
        if stt is None and found.stt_url:
            stt, stt_model = found.stt_url, stt_model or found.stt_model
        elif stt is None:
            err.write("warning: discovery lists no ready STT service; diarization only\n")
    reasons = await asyncio.gather(*(probe(session, url) for url in addons))
    reachable = [url for url, why in zip(addons, reasons, strict=True) if why is None]
    for url, why in zip(addons, reasons, strict=True):
        if why is not None:
            err.write(f"warning: add-on {url} is unreachable ({why}); not using it\n")
    if not reachable:
        raise ServiceUnreachableError("no diarization add-on is reachable: " + ", ".join(addons))
    if stt is not None and (why := await probe(session, stt)) is not None:
        raise ServiceUnreachableError(f"the STT service {stt} is unreachable ({why})")
    return reachable, stt, stt_model


async def resolve_options(
    session: aiohttp.ClientSession, args: argparse.Namespace, err: TextIO
) -> RelayOptions:
    """Probe the services named by the arguments and build the run's options (shared with batch).

    Raises ServiceUnreachableError when no add-on answers, DiscoveryError for discovery problems.
    """
    addons, stt, stt_model = await _resolve_services(session, args, err)
    return RelayOptions(
        addon_urls=addons,
        stt_url=stt,
        chunk_seconds=args.chunk_seconds,
        overlap_seconds=args.overlap_seconds,
        concurrency=args.concurrency,
        hints=SpeakerHints(args.speakers, args.min_speakers, args.max_speakers),
        threshold=args.threshold,
        policy=RetryPolicy(attempts=args.retries, timeout_s=args.timeout),
        stt_model=stt_model,
        addon_token=args.addon_token or os.environ.get(ADDON_TOKEN_ENV, "").strip() or None,
    )


async def _run(args: argparse.Namespace, err: TextIO) -> RelayResult:
    bar = None if args.no_progress else ProgressBar(err)
    # Decode errors come first: a bad file must not be reported as a service problem.
    await asyncio.to_thread(probe_duration, args.input)
    async with aiohttp.ClientSession() as session:
        options = await resolve_options(session, args, err)
        addons, stt, stt_model = options.addon_urls, options.stt_url, options.stt_model
        addon_token = options.addon_token
        policy = options.policy
        client = RelayClient(
            session, addons, stt, policy=policy, stt_model=stt_model, addon_token=addon_token
        )
        try:
            outcomes, duration = await process_chunks(client, args.input, options, bar)
        finally:
            if bar is not None:
                bar.finish()
    return await asyncio.to_thread(build_result, str(args.input), outcomes, duration, options)


def usage_problem(args: argparse.Namespace) -> str | None:
    """Why the arguments cannot work together, or None."""
    if not args.addon and not args.discover:
        return "give at least one --addon URL or --discover HA_URL"
    try:
        SpeakerHints(args.speakers, args.min_speakers, args.max_speakers)
        ChunkPlan.from_seconds(args.chunk_seconds, args.overlap_seconds)
    except ValueError as exc:
        return str(exc)
    return None


# Most specific first: the first matching class decides the exit code and the message prefix.
_FAILURES: tuple[tuple[type[RelayError], int, str], ...] = (
    (AudioDecodeError, EXIT_INPUT, "unreadable input: "),
    (ServiceUnreachableError, EXIT_UNREACHABLE, ""),
    (DiscoveryError, EXIT_DISCOVERY, "discovery failed: "),
    (RelayError, EXIT_CHUNK, ""),
)


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the CLI; returns the exit code instead of exiting (tests call it directly)."""
    out = out or sys.stdout
    err = err or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["batch"]:  # a file really named "batch" is given as ./batch
        from relay_lib.batch_cli import batch_main  # noqa: PLC0415 - only for the subcommand

        return batch_main(argv[1:], out=out, err=err)
    parser = build_parser()
    args = parser.parse_args(argv)
    if (problem := usage_problem(args)) is not None:
        parser.print_usage(err)
        err.write(f"error: {problem}\n")
        return EXIT_USAGE
    if not args.input.is_file() or not os.access(args.input, os.R_OK):
        err.write(f"error: cannot read input file {args.input}\n")
        return EXIT_INPUT
    try:
        result = asyncio.run(_run(args, err))
    except RelayError as exc:
        code, prefix = next((c, p) for kind, c, p in _FAILURES if isinstance(exc, kind))
        err.write(f"error: {prefix}{exc}\n")
        return code
    for output in args.output:
        try:
            output.write_text(render(result, _format_for(args, output)), encoding="utf-8")
        except OSError as exc:
            err.write(f"error: cannot write {output}: {exc}\n")
            return EXIT_ERROR
    if not args.output:
        out.write(render(result, _format_for(args, None)))
        out.flush()
    err.write(summary(result))
    return EXIT_OK
