"""The catalog: one definition of each model's fields, order and encoding."""

import pytest
from pydantic import ValidationError

from chalicelib.catalog import CATALOG

CREDIT = {
    "age": 35,
    "sex": "female",
    "job": 2,
    "housing": "rent",
    "saving_accounts": None,
    "checking_account": "moderate",
    "credit_amount": 2500.0,
    "duration": 24,
    "purpose": "car",
}


def test_the_catalog_defines_the_three_models():
    assert list(CATALOG) == ["rainfall", "housing", "credit"]


@pytest.mark.parametrize(("name", "width"), [("rainfall", 17), ("housing", 13), ("credit", 26)])
def test_each_model_has_its_feature_count(name, width):
    assert len(CATALOG[name].feature_names) == width


def test_dataset_column_names_are_accepted_as_aliases():
    spec = CATALOG["credit"]
    by_alias = {
        "Age": 35,
        "Sex": "female",
        "Job": 2,
        "Housing": "rent",
        "Saving accounts": None,
        "Checking account": "moderate",
        "Credit amount": 2500.0,
        "Duration": 24,
        "Purpose": "car",
    }
    assert spec.instance_model.model_validate(by_alias) == spec.instance_model.model_validate(
        CREDIT
    )


def test_credit_categoricals_are_one_hot_with_no_account_as_its_own_column():
    spec = CATALOG["credit"]
    row = dict(
        zip(
            spec.feature_names, spec.encode(spec.instance_model.model_validate(CREDIT)), strict=True
        )
    )
    assert row["saving_accounts=none"] == 1.0
    assert row["checking_account=moderate"] == 1.0
    assert row["purpose=car"] == 1.0
    assert sum(v for k, v in row.items() if k.startswith("purpose=")) == 1.0
    assert row["credit_amount"] == 2500.0


def test_numeric_models_encode_fields_in_declaration_order():
    spec = CATALOG["housing"]
    values = {name: float(i) / 10 for i, name in enumerate(spec.instance_model.model_fields)}
    values["chas"] = 1
    values["rm"] = 6.5
    values["rad"] = 2
    encoded = spec.encode(spec.instance_model.model_validate(values))
    assert encoded == [float(values[name]) for name in spec.feature_names]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_non_finite_and_out_of_range_numbers_are_rejected(bad):
    spec = CATALOG["credit"]
    with pytest.raises(ValidationError) as caught:
        spec.instance_model.model_validate({**CREDIT, "credit_amount": bad})
    assert caught.value.errors()[0]["loc"] == ("credit_amount",)


def test_a_classifier_record_maps_to_label_and_score():
    assert CATALOG["credit"].to_prediction({"score": 0.25, "predicted_label": 0}) == {
        "label": "good",
        "predicted_label": 0,
        "score": 0.25,
    }


def test_a_regressor_record_maps_to_its_score():
    assert CATALOG["housing"].to_prediction({"score": 24.5}) == {"score": 24.5}


@pytest.mark.parametrize(
    ("model", "record"),
    [("credit", {"score": 0.75, "predicted_label": 1}), ("housing", {"score": 24.5})],
)
def test_a_batch_of_records_maps_as_each_record_does(model, record):
    spec = CATALOG[model]
    assert spec.to_predictions([record, record]) == [spec.to_prediction(record)] * 2


@pytest.mark.parametrize(
    ("model", "record"),
    [("credit", {"score": 0.75, "predicted_label": 1}), ("housing", {"score": 24.5})],
)
def test_prediction_fields_name_the_prediction_keys_in_order(model, record):
    spec = CATALOG[model]
    assert tuple(spec.to_prediction(record)) == spec.prediction_fields


@pytest.mark.parametrize("name", list(CATALOG))
def test_each_reference_instance_is_the_training_splits_medians_and_modes(name):
    from training.datasets import reference

    assert dict(CATALOG[name].reference) == reference(name)


def test_a_reference_holds_every_field_in_order_and_passes_validation():
    for spec in CATALOG.values():
        assert list(spec.reference) == list(spec.instance_model.model_fields)
        spec.instance_model.model_validate(spec.reference)


def test_each_field_maps_to_its_columns_with_one_hot_groups_together():
    columns = CATALOG["credit"].field_columns
    names = CATALOG["credit"].feature_names
    assert [names[c] for c in columns["duration"]] == ["duration"]
    assert [names[c] for c in columns["checking_account"]] == [
        "checking_account=none",
        "checking_account=little",
        "checking_account=moderate",
        "checking_account=rich",
    ]
    assert sorted(c for group in columns.values() for c in group) == list(range(len(names)))


@pytest.mark.parametrize(
    ("field", "value", "reference", "sentence"),
    [
        ("duration", 48, 18, "a duration of 48 months, against 18 for the reference"),
        ("credit_amount", 5951.0, 2290, "a credit amount of 5,951 DM, against 2,290 for the reference"),
        ("checking_account", "little", None,
         "little in a checking account, against no checking account for the reference"),
        ("job", 3, 2, "a highly skilled job, against a skilled job for the reference"),
        ("purpose", "radio/TV", "car", "a loan for radio/TV, against car for the reference"),
    ],
)  # fmt: skip
def test_a_credit_field_says_its_value_and_the_references_in_words(
    field, value, reference, sentence
):
    phrase = CATALOG["credit"].phrase(field)
    assert phrase is not None
    assert phrase.sentence(value, reference) == sentence


def test_a_classifier_field_without_words_is_refused_when_the_catalog_loads():
    from chalicelib.catalog import CreditInstance, _credit_encoding, model_spec

    class Unphrased(CreditInstance):
        extra_field: int = 0

    with pytest.raises(TypeError, match="extra_field"):
        model_spec(
            "unphrased", "", Unphrased, "binary_classifier", "Risk", _credit_encoding(),
            example=CREDIT, reference=CREDIT, class_labels=("good", "bad"),
        )  # fmt: skip
