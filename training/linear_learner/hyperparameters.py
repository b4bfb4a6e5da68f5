"""Linear Learner hyperparameters: names, defaults, validation and ``auto`` resolution.

Every hyperparameter SageMaker's Linear Learner documents is declared once in
:data:`SPECS` with its default and its rule. :func:`resolve` checks a whole set before any
training starts and turns it into a typed :class:`Config`, replacing each ``auto`` with a
concrete value. Values may be given SageMaker-style as strings (``"true"``, ``"auto"``,
``"0.01"``), because users paste hyperparameter dicts from training jobs.

Each rule has exactly one message, in one of three shapes::

    mini_batch_size=0: expecting an integer greater than 0
    optimizer='foo' is not valid; expected one of: auto, sgd, adam, rmsprop
    loss='foo' is not valid for predictor_type='regressor'; expected one of: auto, ...

What ``auto`` resolves to (SageMaker's 2018 container defaults where they are known):

==========================  ==================================================
loss                        squared_loss / logistic / softmax_loss by predictor_type
optimizer                   adam
learning_rate               adam 0.01, rmsprop 0.005, sgd 0.3 (this module's choice;
                            SageMaker's values are not published; see
                            :data:`AUTO_LEARNING_RATE` for how they were tuned)
num_models                  32
wd, l1                      0.0
momentum                    0.0
beta_1, beta_2              0.9, 0.999
bias_lr_mult, bias_wd_mult  10, 0
lr_scheduler_step           100 mini-batches
lr_scheduler_factor         0.99
lr_scheduler_minimum_lr     1e-5
normalize_data              true
normalize_label             true for regressor, false otherwise
unbias_data                 same as use_bias
unbias_label                true for regressor with use_bias, false otherwise
num_calibration_samples     10,000,000
feature_dim                 the number of columns of X
==========================  ==================================================
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "AUTO_LEARNING_RATE",
    "DEFAULTS",
    "HyperparameterError",
    "Config",
    "LOSSES_BY_PREDICTOR_TYPE",
    "PREDICTOR_TYPES",
    "SPECS",
    "check_names",
    "resolve",
]

PredictorType = Literal["regressor", "binary_classifier", "multiclass_classifier"]
PREDICTOR_TYPES: tuple[str, ...] = ("binary_classifier", "multiclass_classifier", "regressor")

LOSSES_BY_PREDICTOR_TYPE: dict[str, tuple[str, ...]] = {
    "regressor": (
        "auto",
        "squared_loss",
        "absolute_loss",
        "eps_insensitive_squared_loss",
        "eps_insensitive_absolute_loss",
        "quantile_loss",
        "huber_loss",
    ),
    "binary_classifier": ("auto", "logistic", "hinge_loss"),
    "multiclass_classifier": ("auto", "softmax_loss"),
}
_AUTO_LOSS = {
    "regressor": "squared_loss",
    "binary_classifier": "logistic",
    "multiclass_classifier": "softmax_loss",
}
CRITERIA: tuple[str, ...] = (
    "accuracy",
    "f_beta",
    "f1",
    "precision_at_target_recall",
    "recall_at_target_precision",
    "loss_function",
    "cross_entropy_loss",
)

# SageMaker does not publish these. They were tuned on standardised data (the default)
# over five regression and three classification sets, at mini_batch_size 100 and at full
# batch, averaging three seeds; the 31 neighbouring models (0.1x to 10x) cover problems
# where they are off. With a full batch, 15 epochs are only 15 updates: plain gradient
# descent (sgd) gets within 1% of least squares there, Adam and RMSProp need ~100 updates.
AUTO_LEARNING_RATE: dict[str, float] = {"adam": 0.01, "rmsprop": 0.005, "sgd": 0.3}


class HyperparameterError(ValueError):
    """A hyperparameter is unknown, missing, of the wrong type or out of range.

    Raised by :meth:`LinearLearner.fit` (before any training), ``set_params`` and
    ``from_hyperparameters``. ``name`` is the hyperparameter and ``value`` what was given.
    """

    def __init__(self, name: str, value: object, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.value = value


Parser = Callable[[str, object], object]


@dataclass(frozen=True)
class Spec:
    """One hyperparameter: its default and the function that parses and checks a value."""

    name: str
    default: object
    parse: Parser


def _is_auto(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() == "auto"


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        try:
            number = float(value)  # type: ignore[arg-type]  # numpy scalars and the like
        except (TypeError, ValueError):
            return None
    return number if math.isfinite(number) else None


def _within(
    number: float,
    kind: Literal["int", "float"],
    low: float | None,
    high: float | None,
    low_open: bool,
    high_open: bool,
) -> bool:
    if kind == "int" and not number.is_integer():
        return False
    if low is not None and not (number > low if low_open else number >= low):
        return False
    return high is None or (number < high if high_open else number <= high)


def _number(
    kind: Literal["int", "float"],
    low: float | None,
    high: float | None,
    *,
    low_open: bool = True,
    high_open: bool = True,
    auto: bool = False,
    wording: str,
) -> Parser:
    """Build a parser for an int or float with an optional range, optionally ``auto``."""
    expected = f"'auto' or {wording}" if auto else wording

    def parse(name: str, value: object) -> object:
        if auto and _is_auto(value):
            return "auto"
        number = _as_number(value)
        if number is None or not _within(number, kind, low, high, low_open, high_open):
            raise HyperparameterError(name, value, f"{name}={value!r}: expecting {expected}")
        return int(number) if kind == "int" else number

    return parse


def _boolean(*, auto: bool) -> Parser:
    expected = "'auto', true or false" if auto else "true or false"

    def parse(name: str, value: object) -> object:
        if auto and _is_auto(value):
            return "auto"
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise HyperparameterError(name, value, f"{name}={value!r}: expecting {expected}")

    return parse


def _choice(*choices: str) -> Parser:
    def parse(name: str, value: object) -> object:
        if isinstance(value, str) and value.strip() in choices:
            return value.strip()
        raise HyperparameterError(
            name, value, f"{name}={value!r} is not valid; expected one of: {', '.join(choices)}"
        )

    return parse


def _positive_weight(name: str, value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in ("auto", "balanced"):
        return value.strip().lower()
    number = _as_number(value)
    if number is None or number <= 0:
        raise HyperparameterError(
            name, value, f"{name}={value!r}: expecting 'auto', 'balanced' or a float greater than 0"
        )
    return number


def _int_in(low: int, high: int, *, optional: bool = False) -> Parser:
    inner = _number(
        "int", low, high, low_open=False, high_open=False, wording=f"an integer in [{low}, {high}]"
    )

    def parse(name: str, value: object) -> object:
        return None if optional and value is None else inner(name, value)

    return parse


def _positive_int(*, auto: bool = False) -> Parser:
    return _number("int", 0, None, auto=auto, wording="an integer greater than 0")


def _positive_float(*, auto: bool = False) -> Parser:
    return _number("float", 0, None, auto=auto, wording="a float greater than 0")


def _non_negative_float(*, auto: bool = False) -> Parser:
    return _number(
        "float", 0, None, low_open=False, auto=auto, wording="a float greater than or equal to 0"
    )


def _unit_open(*, auto: bool = False) -> Parser:
    return _number("float", 0, 1, auto=auto, wording="a float in (0, 1)")


def _unit_half_open(*, auto: bool = False) -> Parser:
    return _number("float", 0, 1, low_open=False, auto=auto, wording="a float in [0, 1)")


def _stripped(name: str, value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _spec(name: str, default: object, parse: Parser) -> tuple[str, Spec]:
    return name, Spec(name, default, parse)


SPECS: dict[str, Spec] = dict(
    [
        _spec("predictor_type", None, _choice(*PREDICTOR_TYPES)),
        _spec("num_classes", None, _int_in(1, 1_000_000, optional=True)),
        _spec("feature_dim", "auto", _positive_int(auto=True)),
        _spec("mini_batch_size", 1000, _positive_int()),
        _spec("epochs", 15, _positive_int()),
        _spec("num_models", "auto", _positive_int(auto=True)),
        # Checked in resolve(), against the losses allowed for the predictor_type.
        _spec("loss", "auto", _stripped),
        _spec("optimizer", "auto", _choice("auto", "sgd", "adam", "rmsprop")),
        _spec("learning_rate", "auto", _positive_float(auto=True)),
        _spec("wd", "auto", _non_negative_float(auto=True)),
        _spec("l1", "auto", _non_negative_float(auto=True)),
        _spec("momentum", "auto", _unit_half_open(auto=True)),
        _spec("beta_1", "auto", _unit_half_open(auto=True)),
        _spec("beta_2", "auto", _unit_half_open(auto=True)),
        _spec("bias_lr_mult", "auto", _positive_float(auto=True)),
        _spec("bias_wd_mult", "auto", _non_negative_float(auto=True)),
        _spec("use_bias", True, _boolean(auto=False)),
        _spec("use_lr_scheduler", True, _boolean(auto=False)),
        _spec("lr_scheduler_step", "auto", _positive_int(auto=True)),
        _spec("lr_scheduler_factor", "auto", _unit_open(auto=True)),
        _spec("lr_scheduler_minimum_lr", "auto", _positive_float(auto=True)),
        _spec("normalize_data", True, _boolean(auto=True)),
        _spec("normalize_label", "auto", _boolean(auto=True)),
        _spec("unbias_data", "auto", _boolean(auto=True)),
        _spec("unbias_label", "auto", _boolean(auto=True)),
        _spec("num_point_for_scaler", 10_000, _positive_int()),
        _spec("init_method", "uniform", _choice("uniform", "normal")),
        _spec("init_scale", 0.07, _positive_float()),
        _spec("init_sigma", 0.01, _positive_float()),
        _spec("init_bias", 0.0, _number("float", None, None, wording="a number")),
        _spec("early_stopping_patience", 3, _positive_int()),
        _spec("early_stopping_tolerance", 0.001, _positive_float()),
        _spec("binary_classifier_model_selection_criteria", "accuracy", _choice(*CRITERIA)),
        _spec("target_recall", 0.8, _unit_open()),
        _spec("target_precision", 0.8, _unit_open()),
        _spec("f_beta", 1.0, _positive_float()),
        _spec("positive_example_weight_mult", 1.0, _positive_weight),
        _spec("balance_multiclass_weights", False, _boolean(auto=False)),
        _spec("num_calibration_samples", "auto", _positive_int(auto=True)),
        _spec("accuracy_top_k", 3, _int_in(1, 1_000_000)),
        _spec("margin", 1.0, _non_negative_float()),
        _spec("quantile", 0.5, _unit_open()),
        _spec("loss_insensitivity", 0.01, _positive_float()),
        # The SDK accepts 0, but a Huber loss with delta 0 is identically zero and learns
        # nothing, so this follows the documentation's "positive" instead.
        _spec("huber_delta", 1.0, _positive_float()),
    ]
)

DEFAULTS: dict[str, object] = {name: spec.default for name, spec in SPECS.items()}


def check_names(names: Mapping[str, object] | list[str], extra: tuple[str, ...] = ()) -> None:
    """Raise :class:`HyperparameterError` for the first name that is not a hyperparameter."""
    known = sorted([*SPECS, *extra])
    for name in names:
        if name not in SPECS and name not in extra:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise HyperparameterError(
                name,
                None,
                f"unknown hyperparameter {name!r}{hint}; expected one of: {', '.join(known)}",
            )


@dataclass(frozen=True)
class Config:
    """A validated hyperparameter set with every ``auto`` replaced by a concrete value.

    ``positive_example_weight_mult`` stays ``'auto'``/``'balanced'`` because both depend on
    the labels; the trainer resolves them.
    """

    predictor_type: PredictorType
    num_classes: int
    feature_dim: int | None
    mini_batch_size: int
    epochs: int
    num_models: int
    loss: str
    optimizer: str
    learning_rate: float
    wd: float
    l1: float
    momentum: float
    beta_1: float
    beta_2: float
    bias_lr_mult: float
    bias_wd_mult: float
    use_bias: bool
    use_lr_scheduler: bool
    lr_scheduler_step: int
    lr_scheduler_factor: float
    lr_scheduler_minimum_lr: float
    normalize_data: bool
    normalize_label: bool
    unbias_data: bool
    unbias_label: bool
    num_point_for_scaler: int
    init_method: str
    init_scale: float
    init_sigma: float
    init_bias: float
    early_stopping_patience: int
    early_stopping_tolerance: float
    criterion: str
    target_recall: float
    target_precision: float
    f_beta: float
    positive_example_weight_mult: float | str
    balance_multiclass_weights: bool
    num_calibration_samples: int
    accuracy_top_k: int
    margin: float
    quantile: float
    loss_insensitivity: float
    huber_delta: float


def _auto(value: Any, default: Any) -> Any:
    return default if value == "auto" else value


def resolve(raw: Mapping[str, object]) -> Config:
    """Validate a full hyperparameter set and resolve every ``auto``.

    Parameters
    ----------
    raw : Mapping[str, object]
        One value per name in :data:`SPECS` (as stored by the estimator).

    Returns
    -------
    Config
        The typed, resolved configuration.

    Raises
    ------
    HyperparameterError
        For the first invalid value, with a message naming it and what is allowed.
    """
    check_names(raw)
    given = {**DEFAULTS, **raw}
    if given["predictor_type"] is None:
        raise HyperparameterError(
            "predictor_type",
            None,
            f"predictor_type is required; expected one of: {', '.join(PREDICTOR_TYPES)}",
        )
    v: dict[str, Any] = {name: spec.parse(name, given[name]) for name, spec in SPECS.items()}
    predictor_type: PredictorType = v["predictor_type"]

    allowed_losses = LOSSES_BY_PREDICTOR_TYPE[predictor_type]
    if v["loss"] not in allowed_losses:
        raise HyperparameterError(
            "loss",
            given["loss"],
            f"loss={given['loss']!r} is not valid for predictor_type={predictor_type!r}; "
            f"expected one of: {', '.join(allowed_losses)}",
        )
    num_classes = 2 if predictor_type == "binary_classifier" else 1
    if predictor_type == "multiclass_classifier":
        if v["num_classes"] is None or v["num_classes"] < 3:
            raise HyperparameterError(
                "num_classes",
                given["num_classes"],
                f"num_classes={given['num_classes']!r}: expecting an integer in [3, 1000000] "
                "when predictor_type='multiclass_classifier'",
            )
        num_classes = int(v["num_classes"])

    optimizer = str(_auto(v["optimizer"], "adam"))
    regressor = predictor_type == "regressor"
    use_bias = bool(v["use_bias"])
    criterion = str(v["binary_classifier_model_selection_criteria"])
    feature_dim = v["feature_dim"]
    return Config(
        predictor_type=predictor_type,
        num_classes=num_classes,
        feature_dim=None if feature_dim == "auto" else int(feature_dim),
        mini_batch_size=int(v["mini_batch_size"]),
        epochs=int(v["epochs"]),
        num_models=int(_auto(v["num_models"], 32)),
        loss=str(_auto(v["loss"], _AUTO_LOSS[predictor_type])),
        optimizer=optimizer,
        learning_rate=float(_auto(v["learning_rate"], AUTO_LEARNING_RATE[optimizer])),
        wd=float(_auto(v["wd"], 0.0)),
        l1=float(_auto(v["l1"], 0.0)),
        momentum=float(_auto(v["momentum"], 0.0)),
        beta_1=float(_auto(v["beta_1"], 0.9)),
        beta_2=float(_auto(v["beta_2"], 0.999)),
        bias_lr_mult=float(_auto(v["bias_lr_mult"], 10.0)),
        bias_wd_mult=float(_auto(v["bias_wd_mult"], 0.0)),
        use_bias=use_bias,
        use_lr_scheduler=bool(v["use_lr_scheduler"]),
        lr_scheduler_step=int(_auto(v["lr_scheduler_step"], 100)),
        lr_scheduler_factor=float(_auto(v["lr_scheduler_factor"], 0.99)),
        lr_scheduler_minimum_lr=float(_auto(v["lr_scheduler_minimum_lr"], 1e-5)),
        normalize_data=bool(_auto(v["normalize_data"], True)),
        # The documentation: ``true`` is ignored for classification.
        normalize_label=regressor and bool(_auto(v["normalize_label"], True)),
        unbias_data=bool(_auto(v["unbias_data"], use_bias)),
        # The documentation: applies only to regression with use_bias=true.
        unbias_label=regressor and use_bias and bool(_auto(v["unbias_label"], True)),
        num_point_for_scaler=int(v["num_point_for_scaler"]),
        init_method=str(v["init_method"]),
        init_scale=float(v["init_scale"]),
        init_sigma=float(v["init_sigma"]),
        init_bias=float(v["init_bias"]),
        early_stopping_patience=int(v["early_stopping_patience"]),
        early_stopping_tolerance=float(v["early_stopping_tolerance"]),
        criterion=criterion,
        target_recall=float(v["target_recall"]),
        target_precision=float(v["target_precision"]),
        f_beta=float(v["f_beta"]),
        positive_example_weight_mult=v["positive_example_weight_mult"],
        balance_multiclass_weights=bool(v["balance_multiclass_weights"]),
        num_calibration_samples=int(_auto(v["num_calibration_samples"], 10_000_000)),
        accuracy_top_k=int(v["accuracy_top_k"]),
        margin=float(v["margin"]),
        quantile=float(v["quantile"]),
        loss_insensitivity=float(v["loss_insensitivity"]),
        huber_delta=float(v["huber_delta"]),
    )
