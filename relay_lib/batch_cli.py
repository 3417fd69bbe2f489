"""`python -m relay_lib batch INPUTS... -o OUTDIR`: many recordings, resumable, one summary.

Exit codes: 0 every recording finished (now or in an earlier run), 1 the output folder is
unusable, 2 bad usage, 4 no add-on reachable, 6 discovery problem, 7 at least one recording failed
(the summary says why), 130 interrupted (a rerun resumes from the finished recordings).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import aiohttp

from relay_lib.batch import (
    BatchProgressBar,
    InputProblem,
    Recording,
    Row,
    find_recordings,
    format_summary,
    run_batch,
)
from relay_lib.cli import (
    EXIT_DISCOVERY,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    _positive_int,
    add_service_arguments,
    add_tuning_arguments,
    resolve_options,
    usage_problem,
)
from relay_lib.errors import DiscoveryError, ServiceUnreachableError
from relay_lib.executors import AsyncioExecutor, Executor
from relay_lib.pipeline import RelayOptions
from relay_lib.writers import FORMATS

EXIT_SOME_FAILED = 7
EXIT_INTERRUPTED = 130


def _formats(text: str) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    return wanted


def build_batch_parser() -> argparse.ArgumentParser:
    """The batch subcommand's arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m relay_lib batch",
        description="Diarize (and transcribe) many recordings into one folder. Finished "
        "recordings are skipped on a rerun; a failed one is named in the summary and the "
        "others go on.",
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="audio/video files, folders or glob patterns"
    )
    parser.add_argument(
        "-o", "--output-dir", type=Path, required=True, metavar="OUTDIR",
        help="folder for NAME.json/.rttm/.srt/.vtt/.txt and the NAME.done markers",
    )  # fmt: skip
    parser.add_argument(
        "--formats", type=_formats, default=FORMATS, metavar="LIST",
        help=f"comma-separated output formats (default: {','.join(FORMATS)})",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", type=_positive_int,
        help="recordings in flight at once (default: one per add-on, at least 2)",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true", help="redo recordings that are already finished"
    )
    parser.add_argument(
        "--ray", metavar="local|ADDRESS",
        help="run the chunk work as Ray tasks: `local` starts a Ray runtime here, an address "
        "(e.g. ray://head:10001 or head:6379) joins a cluster; needs the relay_lib[ray] extra",
    )  # fmt: skip
    parser.add_argument(
        "--ray-cpus", type=_positive_int,
        help="CPUs of a `--ray local` runtime (default: all of this machine's)",
    )  # fmt: skip
    add_service_arguments(parser)
    add_tuning_arguments(parser)
    return parser


def _make_executor(args: argparse.Namespace, options: RelayOptions) -> Executor:
    if not args.ray:
        return AsyncioExecutor(options)
    # Ray is imported only here: the default executor needs no Ray installed.
    from relay_lib.ray_executor import RayExecutor  # noqa: PLC0415

    return RayExecutor.start(args.ray, options, num_cpus=args.ray_cpus)


async def _batch(args: argparse.Namespace, recordings: list[Recording], err: TextIO) -> list[Row]:
    bar = None if args.no_progress else BatchProgressBar(err)
    async with aiohttp.ClientSession() as session:
        options = await resolve_options(session, args, err)
    executor = await asyncio.to_thread(_make_executor, args, options)
    jobs = args.jobs or max(2, len(options.addon_urls))
    try:
        return await run_batch(
            recordings, executor, options, args.output_dir,
            formats=args.formats, jobs=jobs, force=args.force, progress=bar,
        )  # fmt: skip
    finally:
        if bar is not None:
            bar.finish()
        await executor.close()


def batch_main(  # noqa: PLR0911 - one return per documented exit code
    argv: Sequence[str], *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the batch subcommand; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_batch_parser()
    args = parser.parse_args(list(argv))
    if (problem := usage_problem(args)) is not None:
        parser.print_usage(err)
        err.write(f"error: {problem}\n")
        return EXIT_USAGE
    recordings, problems = find_recordings(args.inputs)
    if not recordings and not problems:
        err.write("error: the inputs name no recording\n")
        return EXIT_USAGE
    try:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        err.write(f"error: cannot create the output folder {args.output_dir}: {exc}\n")
        return EXIT_ERROR
    rows: list[Row] = []
    if recordings:
        try:
            rows = asyncio.run(_batch(args, recordings, err))
        except ServiceUnreachableError as exc:
            err.write(f"error: {exc}\n")
            return EXIT_UNREACHABLE
        except DiscoveryError as exc:
            err.write(f"error: discovery failed: {exc}\n")
            return EXIT_DISCOVERY
        except KeyboardInterrupt:
            err.write("interrupted: finished recordings are kept; run again to resume\n")
            return EXIT_INTERRUPTED
    out.write(format_summary(rows, problems))
    out.flush()
    failed = bool(problems) or any(r.status == "failed" for r in rows)
    return EXIT_SOME_FAILED if failed else EXIT_OK


__all__ = ["EXIT_SOME_FAILED", "InputProblem", "batch_main", "build_batch_parser"]
