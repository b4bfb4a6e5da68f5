"""What a tuning run searches, shared by both targets: ranges, the objective, the limits.

``python -m training tune MODEL`` builds one :class:`TuningPlan` here, and every bad input
is refused here, as one ``UsageError``, before any trial starts. The local target hands the
plan to Optuna (``training/local/tuning.py``), the AWS target to a SageMaker
``HyperparameterTuner`` (``training/aws/sagemaker_backend.py``), so both search the same
ranges for the same objective.

**Ranges.** The defaults are Linear Learner's documented tunable hyperparameters with the
ranges SageMaker recommends ("Tune a linear learner model", facts sheet §1 and §8)::

    wd                            continuous   1e-7 .. 1      log
    l1                            continuous   1e-7 .. 1      log
    learning_rate                 continuous   1e-5 .. 1      log
    mini_batch_size               integer      100 .. 5000    log
    use_bias                      categorical  true, false
    positive_example_weight_mult  continuous   1e-5 .. 1e5    log   (binary classifiers)

``epochs`` may be ranged too (``--range epochs=10:1000:log``). ``--range`` replaces the
defaults: only the hyperparameters it names are tuned. Whether a bound is allowed is decided
by the learner's own declaration of that hyperparameter (``training.linear_learner``), the
same rule SageMaker applies to a training job.

**Everything else is held fixed**: the model's lesson recipe (``training/recipes.py``), then
``--set NAME=VALUE``, and ``num_models=1``, because SageMaker turns Linear Learner's own
parallel models off when it tunes ("The algorithm ignores any value that you set for
``num_models``").

**Objectives** are SageMaker's names with their directions. Each is measured on the
validation split, as SageMaker advises for tuning; ``test:`` metrics are refused here.
``validation:rmse`` is computed locally but is missing from the metric list of the AWS
documentation that could be checked, so the AWS target refuses it and suggests
``validation:mse`` (the same optimum).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from chalicelib.catalog import CATALOG
from training.errors import UsageError
from training.linear_learner.hyperparameters import SPECS, HyperparameterError, check_names, resolve
from training.recipes import HYPERPARAMETERS

Kind = Literal["continuous", "integer", "categorical"]
Strategy = Literal["bayesian", "random"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)

# The hyperparameters SageMaker documents as tunable for Linear Learner, and their kind
# (ContinuousParameterRanges, IntegerParameterRanges, CategoricalParameterRanges); epochs
# is added because, on datasets this small, how long a model trains decides how close it
# gets to the optimum.
TUNABLE: dict[str, Kind] = {
    "wd": "continuous",
    "l1": "continuous",
    "learning_rate": "continuous",
    "mini_batch_size": "integer",
    "use_bias": "categorical",
    "positive_example_weight_mult": "continuous",
    "epochs": "integer",
}
BINARY_ONLY = ("positive_example_weight_mult",)
FORCED = {"num_models": 1}

DEFAULT_MAX_JOBS = 50

# Per predictor type: SageMaker's metric name -> whether a larger value is better.
OBJECTIVES: dict[str, dict[str, bool]] = {
    "regressor": {"objective_loss": False, "mse": False, "absolute_loss": False, "rmse": False},
    "binary_classifier": {
        "objective_loss": False,
        "binary_classification_accuracy": True,
        "binary_f_beta": True,
        "precision": True,
        "recall": True,
        "roc_auc_score": True,
    },
    "multiclass_classifier": {
        "objective_loss": False,
        "multiclass_accuracy": True,
        "multiclass_top_k_accuracy": True,
    },
}
DEFAULT_OBJECTIVE = "validation:objective_loss"
NOT_ON_SAGEMAKER = {"rmse": "mse"}


@dataclass(frozen=True)
class Range:
    """One tuned hyperparameter: bounds and scaling, or the values of a categorical one."""

    name: str
    kind: Kind
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    values: tuple[Any, ...] = ()

    def __str__(self) -> str:
        """The range as ``--range`` spells it, e.g. ``wd=1e-07:1:log``."""
        if self.kind == "categorical":
            return f"{self.name}={','.join(_text(value) for value in self.values)}"
        return f"{self.name}={_text(self.low)}:{_text(self.high)}" + (":log" if self.log else "")


@dataclass(frozen=True)
class Objective:
    """A metric as SageMaker names it (``validation:mse``) and which way is better."""

    name: str
    metric: str
    maximize: bool

    @property
    def direction(self) -> Literal["maximize", "minimize"]:
        return "maximize" if self.maximize else "minimize"

    def better(self, value: float, than: float) -> bool:
        return value > than if self.maximize else value < than


@dataclass(frozen=True)
class TuningPlan:
    """One tuning run: what is searched, what is held fixed, for which objective, how long."""

    model: str
    predictor_type: str
    static: dict[str, Any]
    ranges: tuple[Range, ...]
    objective: Objective
    max_jobs: int = DEFAULT_MAX_JOBS
    max_parallel_jobs: int | None = None
    strategy: Strategy = "bayesian"
    seed: int = 0
    settings: tuple[str, ...] = field(default=())

    def hyperparameters(self, tuned: Mapping[str, Any]) -> dict[str, Any]:
        """A trial's full hyperparameter set: the fixed ones with the tuned values over them."""
        return {**self.static, **tuned}

    def command(self) -> str:
        """The command line that repeats this search (``--max-parallel-jobs`` left out)."""
        words = ["python", "-m", "training", "tune", self.model, "--max-jobs", str(self.max_jobs)]
        words += ["--objective", self.objective.name, "--strategy", self.strategy]
        words += ["--seed", str(self.seed)]
        for setting in self.settings:
            words += ["--set", setting]
        for tuned in self.ranges:
            words += ["--range", str(tuned)]
        return shlex.join(words)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def default_ranges(predictor_type: str) -> tuple[Range, ...]:
    """SageMaker's recommended ranges for Linear Learner (the facts sheet, §1)."""
    ranges = [
        Range("wd", "continuous", 1e-7, 1.0, log=True),
        Range("l1", "continuous", 1e-7, 1.0, log=True),
        Range("learning_rate", "continuous", 1e-5, 1.0, log=True),
        Range("mini_batch_size", "integer", 100, 5000, log=True),
        Range("use_bias", "categorical", values=(True, False)),
    ]
    if predictor_type == "binary_classifier":
        ranges.append(Range("positive_example_weight_mult", "continuous", 1e-5, 1e5, log=True))
    return tuple(ranges)


def learners_rule(name: str, value: object) -> Any:
    """``value`` parsed and checked by the learner's own declaration of ``name``.

    Raises ``HyperparameterError`` with that declaration's one message.
    """
    return SPECS[name].check(name, value)


def _checked(name: str, raw: str, where: str) -> Any:
    """One bound or value, parsed and checked by the learner's own rule for ``name``."""
    try:
        value = learners_rule(name, raw)
    except HyperparameterError as error:
        raise UsageError(f"{where}: {error}") from None
    if isinstance(value, str):  # 'auto' or 'balanced': allowed in a recipe, not as a bound
        raise UsageError(f"{where}: a range needs numbers; {name}={value!r} is not one")
    return value


def parse_range(text: str, predictor_type: str) -> Range:
    """``NAME=LOW:HIGH[:log]`` (``NAME=A,B`` for a categorical one) as a :class:`Range`."""
    where = f"--range {text}"
    name, equals, spec = text.partition("=")
    name = name.strip()
    if not equals or not spec.strip():
        raise UsageError(f"{where}: expected NAME=LOW:HIGH or NAME=LOW:HIGH:log")
    if name in FORCED:
        raise UsageError(
            f"{where}: num_models is forced to 1 when tuning, as SageMaker does; tune "
            f"{', '.join(TUNABLE)} instead"
        )
    try:
        check_names([name])
    except HyperparameterError as error:
        raise UsageError(f"{where}: {error}") from None
    kind = TUNABLE.get(name)
    if kind is None:
        raise UsageError(
            f"{where}: {name} is not tunable; the tunable hyperparameters are "
            f"{', '.join(TUNABLE)} (fix others with --set {name}=VALUE)"
        )
    if name in BINARY_ONLY and predictor_type != "binary_classifier":
        raise UsageError(f"{where}: {name} applies to binary classifiers only")
    if kind == "categorical":
        values = tuple(dict.fromkeys(_checked(name, raw, where) for raw in spec.split(",")))
        if len(values) < 2 or ":" in spec:
            raise UsageError(f"{where}: {name} takes its values as a list, e.g. {name}=true,false")
        return Range(name, kind, values=values)
    parts = spec.split(":")
    log = len(parts) == 3 and parts[2].strip().lower() == "log"
    if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
        raise UsageError(f"{where}: expected NAME=LOW:HIGH or NAME=LOW:HIGH:log")
    low, high = (float(_checked(name, raw, where)) for raw in parts[:2])
    if low >= high:
        raise UsageError(f"{where}: LOW must be below HIGH (to fix a value, use --set {name}=...)")
    if log and low <= 0:
        raise UsageError(f"{where}: a log range can't include 0 or less; make LOW greater than 0")
    return Range(name, kind, low, high, log)


def objective_for(name: str | None, predictor_type: str) -> Objective:
    """The objective called ``name`` (default ``validation:objective_loss``), if it fits."""
    name = (name or DEFAULT_OBJECTIVE).strip()
    allowed = OBJECTIVES[predictor_type]
    listed = ", ".join(f"validation:{metric}" for metric in allowed)
    prefix, _, metric = name.rpartition(":")
    if prefix == "test":
        raise UsageError(
            f"--objective {name}: test: metrics describe the final model; tune on the "
            f"validation split, one of: {listed}"
        )
    if prefix != "validation" or metric not in allowed:
        raise UsageError(
            f"--objective {name} does not fit predictor_type={predictor_type!r}; "
            f"expected one of: {listed}"
        )
    return Objective(name, metric, allowed[metric])


def parse_setting(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` of ``--set``: a hyperparameter held fixed for every trial, parsed."""
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals:
        raise UsageError(f"--set {text}: expected NAME=VALUE")
    if name in FORCED:
        raise UsageError(f"--set {text}: num_models is forced to 1 when tuning, as SageMaker does")
    try:
        check_names([name])
        # Checked and typed by the learner's own rule (so the tuned file holds 1000, not
        # "1000"); rules that depend on other values, such as the loss, come in plan().
        return name, learners_rule(name, value.strip())
    except HyperparameterError as error:
        raise UsageError(f"--set {text}: {error}") from None


def plan(
    model: str,
    *,
    ranges: Sequence[str] = (),
    objective: str | None = None,
    settings: Sequence[str] = (),
    max_jobs: int = DEFAULT_MAX_JOBS,
    max_parallel_jobs: int | None = None,
    strategy: str = "bayesian",
    seed: int = 0,
) -> TuningPlan:
    """Check a tuning request in full and return its plan; ``UsageError`` names what is wrong."""
    if model not in CATALOG:
        raise UsageError(f"unknown model {model!r}; expected one of: {', '.join(CATALOG)}")
    predictor_type = CATALOG[model].predictor_type
    if max_jobs < 1:
        raise UsageError(f"--max-jobs {max_jobs}: run at least 1 trial")
    if max_parallel_jobs is not None and max_parallel_jobs < 1:
        raise UsageError(f"--max-parallel-jobs {max_parallel_jobs}: run at least 1 at a time")
    if strategy not in STRATEGIES:
        raise UsageError(f"--strategy {strategy}: expected one of: {', '.join(STRATEGIES)}")
    if seed < 0:
        raise UsageError(f"--seed {seed}: expecting an integer >= 0")
    chosen = objective_for(objective, predictor_type)

    searched = tuple(parse_range(text, predictor_type) for text in ranges)
    names = [tuned.name for tuned in searched]
    if len(set(names)) < len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise UsageError(f"--range {twice} is given twice; give each hyperparameter once")
    searched = searched or default_ranges(predictor_type)

    fixed = dict(parse_setting(text) for text in settings)
    both = sorted(set(fixed) & {tuned.name for tuned in searched})
    if both:
        raise UsageError(f"{both[0]} is both set (--set) and tuned (--range); pick one")
    static = {**HYPERPARAMETERS[model], **fixed, **FORCED}
    if static.get("predictor_type") != predictor_type:
        raise UsageError(f"--set predictor_type: {model} is a {predictor_type}")
    for tuned in searched:
        static.pop(tuned.name, None)
    _check_together(static, searched)
    return TuningPlan(
        model=model,
        predictor_type=predictor_type,
        static=static,
        ranges=searched,
        objective=chosen,
        max_jobs=max_jobs,
        max_parallel_jobs=max_parallel_jobs,
        strategy=strategy,  # type: ignore[arg-type]
        seed=seed,
        settings=tuple(f"{name}={_text(value)}" for name, value in fixed.items()),
    )


def _check_together(static: Mapping[str, Any], searched: Sequence[Range]) -> None:
    """The fixed hyperparameters with each range's low end are a valid set (e.g. the loss)."""
    corner = {
        tuned.name: tuned.values[0] if tuned.kind == "categorical" else tuned.low
        for tuned in searched
    }
    try:
        resolve({**static, **corner})
    except HyperparameterError as error:
        raise UsageError(f"--set {error.name}: {error}") from None


def tuned_recipe(
    plan: TuningPlan,
    tuned: Mapping[str, Any],
    value: float,
    trials: Mapping[str, int],
    target: str,
    **extra: Any,
) -> dict[str, Any]:
    """The content of ``training/tuned/<model>.json`` for the best trial of a search."""
    from training.recipes import data_hash

    return {
        "model": plan.model,
        "predictor_type": plan.predictor_type,
        "hyperparameters": plan.hyperparameters(tuned),
        "tuned": dict(tuned),
        "objective": {
            "name": plan.objective.name,
            "direction": plan.objective.direction,
            "value": value,
        },
        "trials": dict(trials),
        "search": {
            "target": target,
            "strategy": plan.strategy,
            "seed": plan.seed,
            "ranges": [str(tuned_range) for tuned_range in plan.ranges],
            "command": plan.command(),
            **extra,
        },
        "data": {"sha256": data_hash(plan.model), "splits": ["train", "validation"]},
    }


def plan_from_arguments(args: Any) -> TuningPlan:
    """The plan of a parsed ``tune`` command line (``training/cli.py`` declares the flags)."""
    return plan(
        args.models[0],
        ranges=args.range or (),
        objective=args.objective,
        settings=args.set or (),
        max_jobs=args.max_jobs,
        max_parallel_jobs=args.max_parallel_jobs,
        strategy=args.strategy,
        seed=args.seed,
    )


def check_for_sagemaker(plan: TuningPlan) -> TuningPlan:
    """The plan, if a SageMaker tuning job can run it: its objective must be a documented one."""
    replacement = NOT_ON_SAGEMAKER.get(plan.objective.metric)
    if replacement is not None:
        raise UsageError(
            f"--objective {plan.objective.name} is not among SageMaker's documented Linear "
            f"Learner metrics; use validation:{replacement}, which has the same optimum"
        )
    return plan
