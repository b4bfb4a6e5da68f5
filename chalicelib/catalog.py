"""The one definition of each model: its input fields, feature order, encoding and output.

Training imports this module to turn dataset rows into feature rows, and the API uses the
very same code to turn requests into CSV rows for the endpoint, so a model can't be trained
on one encoding and served with another. Field names are snake_case; each field also accepts
the dataset's own column name as an alias (``TempAvgF``, ``RM``, ``Credit amount``).

Ranges are physical plausibility limits, not the training data's extremes: a user may send
a hotter day than Austin has seen, but not a humidity of 140 %.

Each model also has a reference instance, the baseline its explanations measure against
(``chalicelib/explain.py``): the training split's median of every number and its most
frequent category (null included) of every category. The Lambda has no datasets, so the
reference is written here as a literal, and a test checks it against the split
(``training.datasets.reference``). A classifier's fields each carry a ``Phrase``, from
which the explanation writes its reasons in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal, get_args

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

PredictorType = Literal["regressor", "binary_classifier"]


@dataclass(frozen=True)
class Phrase:
    """How a reason names one field's value, as in "a duration of 48 months".

    ``template`` holds the value in its ``{}``; ``values`` names the values that read
    better in words than as themselves (``None``: "no checking account").
    """

    template: str
    values: Mapping[Any, str] = field(default_factory=dict)

    def name(self, value: Any) -> str:
        """The value alone, as the sentence names it: "48", "renting", "5,951"."""
        if value in self.values:
            return self.values[value]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"

    def sentence(self, value: Any, reference: Any) -> str:
        """The reason's sentence: "a duration of 48 months, against 18 for the reference"."""
        return (
            f"{self.template.format(self.name(value))}, "
            f"against {self.name(reference)} for the reference"
        )


class Instance(BaseModel):
    """Base of every model's input: unknown fields, NaN and Infinity are rejected."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        allow_inf_nan=False,
        frozen=True,
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # pydantic looks a field up by its alias first, then by its name. Requests name
        # fields in snake_case, so every field cost two lookups: 1.2 of 3.7 ms to validate
        # 1,000 housing instances. Each field is looked up by its name first instead.
        super().__pydantic_init_subclass__(**kwargs)
        for name, info in cls.__pydantic_fields__.items():
            if info.alias and info.validation_alias == info.alias:
                info.validation_alias = AliasChoices(name, info.alias)
        cls.model_rebuild(force=True)


def _whole_float_to_int(value: Any) -> Any:
    # Clients built on pandas or numpy send 2.0 for 2; strict validation would refuse it.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_float_to_int)]


def _number(alias: str, low: float, high: float, description: str) -> Any:
    return Field(alias=alias, ge=low, le=high, description=description)


class RainfallInstance(Instance):
    """One day of weather observations in Austin, Texas (Weather Underground)."""

    temp_high_f: float = _number("TempHighF", -80, 140, "Highest temperature, °F")
    temp_avg_f: float = _number("TempAvgF", -80, 140, "Average temperature, °F")
    temp_low_f: float = _number("TempLowF", -80, 140, "Lowest temperature, °F")
    dew_point_high_f: float = _number("DewPointHighF", -80, 140, "Highest dew point, °F")
    dew_point_avg_f: float = _number("DewPointAvgF", -80, 140, "Average dew point, °F")
    dew_point_low_f: float = _number("DewPointLowF", -80, 140, "Lowest dew point, °F")
    humidity_high_percent: float = _number("HumidityHighPercent", 0, 100, "Highest humidity, %")
    humidity_avg_percent: float = _number("HumidityAvgPercent", 0, 100, "Average humidity, %")
    humidity_low_percent: float = _number("HumidityLowPercent", 0, 100, "Lowest humidity, %")
    sea_level_pressure_high_inches: float = _number(
        "SeaLevelPressureHighInches", 25, 33, "Highest sea-level pressure, inches of mercury"
    )
    sea_level_pressure_avg_inches: float = _number(
        "SeaLevelPressureAvgInches", 25, 33, "Average sea-level pressure, inches of mercury"
    )
    visibility_high_miles: float = _number(
        "VisibilityHighMiles", 0, 100, "Highest visibility, miles"
    )
    visibility_avg_miles: float = _number("VisibilityAvgMiles", 0, 100, "Average visibility, miles")
    visibility_low_miles: float = _number("VisibilityLowMiles", 0, 100, "Lowest visibility, miles")
    wind_high_mph: float = _number("WindHighMPH", 0, 250, "Highest sustained wind, mph")
    wind_avg_mph: float = _number("WindAvgMPH", 0, 250, "Average wind, mph")
    wind_gust_mph: float = _number("WindGustMPH", 0, 300, "Highest gust, mph")


class HousingInstance(Instance):
    """One census tract of the Boston housing data (Harrison & Rubinfeld, 1978)."""

    crim: float = _number("CRIM", 0, 100, "Per-capita crime rate")
    zn: float = _number(
        "ZN", 0, 100, "Share of residential land zoned for lots over 25,000 sq ft, %"
    )
    indus: float = _number("INDUS", 0, 100, "Share of non-retail business acres, %")
    chas: WholeNumber = Field(
        alias="CHAS", ge=0, le=1, description="1 if the tract bounds the Charles River"
    )
    nox: float = _number("NOX", 0, 1, "Nitric oxide concentration, parts per 10 million")
    rm: float = _number("RM", 1, 20, "Average rooms per dwelling")
    age: float = _number("AGE", 0, 100, "Share of owner-occupied units built before 1940, %")
    dis: float = _number("DIS", 0, 50, "Weighted distance to five Boston employment centres")
    rad: float = _number("RAD", 1, 24, "Index of accessibility to radial highways")
    tax: float = _number("TAX", 0, 2000, "Property-tax rate per $10,000")
    ptratio: float = _number("PTRATIO", 1, 50, "Pupil-teacher ratio")
    b: float = _number("B", 0, 400, "1000 (Bk - 0.63)^2, Bk the share of Black residents")
    lstat: float = _number("LSTAT", 0, 100, "Lower-status share of the population, %")


Sex = Literal["male", "female"]
Housing = Literal["own", "rent", "free"]
SavingAccount = Literal["little", "moderate", "quite rich", "rich"]
CheckingAccount = Literal["little", "moderate", "rich"]
Purpose = Literal[
    "business",
    "car",
    "domestic appliances",
    "education",
    "furniture/equipment",
    "radio/TV",
    "repairs",
    "vacation/others",
]


class CreditInstance(Instance):
    """One loan applicant of the Statlog German Credit data."""

    age: Annotated[WholeNumber, Phrase("an age of {} years")] = Field(
        alias="Age", ge=18, le=120, description="Age, years"
    )
    sex: Annotated[Sex, Phrase("being {}")] = Field(alias="Sex")
    job: Annotated[
        WholeNumber,
        Phrase(
            "{}",
            {
                0: "an unskilled job as a non-resident",
                1: "an unskilled job",
                2: "a skilled job",
                3: "a highly skilled job",
            },
        ),
    ] = Field(
        alias="Job",
        ge=0,
        le=3,
        description="0 unskilled non-resident, 1 unskilled resident, 2 skilled, 3 highly skilled",
    )
    housing: Annotated[
        Housing, Phrase("{}", {"own": "owning a home", "rent": "renting", "free": "free housing"})
    ] = Field(alias="Housing")
    saving_accounts: Annotated[
        SavingAccount | None,
        Phrase(
            "{}",
            {
                None: "no savings account",
                "little": "little savings",
                "moderate": "moderate savings",
                "quite rich": "quite rich savings",
                "rich": "rich savings",
            },
        ),
    ] = Field(alias="Saving accounts", description="null when the applicant has no savings account")
    checking_account: Annotated[
        CheckingAccount | None,
        Phrase(
            "{}",
            {
                None: "no checking account",
                "little": "little in a checking account",
                "moderate": "a moderate checking account",
                "rich": "a rich checking account",
            },
        ),
    ] = Field(
        alias="Checking account", description="null when the applicant has no checking account"
    )
    credit_amount: Annotated[float, Phrase("a credit amount of {} DM")] = _number(
        "Credit amount", 1, 1_000_000, "Amount asked for, DM"
    )
    duration: Annotated[WholeNumber, Phrase("a duration of {} months")] = Field(
        alias="Duration", ge=1, le=240, description="Duration, months"
    )
    purpose: Annotated[Purpose, Phrase("a loan for {}")] = Field(alias="Purpose")


NO_ACCOUNT = "none"


def _one_hot(name: str, categories: Sequence[str]) -> tuple[list[str], dict[Any, list[float]]]:
    """A categorical field's columns, and the row of them each of its values becomes (null
    is ``NO_ACCOUNT``'s), made once: encoding runs for every instance of every request."""
    columns = [f"{name}={category}" for category in categories]
    rows = {
        None if category == NO_ACCOUNT else category: [
            1.0 if other == category else 0.0 for other in categories
        ]
        for category in categories
    }
    return columns, rows


def _credit_encoding() -> tuple[list[str], Callable[[BaseModel], list[float]]]:
    # Categoricals become one-hot columns; a missing account is a category of its own
    # because "no account" says something about an applicant, not a gap in the data.
    categorical = {
        "sex": list(get_args(Sex)),
        "housing": list(get_args(Housing)),
        "saving_accounts": [NO_ACCOUNT, *get_args(SavingAccount)],
        "checking_account": [NO_ACCOUNT, *get_args(CheckingAccount)],
        "purpose": list(get_args(Purpose)),
    }
    numeric = ["age", "job", "credit_amount", "duration"]
    encoders = {name: _one_hot(name, values) for name, values in categorical.items()}
    columns = numeric + [column for cols, _ in encoders.values() for column in cols]
    one_hot = [(name, rows) for name, (_, rows) in encoders.items()]

    def encode(instance: BaseModel) -> list[float]:
        row = [float(getattr(instance, name)) for name in numeric]
        for name, rows in one_hot:
            row += rows[getattr(instance, name)]
        return row

    return columns, encode


def numeric_encoding(
    instance_model: type[BaseModel],
) -> tuple[list[str], Callable[[BaseModel], list[float]]]:
    """Each field one feature column, in declaration order, as the number it holds."""
    names = list(instance_model.model_fields)

    def encode(instance: BaseModel) -> list[float]:
        # A validated model's __dict__ holds exactly its fields, in declaration order
        # (extra fields are forbidden), and only ints and floats: reading it whole is the
        # fast path for big batches, and an int is as good as a float in a CSV row.
        return list(instance.__dict__.values())

    return names, encode


@dataclass(frozen=True)
class ModelSpec:
    """Everything the API and training need to know about one model."""

    name: str
    description: str
    instance_model: type[Instance]
    predictor_type: PredictorType
    target: str
    feature_names: tuple[str, ...]
    encode_instance: Callable[[BaseModel], list[float]]
    example: Mapping[str, Any]
    reference: Mapping[str, Any]
    class_labels: tuple[str, str] | None = None

    @property
    def endpoint_variable(self) -> str:
        """The environment variable naming this model's SageMaker endpoint."""
        return f"{self.name.upper()}_ENDPOINT_NAME"

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        """The input fields, in declaration order (a one-hot group is one field)."""
        return tuple(self.instance_model.model_fields)

    @cached_property
    def field_columns(self) -> dict[str, tuple[int, ...]]:
        """The feature columns each input field becomes: one, or its one-hot group."""
        return {
            name: tuple(
                index
                for index, column in enumerate(self.feature_names)
                if column.split("=", 1)[0] == name
            )
            for name in self.field_names
        }

    @cached_property
    def reference_row(self) -> list[float]:
        """The reference instance as a feature row."""
        return self.encode(self.instance_model.model_validate(self.reference))

    def phrase(self, field_name: str) -> Phrase | None:
        """How reasons name this field's values, if the catalog says."""
        metadata = self.instance_model.model_fields[field_name].metadata
        return next((item for item in metadata if isinstance(item, Phrase)), None)

    def example_csv(self) -> str:
        """The example as a CSV body: a header row and one line."""
        values = ("" if value is None else str(value) for value in self.example.values())
        return ",".join(self.example) + "\n" + ",".join(values) + "\n"

    def encode(self, instance: BaseModel) -> list[float]:
        """One validated instance as a numeric row, in ``feature_names`` order."""
        return self.encode_instance(instance)

    def encode_all(self, instances: Sequence[BaseModel]) -> list[list[float]]:
        """Validated instances as numeric rows, in order."""
        encode = self.encode_instance
        return [encode(instance) for instance in instances]

    @property
    def prediction_fields(self) -> tuple[str, ...]:
        """The keys of the API's prediction objects (``to_prediction``), in their order."""
        return ("score",) if self.class_labels is None else ("label", "predicted_label", "score")

    def to_predictions(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records ``chalicelib.endpoint.parse_predictions`` reads, as the API's
        predictions: a regressor's records hold exactly its score, so they are already."""
        if self.class_labels is None:
            return records
        return [self.to_prediction(record) for record in records]

    def to_prediction(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Linear Learner's prediction record as the API's prediction object."""
        score = float(record["score"])
        if self.class_labels is None:
            return {"score": score}
        predicted = int(record["predicted_label"])
        return {"label": self.class_labels[predicted], "predicted_label": predicted, "score": score}


def model_spec(
    name: str,
    description: str,
    instance_model: type[Instance],
    predictor_type: PredictorType,
    target: str,
    encoding: tuple[list[str], Callable[[BaseModel], list[float]]],
    example: Mapping[str, Any],
    reference: Mapping[str, Any],
    class_labels: tuple[str, str] | None = None,
) -> ModelSpec:
    """One catalog entry: the model's schema, its encoding into feature columns and its example.

    ``encoding`` is ``numeric_encoding(instance_model)`` for a model of numeric fields only,
    the fields in their declared order; the credit model shows a one-hot encoding.
    """
    # An example or reference that fails its own schema would be a broken promise in every
    # doc and explanation showing it.
    instance_model.model_validate(example)
    instance_model.model_validate(reference)
    columns, encode = encoding
    spec = ModelSpec(
        name=name,
        description=description,
        instance_model=instance_model,
        predictor_type=predictor_type,
        target=target,
        feature_names=tuple(columns),
        encode_instance=encode,
        example=example,
        reference=reference,
        class_labels=class_labels,
    )
    # Reasons are written for classifiers; a field without words would leave one unwritten.
    unphrased = [f for f in spec.field_names if class_labels and spec.phrase(f) is None]
    if unphrased:
        raise TypeError(f"{name}: fields without a Phrase: {', '.join(unphrased)}")
    return spec


CATALOG: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        model_spec(
            "rainfall",
            "Precipitation in Austin, Texas, in inches, from a day's weather observations.",
            RainfallInstance,
            "regressor",
            "PrecipitationSumInches",
            numeric_encoding(RainfallInstance),
            # Austin, 2013-12-21: 0.46 inches of rain fell.
            example={
                "temp_high_f": 74,
                "temp_avg_f": 60,
                "temp_low_f": 45,
                "dew_point_high_f": 67,
                "dew_point_avg_f": 49,
                "dew_point_low_f": 43,
                "humidity_high_percent": 93,
                "humidity_avg_percent": 75,
                "humidity_low_percent": 57,
                "sea_level_pressure_high_inches": 29.86,
                "sea_level_pressure_avg_inches": 29.68,
                "visibility_high_miles": 10,
                "visibility_avg_miles": 7,
                "visibility_low_miles": 2,
                "wind_high_mph": 20,
                "wind_avg_mph": 4,
                "wind_gust_mph": 31,
            },  # fmt: skip
            reference={
                "temp_high_f": 83,
                "temp_avg_f": 73,
                "temp_low_f": 63,
                "dew_point_high_f": 66,
                "dew_point_avg_f": 61,
                "dew_point_low_f": 56,
                "humidity_high_percent": 90,
                "humidity_avg_percent": 67,
                "humidity_low_percent": 44,
                "sea_level_pressure_high_inches": 30.07,
                "sea_level_pressure_avg_inches": 30.0,
                "visibility_high_miles": 10,
                "visibility_avg_miles": 10,
                "visibility_low_miles": 9,
                "wind_high_mph": 13,
                "wind_avg_mph": 5,
                "wind_gust_mph": 21,
            },  # fmt: skip
        ),
        model_spec(
            "housing",
            "Median value of owner-occupied homes in a Boston tract, in $1000s.",
            HousingInstance,
            "regressor",
            "MEDV",
            numeric_encoding(HousingInstance),
            # The first Boston tract: median value $24,000.
            example={
                "crim": 0.00632,
                "zn": 18,
                "indus": 2.31,
                "chas": 0,
                "nox": 0.538,
                "rm": 6.575,
                "age": 65.2,
                "dis": 4.09,
                "rad": 1,
                "tax": 296,
                "ptratio": 15.3,
                "b": 396.9,
                "lstat": 4.98,
            },  # fmt: skip
            # Even counts: a median is the mean of the two middle values (dis, b, lstat...).
            reference={
                "crim": 0.327625,
                "zn": 0,
                "indus": 9.9,
                "chas": 0,
                "nox": 0.541,
                "rm": 6.241,
                "age": 80.55,
                "dis": 2.89545,
                "rad": 5,
                "tax": 345,
                "ptratio": 19.1,
                "b": 391.285,
                "lstat": 11.365,
            },  # fmt: skip
        ),
        model_spec(
            "credit",
            "Credit risk of a loan applicant: the probability of 'bad' risk and its label.",
            CreditInstance,
            "binary_classifier",
            "Risk",
            _credit_encoding(),
            # The second applicant of the German credit data, rated bad risk.
            example={
                "age": 22,
                "sex": "female",
                "job": 2,
                "housing": "own",
                "saving_accounts": "little",
                "checking_account": "moderate",
                "credit_amount": 5951,
                "duration": 48,
                "purpose": "radio/TV",
            },  # fmt: skip
            # Most applicants of the training split have no checking account: null is the mode.
            reference={
                "age": 33,
                "sex": "male",
                "job": 2,
                "housing": "own",
                "saving_accounts": "little",
                "checking_account": None,
                "credit_amount": 2290,
                "duration": 18,
                "purpose": "car",
            },  # fmt: skip
            # Index is Linear Learner's predicted_label: 1, the positive class, is bad risk.
            class_labels=("good", "bad"),
        ),
    )
}
