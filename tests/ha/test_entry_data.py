"""Entry data → client configuration: per-Spark users and the diarizer container."""

from __future__ import annotations

from custom_components.spark_control.entry_data import cluster_config

from .conftest import flow_entry_data


def test_per_spark_users_and_ports() -> None:
    """Each Spark gets its own SSH user and port; an old entry falls back to the shared ones."""
    config = cluster_config({**flow_entry_data(), "worker_username": "nvidia"})
    assert (config.head.username, config.head.port) == ("spark", 2201)
    assert (config.worker.username, config.worker.port) == ("nvidia", 2202)
    shared = {**flow_entry_data(), "worker_ssh_port": None}
    config = cluster_config(shared)
    assert (config.worker.username, config.worker.port) == ("spark", 2201)


def test_diarizer_on_a_spark_is_controllable() -> None:
    """On a Spark: a container to control, probed at the add-on URL with the token."""
    data = {
        **flow_entry_data(),
        "worker_host": "192.168.1.12",
        "diarizer_node": "worker",
        "diarizer_container": "gpu-diarizer",
        "addon_url": "http://192.168.1.12:8011/",
        "addon_token": "t0k",
    }
    diarizer = cluster_config(data).diarizer
    assert diarizer is not None
    assert (diarizer.host, diarizer.port, diarizer.container) == (
        "192.168.1.12",
        8011,
        "gpu-diarizer",
    )
    assert (diarizer.ssh_node, diarizer.health_path, diarizer.bearer_token) == (
        "worker",
        "/health",
        "t0k",
    )
    no_url = cluster_config({**data, "addon_url": None, "diarizer_node": "head"}).diarizer
    assert no_url is not None
    assert (no_url.host, no_url.port, no_url.ssh_node) == ("127.0.0.1", 8010, "head")


def test_diarizer_elsewhere_is_only_watched() -> None:
    """Another host (the HA add-on) or an old entry: no container to control."""
    assert cluster_config({**flow_entry_data(), "diarizer_node": "other"}).diarizer is None
    assert cluster_config(flow_entry_data()).diarizer is None
