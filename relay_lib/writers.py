"""Output writers: JSON (schema in relay_lib/schema), RTTM, SRT, VTT and plain text.

Subtitle and text writers use utterances when a transcript exists, otherwise the bare speaker turns,
so every format is useful with or without an STT service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from relay_lib.result import RelayResult

FORMATS = ("json", "rttm", "srt", "vtt", "txt")


@dataclass(frozen=True)
class _Cue:
    start: float
    end: float
    speaker: str | None
    text: str


def _cues(result: RelayResult) -> list[_Cue]:
    if result.utterances:
        return [_Cue(u.start, u.end, u.speaker, u.text) for u in result.utterances if u.text]
    return [_Cue(t.start, t.end, t.speaker, "") for t in result.segments]


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _rttm_token(text: str) -> str:
    """RTTM fields are whitespace-separated: no field may contain blanks."""
    return "_".join(text.split()) or "unknown"


def write_rttm(result: RelayResult) -> str:
    """NIST RTTM SPEAKER lines; the file id is the input's stem."""
    file_id = _rttm_token(result.source.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    return "".join(
        f"SPEAKER {file_id} 1 {t.start:.3f} {t.duration:.3f} <NA> <NA> "
        f"{_rttm_token(t.speaker)} <NA> <NA>\n"
        for t in result.segments
    )


def _cue_text(cue: _Cue) -> str:
    speaker = cue.speaker or "Unknown"
    return f"{speaker}: {cue.text}" if cue.text else f"[{speaker}]"


def write_srt(result: RelayResult) -> str:
    """SubRip: numbered cues, comma before milliseconds, blank line between cues."""
    blocks = [
        f"{n}\n{_timestamp(c.start, ',')} --> {_timestamp(c.end, ',')}\n{_cue_text(c)}\n"
        for n, c in enumerate(_cues(result), 1)
    ]
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_vtt(result: RelayResult) -> str:
    """WebVTT with voice spans (<v Speaker 1>) so players can style speakers."""
    blocks = ["WEBVTT\n"]
    for cue in _cues(result):
        speaker = _vtt_escape(cue.speaker or "Unknown")
        body = _vtt_escape(cue.text) if cue.text else f"[{speaker}]"
        blocks.append(
            f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n<v {speaker}>{body}\n"
        )
    return "\n".join(blocks)


def write_txt(result: RelayResult) -> str:
    """ "Speaker 1: ..." lines, consecutive utterances of one speaker joined into one paragraph."""
    lines: list[tuple[str, list[str]]] = []
    for cue in _cues(result):
        speaker = cue.speaker or "Unknown"
        text = cue.text or f"[{_timestamp(cue.start, '.')} - {_timestamp(cue.end, '.')}]"
        if lines and lines[-1][0] == speaker:
            lines[-1][1].append(text)
        else:
            lines.append((speaker, [text]))
    return "".join(f"{speaker}: {' '.join(texts)}\n" for speaker, texts in lines)


def write_json(result: RelayResult) -> str:
    """The documented JSON form (relay_lib/schema/relay-result.schema.json)."""
    return result.to_json()


WRITERS: dict[str, Callable[[RelayResult], str]] = {
    "json": write_json,
    "rttm": write_rttm,
    "srt": write_srt,
    "vtt": write_vtt,
    "txt": write_txt,
}


def render(result: RelayResult, fmt: str) -> str:
    """Render in one of FORMATS."""
    try:
        return WRITERS[fmt](result)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
