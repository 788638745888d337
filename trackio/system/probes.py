"""Readings of the machine: CPU, memory, disk and network through psutil, this process
too, and NVIDIA GPUs through NVML (`nvidia-ml-py`). Rates (MB/s) are over the time
since the probe's previous reading."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

MB = 1024 * 1024
GB = 1024 * MB


class MachineProbe:
    """CPU, memory, disk and network use of the machine, and this process's CPU and
    memory (psutil)."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self._process = psutil.Process(os.getpid())
        psutil.cpu_percent(interval=None)
        self._process.cpu_percent(interval=None)
        self._disk = psutil.disk_io_counters()
        self._net = psutil.net_io_counters()
        self._when = time.monotonic()

    def read(self) -> dict[str, float]:
        """One reading, under the PyPI trackio's names."""
        psutil = self._psutil
        now = time.monotonic()
        elapsed = max(now - self._when, 1e-6)
        memory = psutil.virtual_memory()
        with self._process.oneshot():
            process_cpu = self._process.cpu_percent(interval=None)
            rss = self._process.memory_info().rss
        reading = {
            "cpu/utilization": psutil.cpu_percent(interval=None),
            "memory/used": (memory.total - memory.available) / GB,
            "memory/percent": memory.percent,
            "process/cpu_percent": process_cpu,
            "process/rss": rss / GB,
        }
        disk, net = psutil.disk_io_counters(), psutil.net_io_counters()
        if disk is not None and self._disk is not None:
            reading["disk/read_mb_per_sec"] = (
                (disk.read_bytes - self._disk.read_bytes) / MB / elapsed
            )
            reading["disk/write_mb_per_sec"] = (
                (disk.write_bytes - self._disk.write_bytes) / MB / elapsed
            )
        if net is not None and self._net is not None:
            reading["network/sent_mb_per_sec"] = (
                (net.bytes_sent - self._net.bytes_sent) / MB / elapsed
            )
            reading["network/recv_mb_per_sec"] = (
                (net.bytes_recv - self._net.bytes_recv) / MB / elapsed
            )
        self._disk, self._net, self._when = disk, net, now
        return reading


def visible_gpu_indices(count: int, uuids: list[str] | None = None) -> list[int]:
    """The NVML indices of the GPUs `CUDA_VISIBLE_DEVICES` leaves this process, in its
    order (all of them when it is unset). Entries are indices or UUIDs (`GPU-8f3a...`,
    a unique prefix is enough, as CUDA takes it, given the GPUs' `uuids`); as in CUDA,
    the list ends at the first entry that names no GPU."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return list(range(count))
    indices: list[int] = []
    for item in visible.split(","):
        item = item.strip()
        if item.isdigit() and int(item) < count:
            found = int(item)
        else:
            matches = [i for i, uuid in enumerate(uuids or []) if item and uuid.startswith(item)]
            if len(matches) != 1:
                break
            found = matches[0]
        if found in indices:
            break
        indices.append(found)
    return indices


class GpuProbe:
    """Utilization, memory, power and temperature of the visible NVIDIA GPUs, numbered
    as this process sees them (`gpu/0` is the first visible one)."""

    def __init__(self) -> None:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        self._nvml = pynvml
        every = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        uuids = [_text(pynvml.nvmlDeviceGetUUID(handle)) for handle in every]
        self._handles = [every[i] for i in visible_gpu_indices(len(every), uuids)]
        if not self._handles:
            raise RuntimeError("no NVIDIA GPU is visible to this process")

    def read(self) -> dict[str, float]:
        """One reading of every visible GPU, and their means and totals."""
        nvml = self._nvml
        reading: dict[str, float] = {}
        utilizations, powers = [], []
        for number, handle in enumerate(self._handles):
            prefix = f"gpu/{number}/"
            rates = nvml.nvmlDeviceGetUtilizationRates(handle)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            reading[prefix + "utilization"] = float(rates.gpu)
            reading[prefix + "memory_utilization"] = float(rates.memory)
            reading[prefix + "allocated_memory"] = memory.used / GB
            reading[prefix + "total_memory"] = memory.total / GB
            utilizations.append(float(rates.gpu))
            _optional(
                reading, prefix + "power", lambda h=handle: nvml.nvmlDeviceGetPowerUsage(h) / 1000
            )
            _optional(
                reading,
                prefix + "temp",
                lambda h=handle: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU),
            )
            if prefix + "power" in reading:
                powers.append(reading[prefix + "power"])
        reading["gpu/mean_utilization"] = sum(utilizations) / len(utilizations)
        if powers:
            reading["gpu/total_power"] = sum(powers)
        return reading


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _optional(reading: dict[str, float], name: str, measure: Any) -> None:
    """Add a reading some GPUs do not give (power, temperature on some boards)."""
    with contextlib.suppress(Exception):  # NVMLError_NotSupported and kin: left out
        reading[name] = float(measure())


def machine_probe() -> MachineProbe | None:
    """The machine's probe, or None without psutil."""
    try:
        return MachineProbe()
    except ImportError:
        return None


def gpu_probe() -> GpuProbe | None:
    """The GPUs' probe, or None without nvidia-ml-py, a driver or a visible GPU."""
    try:
        return GpuProbe()
    except Exception:  # noqa: BLE001 - no library, no driver (NVMLError), no GPU
        return None
