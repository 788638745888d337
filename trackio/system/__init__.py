"""System metrics: what the machine did during a run (CPU, memory, disk, network,
GPUs), sampled by a background thread and stored against wall time, apart from the
training metrics."""
