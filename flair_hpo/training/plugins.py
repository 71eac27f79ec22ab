"""Trainer plugins that observe flair's training loop for a trial."""

from __future__ import annotations

import math
import time
from typing import Any, Callable, TextIO

from flair.trainers.plugins import TrainerPlugin

from flair_hpo.early_stopping import EarlyStopping
from flair_hpo.objective import EvaluationMetric, Objective
from flair_hpo.training.ctrl_c import CtrlC

CUDA_CONTEXT_BYTES = 512 * 2**20  # a process's CUDA context, which torch's memory statistics do not count


class DeadlineReached(Exception):
    """The search's time budget ran out while a trial was training."""


class NonFiniteLoss(Exception):
    """The training or dev loss became NaN or infinite."""


class ScoreRecorder(TrainerPlugin):
    """Collects the chosen dev metric and the dev loss after every epoch; stops on a non-finite loss.
    Metrics flair does not report (``metric_spec.CustomMetric``) are computed on the dev data here."""

    def __init__(self, metric: Any, label_type: str, storage_mode: str = "none") -> None:
        super().__init__()
        self.metric = metric
        self.label_type = label_type
        self.storage_mode = storage_mode
        self.score_name = ("dev", *metric.record_name) if isinstance(metric, EvaluationMetric) else None
        self.dev_scores: list[float] = []
        self.dev_losses: list[float] = []

    @property
    def epochs_evaluated(self) -> int:
        return max(len(self.dev_scores), len(self.dev_losses))

    @TrainerPlugin.hook
    def after_evaluation(self, **kw: Any) -> None:
        if self.score_name is None:
            dev = list(self.trainer.corpus.dev)
            self.dev_scores.append(self.metric.score(self.trainer.model, dev, self.label_type, self.storage_mode))

    @TrainerPlugin.hook
    def metric_recorded(self, record: Any) -> None:
        name = tuple(record.name)
        if name == self.score_name:
            self.dev_scores.append(float(record.value))
        elif name in (("dev", "loss"), ("train", "loss")):
            if not math.isfinite(float(record.value)):
                raise NonFiniteLoss(f"{name[0]} loss became {record.value} in epoch {record.global_step}")
            if name[0] == "dev":
                self.dev_losses.append(float(record.value))


class StoppedEarly(Exception):
    """An early-stopping rule stopped the trial."""


class EarlyStoppingPlugin(TrainerPlugin):
    """Reports the objective after every epoch to an early-stopping rule and stops training when it says so.
    Reads the values a :class:`ScoreRecorder` placed before it in the plugin list collected."""

    def __init__(
        self, rule: EarlyStopping, trial: int, run: int, recorder: ScoreRecorder, objective: Objective
    ) -> None:
        super().__init__()
        self.rule, self.trial, self.run = rule, trial, run
        self.recorder = recorder
        self.objective = objective

    @TrainerPlugin.hook
    def after_evaluation(self, **kw: Any) -> None:
        values = self.objective.run_values(self.recorder.dev_scores, self.recorder.dev_losses)
        if values:
            epoch = len(values)
            if self.rule.report(self.trial, self.run, epoch, self.objective.maximised(values[-1])):
                raise StoppedEarly(f"{self.rule} stopped the trial after epoch {epoch}")


class DeadlinePlugin(TrainerPlugin):
    """Stops training after the batch during which a monotonic-clock deadline passed."""

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline

    @TrainerPlugin.hook("after_training_batch", "after_training_epoch")
    def check_deadline(self, **kw: Any) -> None:
        if time.monotonic() > self.deadline:
            raise DeadlineReached("the time budget ran out")


class LostCtrlCPlugin(TrainerPlugin):
    """Raises, after the next batch, a Ctrl-C that was noted but lost: raised inside a garbage-collector
    callback, which Python only prints. flair's trainer then takes it as it takes any Ctrl-C."""

    def __init__(self, ctrl_c: CtrlC) -> None:
        super().__init__()
        self.ctrl_c = ctrl_c

    @TrainerPlugin.hook("after_training_batch")
    def check_ctrl_c(self, **kw: Any) -> None:
        self.ctrl_c.check()


class EpochProgress(TrainerPlugin):
    """Prints ``<what>: epoch 3/10 done, 42 s`` after every epoch, so that a long training is visibly alive."""

    def __init__(self, what: str, max_epochs: int, stream: TextIO) -> None:
        super().__init__()
        self.what, self.max_epochs, self.stream = what, max_epochs, stream
        self.started = time.monotonic()

    @TrainerPlugin.hook
    def after_training_epoch(self, epoch: int, **kw: Any) -> None:
        elapsed = time.monotonic() - self.started
        print(f"{self.what}: epoch {epoch}/{self.max_epochs} done, {elapsed:.0f} s", file=self.stream, flush=True)


class RecipeLog(TrainerPlugin):
    """Names the recipe, its optimizer and schedule among the plugins flair lists in ``training.log``."""

    def __init__(self, recipe: str, schedule: str) -> None:
        super().__init__()
        self.recipe, self.schedule = recipe, schedule

    def __str__(self) -> str:
        optimizer = getattr(self.trainer, "optimizer", None) if self._pluggable is not None else None
        if optimizer is None:
            return f"Recipe | {self.recipe}, schedule {self.schedule}"
        settings = optimizer.defaults
        shown = ", ".join(f"{name}={settings[name]}" for name in ("lr", "weight_decay", "momentum") if name in settings)
        return f"Recipe | {self.recipe}: optimizer {type(optimizer).__name__} ({shown}), schedule {self.schedule}"


class UsageReporter(TrainerPlugin):
    """Reports a trial's peak GPU memory and CPU use (cores busy) after its first batches and after every
    dev evaluation, through ``send(peak_bytes, cores_busy)``."""

    FIRST_REPORT_AFTER_BATCHES = 20

    def __init__(self, device: Any, send: Callable[[int, float], None]) -> None:
        super().__init__()
        self.device, self.send = device, send
        self.batches = 0
        self.started_wall, self.started_cpu = time.monotonic(), time.process_time()

    def _report(self) -> None:
        import torch

        on_gpu = self.device.type == "cuda"
        peak = int(torch.cuda.max_memory_reserved(self.device)) + CUDA_CONTEXT_BYTES if on_gpu else 0
        wall = max(time.monotonic() - self.started_wall, 1e-9)
        self.send(peak, (time.process_time() - self.started_cpu) / wall)

    @TrainerPlugin.hook
    def after_training_batch(self, **kw: Any) -> None:
        self.batches += 1
        if self.batches == self.FIRST_REPORT_AFTER_BATCHES:
            self._report()

    @TrainerPlugin.hook
    def after_evaluation(self, **kw: Any) -> None:
        self._report()
