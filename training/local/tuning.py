"""The local tuning job: Optuna searches a :class:`~training.tuning.TuningPlan`.

Every trial trains the project's ``LinearLearner`` (one model, ``num_models=1``) on the
training split and is scored on the validation split, under SageMaker's metric name. The
main process owns the Optuna study: it asks the sampler for each trial's values (a seeded
TPE sampler for ``bayesian``, a seeded random one for ``random``), hands them to a worker,
and tells the study the result. Up to as many trials as the machine has cores run at once,
each in its own process; with one at a time they run in this process.

**Pruning**, the counterpart of SageMaker's ``early_stopping_type="Auto"`` (its median
stopping rule): a trial reports its validation ``objective_loss`` at epochs 1, 2, 5, 10, 20,
50, ... (the one metric Linear Learner computes every epoch; negated when the objective is
maximised, so it ranks trials the same way), and Optuna's ``MedianPruner`` stops it when
its best so far is worse than the median of the finished trials at that epoch. The worker
decides this against a copy of the finished trials it was given, so no storage is shared
between processes.

**Reproducible:** with one trial at a time, the same plan gives the same trials, values and
best result. Parallel trials finish in an order the machine decides, and the sampler sees
them in that order, so a parallel run finds similar but not bit-identical values.

A trial that does not converge still counts; its ``ConvergenceWarning`` (or any other
warning from the fit) is recorded with the trial and shown in its progress line.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import FrozenTrial, TrialState

from training import datasets
from training.errors import LocalError
from training.tuning import Range, TuningPlan

# The study's own log lines would repeat the progress lines printed here.
optuna.logging.set_verbosity(optuna.logging.WARNING)

PRUNING_STARTUP_TRIALS = 5
_STEPS = (1, 2, 5)


@dataclass(frozen=True)
class TrialTask:
    """What a worker needs for one trial; plain, picklable values."""

    number: int
    model: str
    hyperparameters: dict[str, Any]
    metric: str
    maximize: bool
    warmup_epochs: int
    finished: list[FrozenTrial] = field(default_factory=list)


@dataclass(frozen=True)
class TrialResult:
    """One trial as the report shows it."""

    number: int
    state: str  # "complete", "pruned" or "failed"
    params: dict[str, Any]
    value: float | None
    epochs_run: int
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    intermediate: dict[int, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    error: str = ""

    @property
    def converged(self) -> bool:
        return not any(text.startswith("ConvergenceWarning") for text in self.warnings)


@dataclass
class TuningResult:
    """A finished search: every trial, the best one, the study (for the plots), the time."""

    plan: TuningPlan
    trials: list[TrialResult]
    study: optuna.Study
    seconds: float
    workers: int

    @property
    def best(self) -> TrialResult:
        complete = [trial for trial in self.trials if trial.state == "complete"]
        return next(t for t in complete if t.number == self.study.best_trial.number)

    def counts(self) -> dict[str, int]:
        states = [trial.state for trial in self.trials]
        return {
            "run": len(states),
            **{state: states.count(state) for state in ("complete", "pruned", "failed")},
        }


def report_steps(epochs: int) -> list[int]:
    """The epochs a trial reports at: 1, 2, 5, 10, 20, 50, ... up to ``epochs``."""
    steps, scale = [], 1
    while scale <= epochs:
        steps += [step * scale for step in _STEPS if step * scale <= epochs]
        scale *= 10
    return steps


def distribution(tuned: Range) -> BaseDistribution:
    if tuned.kind == "categorical":
        return CategoricalDistribution(list(tuned.values))
    if tuned.kind == "integer":
        return IntDistribution(int(tuned.low), int(tuned.high), log=tuned.log)
    return FloatDistribution(tuned.low, tuned.high, log=tuned.log)


def _sampler(plan: TuningPlan) -> optuna.samplers.BaseSampler:
    if plan.strategy == "random":
        return optuna.samplers.RandomSampler(seed=plan.seed)
    return optuna.samplers.TPESampler(seed=plan.seed)


def _pruner(warmup_epochs: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(
        n_startup_trials=PRUNING_STARTUP_TRIALS, n_warmup_steps=warmup_epochs
    )


def warmup_epochs(plan: TuningPlan) -> int:
    """No trial is pruned before a quarter of its epochs (of the fewest it may run)."""
    ranged = {tuned.name: tuned for tuned in plan.ranges}
    epochs = int(ranged["epochs"].low) if "epochs" in ranged else int(plan.static.get("epochs", 15))
    return max(1, epochs // 4)


def workers_for(plan: TuningPlan) -> int:
    """Trials at once: as asked, at most the cores this process may use, at most the trials."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    wanted = plan.max_parallel_jobs or cores or 1
    return max(1, min(wanted, cores or 1, plan.max_jobs))


# ---- one trial (runs in a worker process, or here) -------------------------------------


@cache
def _data(model: str) -> datasets.Dataset:
    return datasets.load(model)


def run_trial(task: TrialTask) -> TrialResult:
    """Train one learner with the task's hyperparameters and score it on validation data."""
    from training.linear_learner import LinearLearner
    from training.linear_learner.trainer import EpochReport

    data = _data(task.model)
    study = optuna.create_study(
        direction="maximize" if task.maximize else "minimize", pruner=_pruner(task.warmup_epochs)
    )
    study.add_trials(task.finished)
    trial = study.ask()
    sign = -1.0 if task.maximize else 1.0
    epochs = int(task.hyperparameters.get("epochs", 15))
    steps = set(report_steps(epochs))
    intermediate: dict[int, float] = {}
    seen = [0]

    def progress(report: EpochReport) -> None:
        seen[0] = report.epoch
        if report.epoch not in steps or report.validation_loss is None:
            return
        value = sign * report.validation_loss
        intermediate[report.epoch] = value
        trial.report(value, report.epoch)
        if report.epoch < report.epochs and trial.should_prune():
            raise optuna.TrialPruned()

    started = time.perf_counter()
    learner = LinearLearner(**task.hyperparameters, progress=progress)
    state, value, error, metrics = "complete", None, "", {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            learner.fit(data.train.X, data.train.y, data.validation.X, data.validation.y)
        except optuna.TrialPruned:
            state = "pruned"
        except ValueError as problem:  # divergence: every model's weights became non-finite
            state, error = "failed", str(problem)
    if state == "complete":
        metrics = {k: float(v) for k, v in learner.training_report_["metrics"].items()}
        value = metrics[task.metric]
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return TrialResult(
        number=task.number,
        state=state,
        params={},
        value=value,
        epochs_run=seen[0],
        seconds=time.perf_counter() - started,
        metrics=metrics,
        intermediate=intermediate,
        warnings=messages,
        error=error,
    )


def _quiet_worker() -> None:
    # Ctrl-C reaches the whole process group: the main process stops the search and waits
    # for the trials in flight (a few seconds at most); workers must not die mid-trial.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    if workers == 1:
        yield None
        return
    # spawn, not fork: a forked child would inherit the threads of whatever runs this
    # (a test server, a logging handler), and forkserver leaves its server process behind.
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_quiet_worker,
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ---- the search ------------------------------------------------------------------------


def search(plan: TuningPlan, say: Callable[[str], None] = print) -> TuningResult:
    """Run the plan's trials; one progress line per finished trial."""
    workers = workers_for(plan)
    study = optuna.create_study(direction=plan.objective.direction, sampler=_sampler(plan))
    distributions = {tuned.name: distribution(tuned) for tuned in plan.ranges}
    warmup = warmup_epochs(plan)
    results: list[TrialResult] = []
    say(
        f"{plan.model}: tuning {', '.join(distributions)} for {plan.objective.name} "
        f"({plan.objective.direction}), {plan.max_jobs} trials, {workers} at a time, "
        f"{plan.strategy} search, seed {plan.seed}"
    )
    started = time.perf_counter()

    def task_for(trial: optuna.Trial) -> TrialTask:
        finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return TrialTask(
            number=trial.number,
            model=plan.model,
            hyperparameters=plan.hyperparameters(trial.params),
            metric=plan.objective.metric,
            maximize=plan.objective.maximize,
            warmup_epochs=warmup,
            finished=list(finished),
        )

    def finish(trial: optuna.Trial, outcome: TrialResult) -> None:
        for step, value in sorted(outcome.intermediate.items()):
            trial.report(value, step)
        if outcome.state == "complete":
            study.tell(trial, outcome.value)
        else:
            failed = TrialState.PRUNED if outcome.state == "pruned" else TrialState.FAIL
            study.tell(trial, state=failed)
        result = replace(outcome, params=dict(trial.params))
        results.append(result)
        say(_progress_line(plan, result, study))

    asked = 0
    with _pool(workers) as pool:
        running: dict[Future[TrialResult], optuna.Trial] = {}
        while asked < plan.max_jobs or running:
            while asked < plan.max_jobs and len(running) < workers:
                trial = study.ask(distributions)
                asked += 1
                if pool is None:
                    finish(trial, run_trial(task_for(trial)))
                else:
                    running[pool.submit(run_trial, task_for(trial))] = trial
            if running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f].number):
                    finish(running.pop(future), future.result())
    if not any(result.state == "complete" for result in results):
        reasons = sorted({result.error for result in results if result.error})
        raise LocalError(
            f"no trial of {plan.model} completed ({', '.join(reasons) or 'all were pruned'}); "
            "narrow the ranges (a smaller learning_rate, for one) or run more trials"
        )
    results.sort(key=lambda result: result.number)
    return TuningResult(plan, results, study, time.perf_counter() - started, workers)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _progress_line(plan: TuningPlan, result: TrialResult, study: optuna.Study) -> str:
    values = " ".join(f"{name}={_value(value)}" for name, value in result.params.items())
    width = len(str(plan.max_jobs))
    head = f"  trial {result.number + 1:>{width}}/{plan.max_jobs}  {values}"
    if result.state == "complete":
        outcome = f"{plan.objective.name} {result.value:.5g}"
    elif result.state == "pruned":
        outcome = f"pruned at epoch {result.epochs_run}"
    else:
        outcome = f"failed: {result.error}"
    if not result.converged:
        outcome += " (not converged)"
    try:
        best = study.best_trial
        tail = f"  best {best.value:.5g} (trial {best.number + 1})"
    except ValueError:  # nothing has completed yet
        tail = "  best: none yet"
    return f"{head}  ->  {outcome}{tail}"
