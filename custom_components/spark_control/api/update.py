"""spark-vllm-docker update check (`git fetch` + counts) and apply (`git pull` + build)."""

from __future__ import annotations

from collections.abc import Callable

from . import commands
from .context import Context
from .exceptions import CommandError, UpdateError
from .models import UpdateInfo

LogCallback = Callable[[str], None]
BUILD_TIMEOUT = 2 * 3600.0
DIRTY_MARKERS = (
    "would be overwritten by merge",
    "Your local changes",
    "not possible to fast-forward",
)


async def check(ctx: Context) -> UpdateInfo:
    """Installed and upstream commits, commits behind and their one-line log."""
    command = " && ".join(
        [commands.in_checkout(ctx.config.checkout_dir, commands.git_check()[0])]
        + [commands.join(argv) for argv in commands.git_check()[1:]]
    )
    try:
        result = await ctx.head.run(
            command, name="update check", timeout=max(ctx.command_timeout, 60)
        )
    except CommandError as err:
        raise UpdateError("git_failed", " | ".join(err.stderr_tail[-3:]) or str(err)) from err
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if len(lines) < 3 or not lines[2].isdigit():
        raise UpdateError("git_failed", f"unexpected git output: {lines[:3]}")
    return UpdateInfo(
        installed=lines[0], upstream=lines[1], behind=int(lines[2]), changelog=lines[3:]
    )


async def apply(ctx: Context, on_log: LogCallback | None) -> UpdateInfo:
    """`git pull && ./build-and-copy.sh -c` with the output streamed line by line."""
    checkout = ctx.config.checkout_dir

    def log(line: str) -> None:
        if on_log is not None:
            on_log(line)

    log("$ git pull")
    pull = await ctx.head.run_streamed(
        commands.in_checkout(checkout, commands.git_pull()) + " 2>&1",
        name="git pull",
        timeout=max(ctx.command_timeout, 120),
        on_line=log,
    )
    if pull.exit_status != 0:
        text = pull.stdout
        if any(marker in text for marker in DIRTY_MARKERS):
            raise UpdateError(
                "dirty_tree",
                "files in the spark-vllm-docker checkout were edited; commit or stash them "
                "(`git stash` in ~/" + checkout + ") and try again",
            )
        raise UpdateError("git_failed", " | ".join(pull.tail(3)))
    ctx.forget_checkout()
    log("$ ./build-and-copy.sh -c")
    build = await ctx.head.run_streamed(
        commands.in_checkout(checkout, commands.build_and_copy()) + " 2>&1",
        name="build-and-copy.sh",
        timeout=BUILD_TIMEOUT,
        on_line=log,
    )
    if build.exit_status != 0:
        raise UpdateError(
            "build_failed",
            f"build-and-copy.sh exited with status {build.exit_status}: "
            + " | ".join(build.tail(3)),
        )
    return await check(ctx)
