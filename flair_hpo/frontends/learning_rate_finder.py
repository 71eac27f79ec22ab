"""flair's ModelTrainer with the learning-rate finder of flair's tuning tutorial.

trainer = ModelTrainer(tagger, corpus)
learning_rate_tsv = trainer.find_learning_rate("resources/taggers/example-ner", Adam)
Plotter().plot_learning_rate(learning_rate_tsv)
"""

from __future__ import annotations

import copy
import logging
import math
import time
from pathlib import Path
from typing import Any, Optional, Union

import flair
import numpy as np
import torch
from flair.datasets import DataLoader
from flair.trainers import ModelTrainer as FlairModelTrainer
from flair.training_utils import store_embeddings

from flair_hpo.errors import ConfigurationError

log = logging.getLogger("flair_hpo")

LEARNING_RATE_FILE = "learning_rate.tsv"
HEADER = "ITERATION\tTIMESTAMP\tLEARNING_RATE\tTRAIN_LOSS\n"
FINE_TUNING_DIVISOR = 10.0
STILL_FALLING_FRACTION = 0.1  # a lowest loss this near the ramp's end means the loss had not turned up yet
FINE_TUNING_RANGE = (1e-6, 1e-2)
TRAINING_RANGE = (1e-7, 10.0)  # flair's own finder's ramp


def _smoothed(losses: list[float], smoothing_factor: float) -> list[float]:
    """The bias-corrected exponential moving average of the losses (at least 3 are needed)."""
    if len(losses) < 3:
        raise ValueError(f"need at least 3 recorded iterations to suggest a learning rate, got {len(losses)}")
    smoothed, average = [], 0.0
    for step, loss in enumerate(losses, start=1):
        average = smoothing_factor * average + (1 - smoothing_factor) * loss
        smoothed.append(average / (1 - smoothing_factor**step))
    return smoothed


def suggest_learning_rate(learning_rates: list[float], losses: list[float], smoothing_factor: float = 0.98) -> float:
    """The learning rate where the smoothed loss falls fastest against log(learning rate)."""
    smoothed = _smoothed(losses, smoothing_factor)
    slopes = np.gradient(np.array(smoothed), np.log(np.array(learning_rates)))
    skip = len(slopes) // 10  # the first iterations mostly show the smoothing warming up
    return float(learning_rates[skip + int(np.argmin(slopes[skip:]))])


def suggest_fine_tuning_learning_rate(
    learning_rates: list[float], losses: list[float], smoothing_factor: float = 0.9
) -> float:
    """For fine-tuning a pretrained model: a tenth of the learning rate at which the smoothed loss is lowest.

    Over a whole fine-tuning the best learning rate lies about ten times below the lowest loss of a short range
    test. Where the loss is still falling at the end of the ramp (its lowest point in the last tenth of the
    iterations, as for token labels, whose loss is dominated by the easy ``O`` tags), the ramp found no lowest
    point, and the suggestion is where the smoothed loss falls fastest instead. Measured with MiniLM
    (benchmarks/RESULTS.md): within 1.3x to 2.7x of a grid's best on TREC-6 and WNUT-17."""
    smoothed = _smoothed(losses, smoothing_factor)
    lowest = int(np.argmin(smoothed))
    if lowest >= len(smoothed) * (1 - STILL_FALLING_FRACTION):
        return suggest_learning_rate(learning_rates, losses, smoothing_factor)
    return float(learning_rates[lowest]) / FINE_TUNING_DIVISOR


class ModelTrainer(FlairModelTrainer):
    """flair's ``ModelTrainer`` plus :meth:`find_learning_rate`."""

    suggested_learning_rate: Optional[float] = None

    def find_learning_rate(
        self,
        base_path: Union[str, Path],
        optimizer: Union[type[torch.optim.Optimizer], torch.optim.Optimizer],
        mini_batch_size: int = 32,
        start_learning_rate: Optional[float] = None,
        end_learning_rate: Optional[float] = None,
        iterations: int = 100,
        stop_early: bool = True,
        file_name: str = LEARNING_RATE_FILE,
        smoothing_factor: Optional[float] = None,
        fine_tune: bool = False,
        **kwargs: Any,
    ) -> Path:
        """Train with an exponentially growing learning rate and write the loss of every step to
        ``learning_rate.tsv``; afterwards the model's weights (and a given optimizer's state) are as before.
        The suggestion is in ``self.suggested_learning_rate``. Returns the path of the TSV file.

        ``fine_tune``: the model fine-tunes a pretrained transformer (use AdamW); the ramp runs from 1e-6 to 1e-2
        (not 1e-7 to 10) unless given, and the suggestion is a tenth of where the smoothed loss is lowest, or
        where it falls fastest if it is still falling at the ramp's end (:func:`suggest_fine_tuning_learning_rate`).
        ``smoothing_factor``: of the loss's moving average (default 0.98, or 0.9 for fine-tuning)."""
        default_range = FINE_TUNING_RANGE if fine_tune else TRAINING_RANGE
        start_learning_rate = default_range[0] if start_learning_rate is None else start_learning_rate
        end_learning_rate = default_range[1] if end_learning_rate is None else end_learning_rate
        if smoothing_factor is None:
            smoothing_factor = 0.9 if fine_tune else 0.98
        if not 0 < start_learning_rate < end_learning_rate:
            raise ConfigurationError(
                f"0 < start_learning_rate < end_learning_rate must hold, got ({start_learning_rate}, {end_learning_rate})"
            )
        path = Path(base_path)
        path.mkdir(parents=True, exist_ok=True)
        tsv = path / file_name
        model_state = copy.deepcopy(self.model.state_dict())
        was_training = self.model.training
        if isinstance(optimizer, torch.optim.Optimizer):
            optimizer_state = copy.deepcopy(optimizer.state_dict())
            active = optimizer
            for group in active.param_groups:
                group["lr"] = start_learning_rate
        else:
            optimizer_state, active = None, optimizer(self.model.parameters(), lr=start_learning_rate, **kwargs)  # type: ignore[call-arg]
        growth = (end_learning_rate / start_learning_rate) ** (1 / iterations)
        learning_rates: list[float] = []
        losses: list[float] = []
        try:
            self.model.train()
            best, average, step = math.inf, 0.0, 0
            with tsv.open("w", encoding="utf-8") as handle:
                handle.write(HEADER)
                while step < iterations:
                    for batch in DataLoader(self.corpus.train, batch_size=mini_batch_size, shuffle=True):
                        step += 1
                        learning_rate = start_learning_rate * growth**step
                        for group in active.param_groups:
                            group["lr"] = learning_rate
                        loss, count = self.model.forward_loss(batch)[:2]
                        active.zero_grad()
                        loss.backward()
                        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
                        active.step()
                        store_embeddings(batch, "none")  # a fine-tuned transformer's outputs hold their graph
                        value = loss.item() / max(count, 1)
                        average = smoothing_factor * average + (1 - smoothing_factor) * value
                        smoothed = average / (1 - smoothing_factor**step)
                        if stop_early and (not math.isfinite(value) or smoothed > 4 * best):
                            log.info("learning-rate finder stopped at step %d: the loss diverged", step)
                            step = iterations
                            break
                        best = min(best, smoothed)
                        learning_rates.append(learning_rate)
                        losses.append(value)
                        handle.write(f"{step}\t{time.strftime('%H:%M:%S')}\t{learning_rate}\t{value}\n")
                        if step >= iterations:
                            break
        finally:
            self.model.load_state_dict(model_state)
            self.model.train(was_training)
            self.model.to(flair.device)
            if optimizer_state is not None:
                active.load_state_dict(optimizer_state)
        if len(losses) >= 3:
            rule = suggest_fine_tuning_learning_rate if fine_tune else suggest_learning_rate
            self.suggested_learning_rate = rule(learning_rates, losses, smoothing_factor)
            log.info("suggested learning rate: %g (%s)", self.suggested_learning_rate, rule.__name__)
        return tsv
