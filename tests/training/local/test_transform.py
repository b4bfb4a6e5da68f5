"""``transform`` on the local target: whole files through the real local endpoint over loopback."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.training.batch.files import (
    credit_rows,
    csv_text,
    housing_rows,
    jsonl,
    output_rows,
    scores,
    write,
)
from tests.training.emulator.artifact_layout import artifact
from training.batch.request import TransformRequest
from training.cli import build_parser, main
from training.emulator import Emulator
from training.errors import InputError, LocalError
from training.local.settings import LocalSettings
from training.local.transform import DEFAULT_PAYLOAD_MB, Route, transform

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def housing_endpoint(models_dir: Path) -> Iterator[Emulator]:
    """The housing model behind the container route, as a Batch Transform job has it."""
    with Emulator(models_dir, port=0, log=None, default_endpoint="housing") as running:
        yield running


@pytest.fixture(scope="module")
def credit_endpoint(models_dir: Path) -> Iterator[Emulator]:
    with Emulator(models_dir, port=0, log=None, default_endpoint="credit") as running:
        yield running


def request(*argv: str) -> TransformRequest:
    """The request the local verb makes of this command line."""
    parsed = build_parser().parse_args(["transform", *argv])
    return TransformRequest.from_args(parsed, default_payload_mb=DEFAULT_PAYLOAD_MB)


def run(
    endpoint: Emulator, *argv: str, models_dir: Path | None = None, **options: object
) -> tuple[object, str]:
    """Transform through ``endpoint``'s container route; returns the tally and stderr."""
    err = io.StringIO()
    tally = transform(
        request(*argv),
        LocalSettings(models_dir=models_dir or endpoint.models_dir),
        route=Route(endpoint.url, "/invocations"),
        stderr=err,
        progress=False,
        **options,  # type: ignore[arg-type]
    )
    return tally, err.getvalue()


def assert_same_predictions(resumed: Path, whole: Path) -> None:
    """The same rows and scores (to the last bits, which depend on how rows were batched)."""
    ours, theirs = output_rows(resumed), output_rows(whole)
    assert [{**row, "score": ""} for row in ours] == [{**row, "score": ""} for row in theirs]
    assert [float(row["score"]) for row in ours] == pytest.approx(
        [float(row["score"]) for row in theirs], rel=1e-12
    )


def test_a_file_larger_than_one_payload_comes_back_whole_in_order(
    housing_endpoint, models_dir, tmp_path
):
    rows = housing_rows(40_000)  # about 2.6 MB of CSV: three payloads of 1 MB
    source = write(tmp_path / "houses.csv", csv_text(rows))
    batches = []

    _, err = run(housing_endpoint, "housing", str(source), after_batch=batches.append)

    written = output_rows(tmp_path / "houses.predictions.csv")
    assert len(batches) == 3
    assert all(len(b.body()) <= 1024 * 1024 for b in batches)
    assert [float(row["score"]) for row in written] == pytest.approx(
        scores(models_dir, "housing", rows), rel=1e-12
    )
    assert [row["rm"] for row in written] == [str(row["rm"]) for row in rows]
    assert "housing: 40,000 input rows = 40,000 predicted + 0 rejected" in err


def test_the_output_repeats_each_row_as_written_and_appends_the_score(housing_endpoint, tmp_path):
    text = csv_text(housing_rows(3)).replace("0.00632", "6.32e-3")
    source = write(tmp_path / "in.csv", text)

    run(housing_endpoint, "housing", str(source), "--output", str(tmp_path / "out.csv"))

    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[0] == text.splitlines()[0] + ",score"
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == text.splitlines()[1:]


def test_the_datasets_own_column_names_are_accepted_in_any_order(
    housing_endpoint, models_dir, tmp_path
):
    rows = housing_rows(5)
    aliases = {"rm": "RM", "crim": "CRIM", "lstat": "LSTAT"}
    renamed = [{aliases.get(k, k): v for k, v in reversed(list(row.items()))} for row in rows]
    source = write(tmp_path / "in.csv", csv_text(renamed))

    run(housing_endpoint, "housing", str(source))

    written = output_rows(tmp_path / "in.predictions.csv")
    assert [float(row["score"]) for row in written] == pytest.approx(
        scores(models_dir, "housing", rows), rel=1e-12
    )


def test_a_bom_and_crlf_line_ends_read_as_plain_csv(housing_endpoint, models_dir, tmp_path):
    rows = housing_rows(4)
    source = write(tmp_path / "in.csv", b"\xef\xbb\xbf" + csv_text(rows, "\r\n").encode())

    run(housing_endpoint, "housing", str(source))

    written = output_rows(tmp_path / "in.predictions.csv")
    assert list(written[0])[0] == "crim"
    assert [float(row["score"]) for row in written] == pytest.approx(
        scores(models_dir, "housing", rows), rel=1e-12
    )


def test_quoted_cells_are_read_and_repeated_as_quoted(credit_endpoint, models_dir, tmp_path):
    rows = credit_rows(6)
    text = csv_text(rows).replace("quite rich", '"quite rich"').replace("radio/TV", '"radio/TV"')
    source = write(tmp_path / "credit.csv", text)

    run(credit_endpoint, "credit", str(source))

    lines = (tmp_path / "credit.predictions.csv").read_text().splitlines()
    assert lines[0].endswith(",label,predicted_label,score")
    assert lines[2].startswith(text.splitlines()[2] + ",")
    written = output_rows(tmp_path / "credit.predictions.csv")
    assert [float(row["score"]) for row in written] == pytest.approx(
        scores(models_dir, "credit", rows), rel=1e-12
    )
    assert {row["label"] for row in written} <= {"good", "bad"}


def test_a_quoted_line_break_is_one_cell_and_later_lines_keep_their_numbers(
    credit_endpoint, tmp_path
):
    lines = csv_text(credit_rows(4)).splitlines()
    lines[2] = lines[2].replace("radio/TV", '"radio\nTV"')
    source = write(tmp_path / "credit.csv", "\n".join(lines) + "\n\nnot,a,row\n")

    tally, _ = run(credit_endpoint, "credit", str(source), "--on-error", "skip")

    rejected = jsonl(tmp_path / "credit.predictions.csv.rejected.jsonl")
    assert [(r["line"], r["errors"][0].get("field")) for r in rejected] == [
        (3, "purpose"),
        (8, None),
    ]
    assert rejected[0]["input"] == lines[2]
    assert (tally.predicted, tally.rejected) == (3, 2)


def test_json_lines_come_back_as_json_lines_with_the_prediction_added(
    credit_endpoint, models_dir, tmp_path
):
    rows = credit_rows(3)
    source = write(tmp_path / "in.jsonl", "".join(json.dumps(row) + "\n" for row in rows))

    run(credit_endpoint, "credit", str(source))

    written = jsonl(tmp_path / "in.predictions.jsonl")
    assert [{k: row[k] for k in rows[0]} for row in written] == rows
    assert [row["score"] for row in written] == pytest.approx(
        scores(models_dir, "credit", rows), rel=1e-12
    )
    assert all(row["label"] == ("bad" if row["predicted_label"] else "good") for row in written)


BAD_ROWS = {
    "a string for a number": ("rm", "six", "rm", "Input should be a valid number"),
    "NaN": ("rm", "nan", "rm", "Input should be a finite number"),
    "an out-of-range value": ("rm", "25", "rm", "Input should be less than or equal to 20"),
    "a whole number with a fraction": ("chas", "0.5", "chas", "Input should be a valid integer"),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_value_is_set_aside_with_its_line_and_field(case, housing_endpoint, tmp_path):
    field, value, named, message = BAD_ROWS[case]
    rows = housing_rows(5)
    rows[2] = {**rows[2], field: value}
    source = write(tmp_path / "in.csv", csv_text(rows))

    tally, err = run(housing_endpoint, "housing", str(source), "--on-error", "skip")

    (rejected,) = jsonl(tmp_path / "in.predictions.csv.rejected.jsonl")
    assert rejected["line"] == 4
    assert rejected["errors"][0]["field"] == named
    assert rejected["errors"][0]["message"].startswith(message)
    assert len(output_rows(tmp_path / "in.predictions.csv")) == 4
    assert "5 input rows = 4 predicted + 1 rejected" in err


def test_an_unknown_category_is_set_aside_naming_the_field(credit_endpoint, tmp_path):
    rows = credit_rows(3)
    rows[1] = {**rows[1], "housing": "castle"}
    source = write(tmp_path / "in.csv", csv_text(rows))

    run(credit_endpoint, "credit", str(source), "--on-error", "skip")

    (rejected,) = jsonl(tmp_path / "in.predictions.csv.rejected.jsonl")
    assert (rejected["line"], rejected["errors"][0]["field"]) == (3, "housing")
    assert rejected["errors"][0]["message"].startswith("Input should be 'own', 'rent' or 'free'")


@pytest.mark.parametrize(("cells", "count"), [(",1,2", 3), (",".join(["1"] * 14), 14)])
def test_a_row_with_too_few_or_too_many_cells_is_set_aside(
    cells, count, housing_endpoint, tmp_path
):
    source = write(tmp_path / "in.csv", csv_text(housing_rows(2)) + cells + "\n")

    tally, _ = run(housing_endpoint, "housing", str(source), "--on-error", "skip")

    (rejected,) = jsonl(tmp_path / "in.predictions.csv.rejected.jsonl")
    assert rejected == {
        "line": 4,
        "input": cells,
        "errors": [{"message": f"{count} values, but the header names 13"}],
    }
    assert (tally.predicted, tally.rejected) == (2, 1)


def test_a_bad_row_stops_the_run_and_the_fixed_file_resumes_where_it_stopped(
    housing_endpoint, tmp_path
):
    rows = housing_rows(20)
    bad = [*rows[:12], {**rows[12], "crim": "-1"}, *rows[13:]]
    source = write(tmp_path / "in.csv", csv_text(bad))

    with pytest.raises(InputError) as stopped:
        run(housing_endpoint, "housing", str(source))

    message = str(stopped.value)
    assert message.startswith(
        f"{source} line 14: field crim: Input should be greater than or equal to 0;"
    )
    assert "holds the 12 rows before it" in message
    assert message.endswith("once it is fixed, or pass --on-error skip to set such rows aside")
    assert len(output_rows(tmp_path / "in.predictions.csv")) == 12

    write(source, csv_text(rows))
    run(housing_endpoint, "housing", str(source), "--skip-rows", "12")
    whole = tmp_path / "whole.csv"
    run(housing_endpoint, "housing", str(source), "--output", str(whole))
    assert_same_predictions(tmp_path / "in.predictions.csv", whole)


def test_the_endpoint_dying_mid_file_keeps_the_rows_before_and_says_how_to_resume(
    models_dir, tmp_path
):
    rows = housing_rows(60_000)  # four payloads of 1 MB
    source = write(tmp_path / "in.csv", csv_text(rows))
    pauses: list[float] = []
    dying = Emulator(models_dir, port=0, log=None, default_endpoint="housing")
    dying.start()

    with pytest.raises(LocalError) as stopped:
        run(
            dying,
            "housing",
            str(source),
            "--max-payload-mb",
            "1",
            sleep=pauses.append,
            after_batch=lambda batch: dying.shutdown(),
        )

    written = len(output_rows(tmp_path / "in.predictions.csv"))
    message = str(stopped.value)
    assert written > 0
    assert pauses == [1.0, 2.0, 4.0]
    assert message.startswith(
        f"the local endpoint failed on the rows from {source} line {written + 2}"
    )
    assert "(4 attempts)" in message
    assert message.endswith(f"--output {tmp_path / 'in.predictions.csv'} --skip-rows {written}`")

    with Emulator(models_dir, port=0, log=None, default_endpoint="housing") as again:
        run(again, "housing", str(source), "--skip-rows", str(written))
        run(again, "housing", str(source), "--output", str(tmp_path / "whole.csv"))
    assert_same_predictions(tmp_path / "in.predictions.csv", tmp_path / "whole.csv")


def test_resuming_with_the_wrong_row_count_is_refused(housing_endpoint, tmp_path):
    source = write(tmp_path / "in.csv", csv_text(housing_rows(10)))
    run(housing_endpoint, "housing", str(source))

    with pytest.raises(Exception) as refused:
        run(housing_endpoint, "housing", str(source), "--skip-rows", "4")

    assert str(refused.value).startswith(
        f"--skip-rows 4, but {tmp_path / 'in.predictions.csv'} holds 10 rows: resume with "
        "--skip-rows 10"
    )


def test_an_existing_output_is_replaced_only_with_force(housing_endpoint, tmp_path):
    source = write(tmp_path / "in.csv", csv_text(housing_rows(2)))
    output = write(tmp_path / "out.csv", "keep me\n")

    with pytest.raises(Exception, match="out.csv exists: pass --force to replace it"):
        run(housing_endpoint, "housing", str(source), "--output", str(output))
    assert output.read_text() == "keep me\n"

    run(housing_endpoint, "housing", str(source), "--output", str(output), "--force")
    assert len(output_rows(output)) == 2


def test_a_progress_bar_shows_rows_and_rate_on_a_terminal(housing_endpoint, tmp_path):
    source = write(tmp_path / "in.csv", csv_text(housing_rows(50)))
    err = io.StringIO()

    transform(
        request("housing", str(source)),
        LocalSettings(models_dir=housing_endpoint.models_dir),
        route=Route(housing_endpoint.url, "/invocations"),
        stderr=err,
        progress=True,
    )

    bar, summary = err.getvalue().rsplit("\n", 2)[:2]
    assert "100%" in bar and "rows/s" in bar
    assert summary.startswith("housing: 50 input rows = 50 predicted + 0 rejected")


class _Rows(io.RawIOBase):
    """A CSV input made row by row as it is read: a file of any size that takes no memory."""

    def __init__(self, count: int) -> None:
        self._rows = self._make(count)
        self._left = b""

    @staticmethod
    def _make(count: int) -> Iterator[bytes]:
        yield csv_text(housing_rows(1)).splitlines(keepends=True)[0].encode()
        for start in range(0, count, 1000):
            yield csv_text(housing_rows(min(1000, count - start), start)).split("\n", 1)[1].encode()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self._left:
            self._left = next(self._rows, b"")
            if not self._left:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size], self._left = self._left[:size], self._left[size:]
        return size


class _Counter(io.TextIOBase):
    """An output that keeps nothing but the number of lines written to it."""

    lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return len(text)


def _peak_bytes(endpoint: Emulator, rows: int) -> int:
    import tracemalloc

    sink = _Counter()
    # Payloads of about 500 rows: the steady state (a few batches in flight) comes soon.
    small_payloads = replace(request("housing", "-", "--output", "-"), max_payload_bytes=32 * 1024)
    tracemalloc.start()
    try:
        transform(
            small_payloads,
            LocalSettings(models_dir=endpoint.models_dir),
            route=Route(endpoint.url, "/invocations"),
            stdin=io.BufferedReader(_Rows(rows)),
            stdout=sink,
            stderr=io.StringIO(),
            progress=False,
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sink.lines == rows + 1
    return peak


def test_memory_stays_the_same_whatever_the_number_of_rows(housing_endpoint):
    small, large = _peak_bytes(housing_endpoint, 10_000), _peak_bytes(housing_endpoint, 40_000)

    # A few payloads in flight and a chunk being read, whatever the file's size.
    assert large < 1.2 * small
    assert large < 16 * 1024 * 1024


def _port_nobody_listens_on() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    try:
        yield holder.getsockname()[1]
    finally:
        holder.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    yield from _port_nobody_listens_on()


def test_with_no_endpoint_running_it_starts_one_and_stops_it_after(
    models_dir, tmp_path, silent_port
):
    rows = housing_rows(10)
    source = write(tmp_path / "in.csv", csv_text(rows))
    settings = LocalSettings(models_dir=models_dir, emulator_port=silent_port)

    transform(request("housing", str(source)), settings, stderr=io.StringIO(), progress=False)

    assert [
        float(r["score"]) for r in output_rows(tmp_path / "in.predictions.csv")
    ] == pytest.approx(scores(models_dir, "housing", rows), rel=1e-12)
    assert multiprocessing.active_children() == []


def test_with_no_endpoint_running_an_imported_artifact_is_what_predicts(tmp_path, silent_port):
    models = tmp_path / "models"
    (models / "housing").mkdir(parents=True)
    write(models / "housing" / "model.tar.gz", artifact("regressor", np.zeros((13, 1)), np.ones(1)))
    source = write(tmp_path / "in.csv", csv_text(housing_rows(3)))
    settings = LocalSettings(models_dir=models, emulator_port=silent_port)

    transform(request("housing", str(source)), settings, stderr=io.StringIO(), progress=False)

    assert [float(r["score"]) for r in output_rows(tmp_path / "in.predictions.csv")] == [1.0] * 3


def test_a_model_never_trained_is_named_with_the_command_that_trains_it(tmp_path, silent_port):
    source = write(tmp_path / "in.csv", csv_text(housing_rows(1)))
    settings = LocalSettings(models_dir=tmp_path / "models", emulator_port=silent_port)

    with pytest.raises(LocalError) as refused:
        transform(request("housing", str(source)), settings, stderr=io.StringIO())

    assert str(refused.value).startswith(
        f"no local housing model in {tmp_path / 'models' / 'housing'}: train it with "
        "`python -m training train housing`"
    )
    assert not (tmp_path / "in.predictions.csv").exists()


def test_stdin_to_stdout_through_the_configured_endpoint(emulator, models_dir):
    rows = housing_rows(100)
    env = {**os.environ, "MODELS_DIR": str(models_dir), "EMULATOR_PORT": str(emulator.port)}

    done = subprocess.run(
        [sys.executable, "-m", "training", "transform", "housing", "-"],
        input=csv_text(rows),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    written = list(__import__("csv").DictReader(io.StringIO(done.stdout)))
    assert [float(row["score"]) for row in written] == pytest.approx(
        scores(models_dir, "housing", rows), rel=1e-12
    )
    assert f"housing: using the local endpoint on http://127.0.0.1:{emulator.port}" in done.stderr
    assert "housing: 100 input rows = 100 predicted + 0 rejected" in done.stderr


# -- the command line's one-line errors ------------------------------------------------------


def error_line(capsys: pytest.CaptureFixture[str], *argv: str, environ: dict | None = None) -> str:
    """Run the command; it must end with status 2 and one ``error:`` line, its last."""
    status = main(["transform", *argv], environ or {})
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.splitlines()
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], captured.err
    assert "Traceback" not in captured.err
    return lines[-1]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty: give a CSV file with a header row, or JSON Lines"),
        (b"\n \n", "is empty"),
        (
            b"0.1,18,2.3\n",
            "line 1 is not a header row: a CSV file starts with a line naming its columns (crim,zn,",
        ),
        (
            b"crim,zn,rooms\n",
            "line 1: unknown column 'rooms' for housing; its fields are crim, zn,",
        ),
        (
            b"crim,zn\n",
            "line 1: missing columns indus, chas, nox, rm, age, dis, rad, tax, ptratio, b, lstat",
        ),
        (b"rm,RM\n", "line 1: the header names rm more than once"),
        (b"crim,\xff\xfezn\n", "is not UTF-8 text"),
    ],
)
def test_an_unreadable_input_ends_with_one_line(content, expected, capsys, tmp_path):
    source = write(tmp_path / "in.csv", content)

    line = error_line(capsys, "housing", str(source))

    assert line.startswith(f"error: {source}")
    assert expected in line
    assert not (tmp_path / "in.predictions.csv").exists()


def test_an_input_that_does_not_exist_is_named(capsys, tmp_path):
    assert error_line(capsys, "housing", str(tmp_path / "nowhere.csv")) == (
        f"error: {tmp_path / 'nowhere.csv'} does not exist: give a CSV or JSON Lines file, "
        "or - for stdin"
    )


def test_an_unknown_model_is_named(capsys, tmp_path):
    source = write(tmp_path / "in.csv", "rm\n")

    assert error_line(capsys, "houses", str(source)) == (
        "error: unknown model 'houses': use one of rainfall, housing, credit"
    )


def test_an_output_that_exists_is_refused_without_force(capsys, tmp_path):
    source = write(tmp_path / "in.csv", "rm\n")
    write(tmp_path / "in.predictions.csv", "")

    assert error_line(capsys, "housing", str(source)) == (
        f"error: {tmp_path / 'in.predictions.csv'} exists: pass --force to replace it, or "
        "--skip-rows N to add to it"
    )


def test_a_bad_row_from_the_command_line_names_its_line_and_field(capsys, tmp_path, emulator):
    rows = housing_rows(3)
    rows[1] = {**rows[1], "lstat": "lots"}
    source = write(tmp_path / "in.csv", csv_text(rows))

    line = error_line(capsys, "housing", str(source), environ={"EMULATOR_PORT": str(emulator.port)})

    assert line.startswith(f"error: {source} line 3: field lstat: Input should be a valid number")
