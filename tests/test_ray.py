"""Trials on real Ray clusters: a private local one, and two nodes on this machine's loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import torch

ray = pytest.importorskip("ray")
from ray import cloudpickle  # noqa: E402
from timeline import Timeline  # noqa: E402

from flair_hpo import Orchestrator  # noqa: E402
from flair_hpo import parameters as p  # noqa: E402
from flair_hpo.errors import ConfigurationError  # noqa: E402
from flair_hpo.executors import RayExecutor  # noqa: E402
from flair_hpo.storage import Journal  # noqa: E402
from flair_hpo.strategies import GridSearch  # noqa: E402
from flair_hpo.tasks import TextClassifierSearchSpace  # noqa: E402

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module


class DyingOptimizer(torch.optim.SGD):
    """Kills the worker process that trains with it."""

    def __init__(self, *args, **kwargs) -> None:
        os._exit(3)


class HangingOptimizer(torch.optim.SGD):
    """Never returns."""

    def __init__(self, *args, **kwargs) -> None:
        time.sleep(3600)


def _space(glove, optimizers: list, learning_rates: tuple = (0.05, 0.2)) -> TextClassifierSearchSpace:
    space = TextClassifierSearchSpace(label_type="question_class")
    space.add_max_epochs_per_training_run(1)
    space.add_parameter(p.DocumentPoolEmbeddings.WORD_EMBEDDINGS, options=[[glove]])
    space.add_parameter(p.ModelTrainer.OPTIMIZER, options=optimizers)
    space.add_parameter(p.ModelTrainer.LEARNING_RATE, options=list(learning_rates))
    return space


@pytest.fixture
def local_ray():
    yield
    if ray.is_initialized():
        ray.shutdown()


def test_trials_train_in_parallel_on_a_local_cluster(trec, glove, tmp_path, local_ray) -> None:
    glove.embed(list(trec.train)[:2])  # a used WordEmbeddings holds caches that plain pickling refuses
    timeline = Timeline()
    executor = RayExecutor(num_cpus=2)
    result = Orchestrator(
        trec, tmp_path, _space(glove, ["SGD", "AdamW"]), GridSearch(seed=0), callbacks=[timeline], executor=executor
    ).optimize()
    assert executor.max_concurrent_trials == 2
    assert not ray.is_initialized()  # the private cluster the executor started went down with the search
    assert [t.state.value for t in result.trials] == ["completed"] * 4
    assert timeline.most_at_once() > 1  # two trials trained at the same time
    journalled = Journal(tmp_path / "journal.sqlite", read_only=True).trials()
    assert all(run.node for trial in journalled for run in trial.runs)
    assert (tmp_path / "best-model.pt").exists() and result.best is not None
    assert len(executor._shared) == 1  # GloVe went into the object store once for all four trials


def test_fractional_gpu_requests_pack_trials_on_a_gpu_and_auto_gives_each_a_whole_gpu_until_measured(
    trec, glove, tmp_path, local_ray
) -> None:
    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)  # one GPU as Ray counts it
    timeline, halves = Timeline(), RayExecutor(resources_per_trial={"cpu": 1, "gpu": 0.5})
    space = _space(glove, ["SGD", "AdamW"])
    Orchestrator(trec, tmp_path / "halves", space, GridSearch(), callbacks=[timeline], executor=halves).optimize()
    assert halves.max_concurrent_trials == 2 and timeline.most_at_once() == 2  # two trials share the GPU

    timeline, auto = Timeline(), RayExecutor()  # "auto"
    result = Orchestrator(trec, tmp_path / "auto", space, GridSearch(), callbacks=[timeline], executor=auto).optimize()
    assert [t.state.value for t in result.trials] == ["completed"] * 4
    assert auto.gpu_share is not None and auto.gpu_share.fraction == 1.0  # these trials ran on the CPU: unmeasured
    assert auto.max_concurrent_trials == 1 and timeline.most_at_once() == 1


def test_a_private_cluster_is_shut_down_however_often_it_was_connected_and_a_joined_one_is_left_up(local_ray) -> None:
    executor = RayExecutor(num_cpus=1)
    executor.connect()
    executor.connect()  # the orchestrator checks the cluster before anything is written, the start connects again
    executor.shutdown()
    assert not ray.is_initialized()
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    joining = RayExecutor()
    joining.connect()
    joining.shutdown()
    assert ray.is_initialized()  # not its cluster: left for its owner


def test_a_dying_worker_is_retried_then_its_trial_fails_and_a_hanging_trial_is_cancelled(
    trec, glove, tmp_path, local_ray
) -> None:
    executor = RayExecutor(num_cpus=2, trial_retries=1, trial_timeout=45)
    result = Orchestrator(
        trec,
        tmp_path,
        _space(glove, ["SGD", DyingOptimizer, HangingOptimizer], learning_rates=(0.1,)),
        GridSearch(seed=0),
        executor=executor,
    ).optimize()
    outcomes = [(t.parameters["optimizer"], t.state.value, t.error or "") for t in result.trials]
    assert [state for name, state, _ in outcomes if "SGD" in name] == ["completed"]
    assert all("WorkerCrashedError after 1 retries" in error for name, _, error in outcomes if "Dying" in name)
    assert all("trial_timeout=45" in error for name, _, error in outcomes if "Hanging" in name)
    assert result.best is not None and "SGD" in result.best.parameters["optimizer"]


def _hold_a_core(seconds: float) -> None:
    time.sleep(seconds)


def test_a_trial_waiting_for_cluster_resources_is_timed_from_its_start(trec, glove, tmp_path, local_ray) -> None:
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    executor = RayExecutor(trial_timeout=25)
    holder = ray.remote(num_cpus=1)(_hold_a_core).remote(35)  # another job holds the cluster's only core
    while ray.available_resources().get("CPU", 0) > 0:
        time.sleep(0.1)
    result = Orchestrator(trec, tmp_path, _space(glove, ["SGD"], (0.1,)), GridSearch(), executor=executor).optimize()
    assert ray.get(holder, timeout=0) is None  # the trial waited for the core: it ended after the holder
    assert [(t.state.value, t.error) for t in result.trials] == [("completed", None)]


def test_an_address_nobody_answers_is_an_error_before_anything_is_written(trec, glove, tmp_path, local_ray) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConfigurationError, match=f"no Ray cluster answers at address '127.0.0.1:{port}'"):
        Orchestrator(
            trec,
            tmp_path / "out",
            _space(glove, ["SGD"]),
            GridSearch(seed=0),
            executor=RayExecutor(f"127.0.0.1:{port}"),
        ).optimize()
    assert not (tmp_path / "out").exists()


def _ray_start(*arguments: str) -> None:
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", *arguments]
    command += ["--num-cpus=1", "--object-store-memory=200000000"]
    subprocess.run(
        command, env={**os.environ, "RAY_AUTH_MODE": "disabled"}, check=True, capture_output=True, timeout=120
    )


@pytest.fixture
def two_nodes(tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # nodes on one machine's loopback, no token to share
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"127.0.0.1:{port}"
    temp = tmp_path / "ray"
    try:
        _ray_start("--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--include-dashboard=false")
        _ray_start(f"--address={address}", "--node-ip-address=127.0.0.1")
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        subprocess.run(
            [sys.executable, "-m", "ray.scripts.scripts", "stop", "--force"], capture_output=True, timeout=120
        )
        del temp


def _search_on(address: str, base_path, flair_cache, epochs: int) -> subprocess.CompletedProcess:
    """A search driven by its own process, as a user's would be (one Ray session per driver)."""
    return subprocess.run(
        [sys.executable, str(Path(__file__).parent / "ray_search.py"), str(base_path), str(flair_cache), address, str(epochs)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "RAY_AUTH_MODE": "disabled"},
    )  # fmt: skip


def _nodes(address: str) -> list[dict]:
    listed = subprocess.run(
        [sys.executable, "-c", f"import json, ray; ray.init(address={address!r}); print('nodes:', json.dumps(ray.nodes()))"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "RAY_AUTH_MODE": "disabled"},
    )  # fmt: skip
    (nodes,) = [line for line in listed.stdout.splitlines() if line.startswith("nodes: ")]  # Ray prints warnings too
    return json.loads(nodes.removeprefix("nodes: "))


def test_trials_run_on_both_nodes_of_a_two_node_cluster(flair_cache, tmp_path, two_nodes) -> None:
    finished = _search_on(two_nodes, tmp_path / "search", flair_cache, epochs=1)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "concurrent 2" in finished.stdout
    trials = Journal(tmp_path / "search" / "journal.sqlite", read_only=True).trials()
    assert [t.state.value for t in trials] == ["completed"] * 6, [t.error for t in trials]
    assert {run.node for trial in trials for run in trial.runs} == {node["NodeID"] for node in _nodes(two_nodes)}


def test_a_node_leaving_mid_search_does_not_stop_the_search(flair_cache, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"127.0.0.1:{port}"
    second = None
    try:
        _ray_start("--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--include-dashboard=false")
        command = [sys.executable, "-m", "ray.scripts.scripts", "start", f"--address={address}", "--block"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            manager_port = probe.getsockname()[1]
        command += ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--object-store-memory=200000000"]
        command += [f"--node-manager-port={manager_port}"]
        second = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(10)
        journal = tmp_path / "search" / "journal.sqlite"
        killed: list = []

        def leave() -> None:
            """Once the first trial has finished, kill the second node: its raylet, its workers, its starter."""
            while not journal.exists() or not any(t.state.finished for t in Journal(journal, read_only=True).trials()):
                time.sleep(0.5)
            raylets = [
                process
                for process in psutil.process_iter(["cmdline"])
                if f"--node_manager_port={manager_port}" in " ".join(process.info["cmdline"] or [])
            ]
            killed.extend(raylets)
            for process in raylets:
                for child in process.children(recursive=True):
                    child.kill()
                process.kill()
            os.killpg(second.pid, signal.SIGKILL)

        threading.Thread(target=leave, daemon=True).start()
        finished = _search_on(address, tmp_path / "search", flair_cache, epochs=3)
        assert finished.returncode == 0, finished.stderr[-2000:]
        trials = Journal(tmp_path / "search" / "journal.sqlite", read_only=True).trials()
        assert [t.state.value for t in trials] == ["completed"] * 6
        assert len(killed) == 1  # the second node's raylet was killed while trials remained
        for _ in range(30):  # Ray notices a dead node after its health checks fail
            nodes = _nodes(address)
            alive = [node["NodeID"] for node in nodes if node["Alive"]]
            if len(alive) == 1:
                break
            time.sleep(5)
        assert len(nodes) == 2 and len(alive) == 1
        assert trials[-1].runs[-1].node == alive[0]
    finally:
        if second is not None and second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
        subprocess.run(
            [sys.executable, "-m", "ray.scripts.scripts", "stop", "--force"], capture_output=True, timeout=120
        )


def test_the_actors_of_a_search_on_a_joined_cluster_end_with_it(trec, local_ray) -> None:
    from flair_hpo.early_stopping import MedianStopping
    from flair_hpo.executors.base import SearchSetup
    from flair_hpo.search.settings import StudySettings
    from flair_hpo.tasks import TEXT_CLASSIFICATION

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    executor = RayExecutor(trial_timeout=60)
    executor.start(SearchSetup(trec, StudySettings(TEXT_CLASSIFICATION, "question_class"), True, None, print))
    rule = MedianStopping()
    rule.bind(3)
    remote_rule = executor.share_rule(rule)
    actors = [remote_rule.actor, executor._starts.board]
    assert ray.get(actors[1].take.remote()) == []  # alive
    executor.shutdown()
    assert ray.is_initialized()  # the cluster is not the search's
    for actor in actors:
        with pytest.raises(ray.exceptions.RayActorError):
            ray.get(actor.take.remote() if actor is actors[1] else actor.finish.remote(0, True), timeout=30)
