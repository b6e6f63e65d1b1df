"""Reaching a Ray cluster and talking with the processes that train on it.

Ray is an optional extra (`pip install 'cnnstudio[ray]'`): nothing on the
single-process path imports this module. `local` starts Ray on this machine
(or uses the one this process started already); `auto` joins the cluster
`ray start` made on this machine; `ray://host:port` joins a remote cluster
through Ray Client, and `host:port` a cluster's head node directly.

A `Relay` actor carries everything between the launching process and the
trainers: the trainers put events (a finished epoch, the chief's record and
files), the launcher takes them as they come, and sets the stop flag the
trainers watch (Ctrl+C).
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from typing import Any, Callable

from cnnstudio.core.errors import CnnStudioError

LOCAL = "local"
"""The address that starts a Ray on this machine for the job (the GUI's "This machine")."""
CONNECT_TIMEOUT_SECONDS = 5.0
STOP_POLL_SECONDS = 0.25
WORKER_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore",
              "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S": "0.5"}
"""TensorFlow's start-up chatter would otherwise reach the terminal from every worker;
Ray Train's controller looks at its workers every 2 s by default, so a run ended up to
2 s before the launcher heard of it (0.5 s: 0.7 s from the last epoch to the end, not
2.25 s, on 2 workers here)."""


class ClusterError(CnnStudioError):
    """Ray is missing, or the cluster cannot be reached or cannot run the job."""


def ray_installed() -> bool:
    """Whether the Ray extra is there, found without importing it (that takes seconds)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def import_ray():
    """Ray, or a sentence that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError("Training on a cluster and sweeps need Ray, an optional extra: "
                           "run pip install 'cnnstudio[ray]'.") from None
    return ray


@dataclass(frozen=True)
class Cluster:
    """The Ray session this process uses, and whether it started it (then it ends it)."""

    address: str
    started_here: bool

    def describe(self) -> dict[str, Any]:
        """What the run record keeps of the cluster: nodes, CPUs and GPUs."""
        ray = import_ray()
        resources = ray.cluster_resources()
        nodes = [node for node in ray.nodes() if node.get("Alive")]
        return {"address": self.address, "nodes": len(nodes),
                "cpus": int(resources.get("CPU", 0)), "gpus": int(resources.get("GPU", 0))}

    def close(self) -> None:
        if self.address in _in_use:
            _in_use.remove(self.address)
        if self.started_here:
            import_ray().shutdown()


def _host_port(address: str) -> tuple[str, int] | None:
    """The host and port an address names, for a quick reachability check."""
    rest = address.removeprefix("ray://")
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        return None
    return host, int(port)


def check_address(address: str) -> None:
    """Refuse, before anything is reached, what cannot be an address at all."""
    if address in ("local", "auto"):
        return
    if _host_port(address) is None:
        raise ClusterError(f"{address!r} is not a Ray address: use local, auto, "
                           "ray://HOST:PORT (Ray Client, port 10001) or HOST:PORT (the head "
                           "node, port 6379).")


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
    """Fail in seconds, with one sentence, where Ray would retry for half a minute or
    more. Ray's head and its client server both speak gRPC: a channel that becomes
    ready is a Ray to talk to, where an open port alone may be anything."""
    import grpc  # a dependency of Ray's

    check_address(address)
    target = _host_port(address)
    try:
        socket.create_connection(target, timeout=timeout).close()
    except OSError as error:
        raise ClusterError(f"cannot reach the Ray cluster at {address} "
                           f"({error.strerror or type(error).__name__}). Check that `ray "
                           "start --head` runs there and that the port is open, or use "
                           "--ray local.") from None
    channel = grpc.insecure_channel(f"{target[0]}:{target[1]}")
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: nothing answered "
                           f"there in {timeout:g} s. Check that `ray start --head` runs "
                           "there and that the port is open, or use --ray local.") from None
    finally:
        channel.close()


_in_use: list[str] = []
"""The address of the job that holds this process's Ray, while one does: a GUI may ask
for a sweep and a cluster run at once, and they must not share a session (the first to
end would shut it down under the other)."""


def connect(address: str, cpus: int | None = None) -> Cluster:
    """Join or start the Ray session `address` names (see the module docstring)."""
    if _in_use:
        raise ClusterError(f"another job in this window already uses Ray (at {_in_use[0]}): "
                           "start this one when it has ended.")
    cluster = _connect(address, cpus)
    _in_use.append(address)
    return cluster


def _connect(address: str, cpus: int | None) -> Cluster:
    ray = import_ray()
    if address not in ("local", "auto"):
        check_reachable(address)
    if ray.is_initialized():  # a test's or a program's own session: used as it is
        return Cluster(address, started_here=False)
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                               "configure_logging": False,
                               "runtime_env": {"env_vars": dict(WORKER_ENV)}}
    if address == "local":
        # a machine with fewer cores than workers still runs them all, each a process
        options["num_cpus"] = max(os.cpu_count() or 1, cpus or 1)
        ray.init(**options)
        return Cluster("local", started_here=True)
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise ClusterError(f"cannot join the Ray cluster at {address}: {first} Start one "
                           "with `ray start --head`, or use --ray local.") from None
    return Cluster(address, started_here=True)


class _Relay:
    """The mailbox between the launcher and the trainers (a Ray actor, see `new_relay`)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.stop_asked = False
        self.training: set = set()  # who said ("started", ID, ...) and has not ended

    def put(self, message) -> None:
        self.messages.append(message)
        if message[0] == "started":
            self.training.add(message[1])
        elif message[0] in ("finished", "invalid"):
            self.training.discard(message[1])

    def idle(self) -> bool:
        return not self.training

    def take(self) -> list:
        messages, self.messages = self.messages, []
        return messages

    def stop(self) -> None:
        self.stop_asked = True

    def stopped(self) -> bool:
        return self.stop_asked


def new_relay():
    """A Relay actor; it takes no CPU, so it never waits for a trainer's slot."""
    ray = import_ray()
    return ray.remote(num_cpus=0)(_Relay).remote()


POLL_SECONDS = 0.1


def relay_while(call: Callable[[], Any], relay, stop_requested: threading.Event,
                receive: Callable[[tuple], None]) -> BaseException | None:
    """In the launcher: run `call` (Ray's blocking `fit`) in a thread and meanwhile hand
    every relayed message to `receive`, passing a stop on once it is asked for. Returns
    what `call` raised, if anything, once the last message is handed on."""
    ray = import_ray()
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except Exception as error:  # noqa: BLE001 - the caller words it
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    stop_sent = False
    while True:
        if stop_requested.is_set() and not stop_sent:
            relay.stop.remote()
            stop_sent = True
        done = not thread.is_alive()
        for message in ray.get(relay.take.remote()):
            receive(message)
        if done:
            return raised[0] if raised else None
        thread.join(POLL_SECONDS)


def watch_stop(relay, stop: Callable[[], None]) -> threading.Event:
    """In a trainer: call `stop` once the launcher asks; set the returned event to quit."""
    ray = import_ray()
    done = threading.Event()

    def poll() -> None:
        while not done.wait(STOP_POLL_SECONDS):
            try:
                if ray.get(relay.stopped.remote()):
                    stop()
                    return
            except Exception:  # noqa: BLE001 - the launcher is gone: stop too
                stop()
                return
    threading.Thread(target=poll, name="stop-watch", daemon=True).start()
    return done


RUN_FILE_NAMES = {"weights": "last.weights.h5", "best_weights": "best.weights.h5",
                  "probe": "probe.npz"}
"""A run record's files, by field, as a local run names them in its folder."""


def run_files(record: dict | None) -> dict[str, bytes]:
    """In a trainer: the files its record names, to send with the record."""
    if not record:
        return {}
    return read_files({field: record.get(field) for field in RUN_FILE_NAMES})


def place_run(project_file, runs, record: dict, files: dict[str, bytes]) -> dict:
    """In the launcher: a record made in another process (perhaps on another machine)
    under a new run id of the project, its files written into that run's folder."""
    from cnnstudio.core.run_files import path_to_store
    from cnnstudio.core.run_store import reserve_run

    record = dict(record)
    run_id, folder = reserve_run(project_file, runs)
    for field, name in RUN_FILE_NAMES.items():
        record[field] = None
        if field in files:
            (folder / name).write_bytes(files[field])
            record[field] = path_to_store(folder / name, project_file)
    record["id"] = run_id
    return record


def read_files(paths: dict[str, str | None]) -> dict[str, bytes]:
    """The run's files as bytes, to travel to a launcher that may be on another machine."""
    out = {}
    for field, path in paths.items():
        if path and os.path.isfile(path):
            with open(path, "rb") as handle:
                out[field] = handle.read()
    return out
