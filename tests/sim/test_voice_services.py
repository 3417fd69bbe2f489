"""The speech services speak their real protocols: Parakeet listens (pocketsphinx), Magpie speaks
(espeak-ng) in both API flavours, and the voice pieces connect (Magpie's audio -> Parakeet)."""

from __future__ import annotations

import io
import subprocess
import wave

import aiohttp
import pytest
import soundfile

from spark_sim.pair import SimPair
from tests.sim.conftest import eventually

PHRASES = ("turn on the kitchen light", "load qwen36 on the cluster", "is the cluster ready")


def espeak(text: str) -> bytes:
    """What espeak-ng says, as its own WAV (22050 Hz; the service resamples)."""
    return subprocess.run(["espeak-ng", "--stdout", text], check=True, capture_output=True).stdout


def wav_info(data: bytes) -> tuple[int, int, float]:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getnframes() / wav.getframerate()


def audio_form(data: bytes, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="speech.wav", content_type="audio/wav")
    for key, value in fields.items():
        form.add_field(key.replace("_granularities", "_granularities[]"), value)
    return form


async def ready(http: aiohttp.ClientSession, url: str) -> None:
    async def up() -> bool:
        try:
            async with http.get(url) as resp:
                return resp.status == 200
        except aiohttp.ClientConnectionError:
            return False

    await eventually(up, 60)


async def test_parakeet_transcribes_what_it_hears(sim_pair: SimPair) -> None:
    url = f"{sim_pair.parakeet_url}/v1/audio/transcriptions"
    async with aiohttp.ClientSession() as http:
        await ready(http, f"{sim_pair.parakeet_url}/healthz")
        for phrase in PHRASES:
            async with http.post(url, data=audio_form(espeak(phrase))) as resp:
                assert resp.status == 200
                body = await resp.json()
            words = body["text"].lower().rstrip(".").split()
            assert all(word in words for word in phrase.split()), (phrase, body["text"])
            assert body["text"][0].isupper() and body["text"].endswith(".")
        speech = espeak("which model is loaded")
        async with http.post(
            url,
            data=audio_form(speech, response_format="verbose_json", timestamp_granularities="word"),
        ) as resp:
            verbose = await resp.json()
        seconds = soundfile.info(io.BytesIO(speech)).duration  # espeak's header sizes are bogus
        assert verbose["duration"] == pytest.approx(seconds, abs=0.01)
        starts = [w["start"] for w in verbose["words"]]
        assert starts == sorted(starts) and verbose["words"][-1]["end"] <= seconds + 0.05
        assert "model" in [w["word"] for w in verbose["words"]]
        assert verbose["segments"][0]["text"] == verbose["text"]
        async with http.post(url, data=audio_form(speech, response_format="text")) as resp:
            assert resp.content_type == "text/plain" and "loaded" in (await resp.text()).lower()
        async with http.post(url, data=audio_form(speech, response_format="vtt")) as resp:
            assert (await resp.text()).startswith("WEBVTT\n\n00:00:00.000 --> ")
        # Silence is heard as nothing.
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
            out.writeframes(bytes(32000))
        async with http.post(url, data=audio_form(buf.getvalue())) as resp:
            assert (await resp.json())["text"] == ""
        # Errors as the real wrappers give them.
        cases = [
            (audio_form(b""), 400, "Empty audio payload"),
            (audio_form(b"RIFF but not really audio"), 415, "Invalid audio format"),
            (audio_form(speech, response_format="mp4"), 400, "Unsupported response_format"),
            (audio_form(speech, model="whisper-large"), 404, "Unknown model"),
        ]
        for form, status, text in cases:
            async with http.post(url, data=form) as resp:
                assert resp.status == status and text in str((await resp.json())["detail"])
        no_file = aiohttp.FormData()
        no_file.add_field("model", "parakeet")
        no_file.add_field("x", b"1", filename="x.bin")
        async with http.post(url, data=no_file) as resp:
            assert resp.status == 422 and (await resp.json())["detail"][0]["loc"] == [
                "body",
                "file",
            ]
        async with http.post(url, json={"file": "x"}) as resp:
            assert resp.status == 400


async def test_magpie_speaks_both_flavours(sim_pair: SimPair) -> None:
    base = sim_pair.magpie_url
    async with aiohttp.ClientSession() as http:
        await ready(http, f"{base}/v1/health/ready")
        await ready(http, f"{sim_pair.parakeet_url}/healthz")
        async with http.get(f"{base}/v1/audio/list_voices") as resp:
            ((locales, entry),) = (await resp.json()).items()
        assert "en-US" in locales.split(",")
        assert "Magpie-Multilingual.EN-US.Aria.Happy" in entry["voices"]
        form = aiohttp.FormData()
        for key, value in {
            "text": "Turn on the kitchen light",
            "language": "en-US",
            "voice": "Magpie-Multilingual.EN-US.Jason",
            "sample_rate_hz": "16000",
        }.items():
            form.add_field(key, value)
        async with http.post(f"{base}/v1/audio/synthesize", data=form) as resp:
            assert resp.status == 200 and resp.content_type == "audio/wav"
            speech = await resp.read()
        rate, channels, seconds = wav_info(speech)
        assert (rate, channels) == (16000, 1) and 0.8 < seconds < 4
        # Real audio: Parakeet hears what Magpie said.
        async with http.post(
            f"{sim_pair.parakeet_url}/v1/audio/transcriptions", data=audio_form(speech)
        ) as resp:
            assert "kitchen" in (await resp.json())["text"].lower()
        async with http.post(
            f"{base}/v1/audio/synthesize_online",
            data={"text": "hello", "language": "en-US", "sample_rate_hz": "22050"},
        ) as resp:
            raw = await resp.read()
        assert resp.status == 200 and not raw.startswith(b"RIFF") and len(raw) > 22050 // 4
        bad = [
            (
                {"text": "hi", "language": "en-US", "voice": "Magpie-Multilingual.EN-US.Nobody"},
                "not found",
            ),
            ({"text": "hi", "language": "xx-XX"}, "Unsupported language"),
            (
                {"text": "hi", "language": "de-DE", "voice": "Magpie-Multilingual.EN-US.Aria"},
                "does not speak",
            ),
            ({"text": "   ", "language": "en-US"}, "empty text input"),
            ({"text": "x" * 2001, "language": "en-US"}, "limit is 2000"),
        ]
        for fields, text in bad:
            async with http.post(f"{base}/v1/audio/synthesize", data=fields) as resp:
                assert resp.status == 400 and text in (await resp.json())["error"]
        async with http.post(f"{base}/v1/audio/synthesize", json={"text": "hi"}) as resp:
            assert resp.status == 400 and "empty text input" in await resp.text()
        speech_req = {"model": "magpie", "input": "Hello there", "voice": "aria"}
        async with http.post(f"{base}/v1/audio/speech", json=speech_req) as resp:
            assert resp.status == 404  # the NIM has no OpenAI route
        sim_pair.faults.set("magpie_api", "openai")
        async with http.post(f"{base}/v1/audio/speech", json=speech_req) as resp:
            assert resp.status == 200 and resp.headers["X-Sample-Rate"] == "22050"
            assert wav_info(await resp.read())[0] == 22050
        async with http.post(
            f"{base}/v1/audio/speech", json={**speech_req, "response_format": "pcm"}
        ) as resp:
            pcm = await resp.read()
            assert int(resp.headers["X-Duration-Ms"]) == round(len(pcm) / 2 / 22050 * 1000)
        for change, text in [
            ({"voice": "nobody"}, "Unknown voice"),
            ({"response_format": "mp3"}, "Unsupported response_format"),
            ({"input": ""}, "non-empty"),
            ({"speed": 9}, "speed"),
        ]:
            async with http.post(f"{base}/v1/audio/speech", json={**speech_req, **change}) as resp:
                assert resp.status == 400 and text in (await resp.json())["detail"]
        async with http.get(f"{base}/v1/audio/list_voices") as resp:
            assert resp.status == 404
        async with http.get(f"{base}/health") as resp:
            assert (await resp.json())["status"] == "ok"
        sim_pair.faults.clear("magpie_api")
        async with http.get(f"{base}/v1/audio/list_voices") as resp:
            assert resp.status == 200
