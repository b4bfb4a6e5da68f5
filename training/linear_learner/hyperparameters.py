"""Linear Learner hyperparameters: names, types, defaults, validation and ``auto`` resolution.

Every hyperparameter SageMaker's Linear Learner documents is declared once, as a field of
:class:`Config`: the field's name is the hyperparameter's, its type is that of the resolved
value, and its :class:`Hyperparameter` holds SageMaker's default, the check with its one
message, and what the value resolves to (``auto`` made concrete, rules that depend on
``predictor_type``). :data:`SPECS` and :data:`DEFAULTS` are read off those fields, and
:func:`resolve` turns a whole set into a :class:`Config` with no per-name code. Values may
be given SageMaker-style as strings (``"true"``, ``"auto"``, ``"0.01"``), because users
paste hyperparameter dicts from training jobs.

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
feature_dim                 the number of columns of X (``None`` here)
==========================  ==================================================
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

__all__ = [
    "AUTO_LEARNING_RATE",
    "DEFAULTS",
    "HyperparameterError",
    "Config",
    "Hyperparameter",
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


# A check takes (name, given value) and returns the value parsed, or raises with its message.
Check = Callable[[str, object], Any]
# A resolution takes (checked value, the fields resolved before it) and returns the final value.
Resolution = Callable[[Any, Mapping[str, Any]], Any]


def _as_checked(value: Any, resolved: Mapping[str, Any]) -> Any:
    return value


@dataclass(frozen=True)
class Hyperparameter:
    """One hyperparameter's declaration, held by its :class:`Config` field.

    Attributes
    ----------
    default : object
        SageMaker's default, as a user would give it (``"auto"``, ``1000``, ``True``);
        ``None`` for a value SageMaker requires or ignores.
    check : callable
        ``check(name, value)`` parses a given value and raises
        :class:`HyperparameterError` with the rule's one message when it is invalid.
    resolution : callable
        ``resolution(value, resolved)`` turns the checked value into the field's value,
        given the fields declared before it; the checked value itself by default.
    """

    default: object
    check: Check
    resolution: Resolution = _as_checked


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
) -> Check:
    """Build a check for an int or float with an optional range, optionally ``auto``."""
    expected = f"'auto' or {wording}" if auto else wording

    def check(name: str, value: object) -> object:
        if auto and _is_auto(value):
            return "auto"
        number = _as_number(value)
        if number is None or not _within(number, kind, low, high, low_open, high_open):
            raise HyperparameterError(name, value, f"{name}={value!r}: expecting {expected}")
        return int(number) if kind == "int" else number

    return check


def _boolean(*, auto: bool) -> Check:
    expected = "'auto', true or false" if auto else "true or false"

    def check(name: str, value: object) -> object:
        if auto and _is_auto(value):
            return "auto"
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise HyperparameterError(name, value, f"{name}={value!r}: expecting {expected}")

    return check


def _choice(*choices: str) -> Check:
    def check(name: str, value: object) -> object:
        if isinstance(value, str) and value.strip() in choices:
            return value.strip()
        raise HyperparameterError(
            name, value, f"{name}={value!r} is not valid; expected one of: {', '.join(choices)}"
        )

    return check


def _required_choice(*choices: str) -> Check:
    inner = _choice(*choices)

    def check(name: str, value: object) -> object:
        if value is None:
            raise HyperparameterError(
                name, None, f"{name} is required; expected one of: {', '.join(choices)}"
            )
        return inner(name, value)

    return check


def _positive_weight(name: str, value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in ("auto", "balanced"):
        return value.strip().lower()
    number = _as_number(value)
    if number is None or number <= 0:
        raise HyperparameterError(
            name, value, f"{name}={value!r}: expecting 'auto', 'balanced' or a float greater than 0"
        )
    return number


def _int_in(low: int, high: int, *, optional: bool = False) -> Check:
    inner = _number(
        "int", low, high, low_open=False, high_open=False, wording=f"an integer in [{low}, {high}]"
    )

    def check(name: str, value: object) -> object:
        return None if optional and value is None else inner(name, value)

    return check


def _positive_int(*, auto: bool = False) -> Check:
    return _number("int", 0, None, auto=auto, wording="an integer greater than 0")


def _positive_float(*, auto: bool = False) -> Check:
    return _number("float", 0, None, auto=auto, wording="a float greater than 0")


def _non_negative_float(*, auto: bool = False) -> Check:
    return _number(
        "float", 0, None, low_open=False, auto=auto, wording="a float greater than or equal to 0"
    )


def _unit_open(*, auto: bool = False) -> Check:
    return _number("float", 0, 1, auto=auto, wording="a float in (0, 1)")


def _unit_half_open(*, auto: bool = False) -> Check:
    return _number("float", 0, 1, low_open=False, auto=auto, wording="a float in [0, 1)")


def _stripped(name: str, value: object) -> object:
    return value.strip() if isinstance(value, str) else value


# -- resolutions: what a checked value becomes, given the fields before it ------------------


def _auto(concrete: object) -> Resolution:
    """``auto`` becomes ``concrete``; any other value stays as checked."""

    def resolution(value: Any, resolved: Mapping[str, Any]) -> Any:
        return concrete if value == "auto" else value

    return resolution


def _num_classes(value: int | None, resolved: Mapping[str, Any]) -> int:
    predictor_type = resolved["predictor_type"]
    if predictor_type != "multiclass_classifier":
        return 2 if predictor_type == "binary_classifier" else 1
    if value is None or value < 3:
        raise HyperparameterError(
            "num_classes",
            value,
            f"num_classes={value!r}: expecting an integer in [3, 1000000] "
            "when predictor_type='multiclass_classifier'",
        )
    return value


def _loss(value: object, resolved: Mapping[str, Any]) -> str:
    predictor_type = resolved["predictor_type"]
    allowed = LOSSES_BY_PREDICTOR_TYPE[predictor_type]
    if value not in allowed:
        raise HyperparameterError(
            "loss",
            value,
            f"loss={value!r} is not valid for predictor_type={predictor_type!r}; "
            f"expected one of: {', '.join(allowed)}",
        )
    return _AUTO_LOSS[predictor_type] if value == "auto" else str(value)


def _learning_rate(value: float | str, resolved: Mapping[str, Any]) -> float:
    return AUTO_LEARNING_RATE[resolved["optimizer"]] if value == "auto" else float(value)


def _normalize_label(value: bool | str, resolved: Mapping[str, Any]) -> bool:
    # The documentation: ``true`` is ignored for classification.
    return resolved["predictor_type"] == "regressor" and value in ("auto", True)


def _unbias_data(value: bool | str, resolved: Mapping[str, Any]) -> bool:
    return bool(resolved["use_bias"]) if value == "auto" else bool(value)


def _unbias_label(value: bool | str, resolved: Mapping[str, Any]) -> bool:
    # The documentation: applies only to regression with use_bias=true.
    regression = resolved["predictor_type"] == "regressor"
    return regression and bool(resolved["use_bias"]) and value in ("auto", True)


# -- the declarations -------------------------------------------------------------------------

_H = Hyperparameter


@dataclass(frozen=True)
class Config:
    """A validated hyperparameter set with every ``auto`` replaced by a concrete value.

    Each field declares one hyperparameter (see the module docstring); fields that
    depend on others come after them. ``positive_example_weight_mult`` stays
    ``'auto'``/``'balanced'`` because both depend on the labels; the trainer resolves them.
    """

    predictor_type: Annotated[PredictorType, _H(None, _required_choice(*PREDICTOR_TYPES))]
    # Required for multiclass and ignored otherwise: 2 for binary, 1 for a regressor.
    num_classes: Annotated[int, _H(None, _int_in(1, 1_000_000, optional=True), _num_classes)]
    feature_dim: Annotated[int | None, _H("auto", _positive_int(auto=True), _auto(None))]
    mini_batch_size: Annotated[int, _H(1000, _positive_int())]
    epochs: Annotated[int, _H(15, _positive_int())]
    num_models: Annotated[int, _H("auto", _positive_int(auto=True), _auto(32))]
    loss: Annotated[str, _H("auto", _stripped, _loss)]
    optimizer: Annotated[str, _H("auto", _choice("auto", "sgd", "adam", "rmsprop"), _auto("adam"))]
    learning_rate: Annotated[float, _H("auto", _positive_float(auto=True), _learning_rate)]
    wd: Annotated[float, _H("auto", _non_negative_float(auto=True), _auto(0.0))]
    l1: Annotated[float, _H("auto", _non_negative_float(auto=True), _auto(0.0))]
    momentum: Annotated[float, _H("auto", _unit_half_open(auto=True), _auto(0.0))]
    beta_1: Annotated[float, _H("auto", _unit_half_open(auto=True), _auto(0.9))]
    beta_2: Annotated[float, _H("auto", _unit_half_open(auto=True), _auto(0.999))]
    bias_lr_mult: Annotated[float, _H("auto", _positive_float(auto=True), _auto(10.0))]
    bias_wd_mult: Annotated[float, _H("auto", _non_negative_float(auto=True), _auto(0.0))]
    use_bias: Annotated[bool, _H(True, _boolean(auto=False))]
    use_lr_scheduler: Annotated[bool, _H(True, _boolean(auto=False))]
    lr_scheduler_step: Annotated[int, _H("auto", _positive_int(auto=True), _auto(100))]
    lr_scheduler_factor: Annotated[float, _H("auto", _unit_open(auto=True), _auto(0.99))]
    lr_scheduler_minimum_lr: Annotated[float, _H("auto", _positive_float(auto=True), _auto(1e-5))]
    normalize_data: Annotated[bool, _H(True, _boolean(auto=True), _auto(True))]
    normalize_label: Annotated[bool, _H("auto", _boolean(auto=True), _normalize_label)]
    unbias_data: Annotated[bool, _H("auto", _boolean(auto=True), _unbias_data)]
    unbias_label: Annotated[bool, _H("auto", _boolean(auto=True), _unbias_label)]
    num_point_for_scaler: Annotated[int, _H(10_000, _positive_int())]
    init_method: Annotated[str, _H("uniform", _choice("uniform", "normal"))]
    init_scale: Annotated[float, _H(0.07, _positive_float())]
    init_sigma: Annotated[float, _H(0.01, _positive_float())]
    init_bias: Annotated[float, _H(0.0, _number("float", None, None, wording="a number"))]
    early_stopping_patience: Annotated[int, _H(3, _positive_int())]
    early_stopping_tolerance: Annotated[float, _H(0.001, _positive_float())]
    binary_classifier_model_selection_criteria: Annotated[str, _H("accuracy", _choice(*CRITERIA))]
    target_recall: Annotated[float, _H(0.8, _unit_open())]
    target_precision: Annotated[float, _H(0.8, _unit_open())]
    f_beta: Annotated[float, _H(1.0, _positive_float())]
    positive_example_weight_mult: Annotated[float | str, _H(1.0, _positive_weight)]
    balance_multiclass_weights: Annotated[bool, _H(False, _boolean(auto=False))]
    num_calibration_samples: Annotated[int, _H("auto", _positive_int(auto=True), _auto(10_000_000))]
    accuracy_top_k: Annotated[int, _H(3, _int_in(1, 1_000_000))]
    margin: Annotated[float, _H(1.0, _non_negative_float())]
    quantile: Annotated[float, _H(0.5, _unit_open())]
    loss_insensitivity: Annotated[float, _H(0.01, _positive_float())]
    # The SDK accepts 0, but a Huber loss with delta 0 is identically zero and learns
    # nothing, so this follows the documentation's "positive" instead.
    huber_delta: Annotated[float, _H(1.0, _positive_float())]

    @property
    def criterion(self) -> str:
        """``binary_classifier_model_selection_criteria``, under a name that fits a line."""
        return self.binary_classifier_model_selection_criteria


def _declarations() -> dict[str, Hyperparameter]:
    hints = typing.get_type_hints(Config, include_extras=True)
    return {field.name: hints[field.name].__metadata__[0] for field in dataclasses.fields(Config)}


SPECS: dict[str, Hyperparameter] = _declarations()
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


def resolve(raw: Mapping[str, object]) -> Config:
    """Validate a full hyperparameter set and resolve every ``auto``.

    Every value is checked on its own first, in declaration order; then the rules that
    depend on other hyperparameters (``loss`` and ``num_classes`` against
    ``predictor_type``) apply as each value is resolved.

    Parameters
    ----------
    raw : Mapping[str, object]
        Values by name in :data:`SPECS`; a missing name takes its default.

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
    checked = {name: spec.check(name, given[name]) for name, spec in SPECS.items()}
    resolved: dict[str, Any] = {}
    for name, spec in SPECS.items():
        resolved[name] = spec.resolution(checked[name], resolved)
    return Config(**resolved)
