"""The pure parts of ``make drift`` (tools/drift.py): refusal rule, junit reading, the table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _drift_tool() -> ModuleType:
    # tools/ is a script folder, not a package: load it by path (registered, for dataclasses).
    spec = importlib.util.spec_from_file_location("drift", ROOT / "tools" / "drift.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("drift", module)
    spec.loader.exec_module(module)
    return module


drift = _drift_tool()

OPENAI_400 = (
    "openai.BadRequestError: Error code: 400 - Invalid 'max_tokens': integer below minimum"
    " value. Expected a value >= 1, but got 0 instead."
)
MISSING_MODEL = "openai.BadRequestError: Error code: 400 - Missing required parameter: 'model'."
ANTHROPIC_404 = (
    "anthropic.NotFoundError: Error code: 404 - {'type': 'error', 'error': {'type':"
    " 'not_found_error', 'message': 'model: %s'}, 'request_id': 'req_011C'}"
)


def test_the_anthropic_error_body_is_read_for_its_message() -> None:
    assert drift.error_message(ANTHROPIC_404 % "model_id") == (404, "model: model_id")
    assert drift.error_message(OPENAI_400)[0] == 400
    assert drift.error_message("AssertionError: assert 1 == 2") is None


@pytest.mark.parametrize(
    ("test", "failure"),
    [
        # with_all_params fills max_tokens with 0; the real API refuses it in these words.
        ("test_method_create_with_all_params_overload_1[strict]", OPENAI_400),
        # Any test: the path parameter is the generator's placeholder, no account has it.
        ("test_method_retrieve[loose]", ANTHROPIC_404 % "model_id"),
        # A minimal call leaves out what only the live API requires (the Responses model).
        ("test_method_create_overload_1[loose]", MISSING_MODEL),
    ],
)
def test_a_refusal_of_placeholders_naming_the_field_is_faithful(test: str, failure: str) -> None:
    assert drift.is_faithful_refusal(test, failure)


@pytest.mark.parametrize(
    ("test", "failure"),
    [
        # A real model id that mockgw does not know: catalogue drift.
        ("test_deprecated_model_warning[loose]", ANTHROPIC_404 % "claude-mythos-preview"),
        # Only with_all_params or a placeholder makes a refusal expected.
        ("test_method_create_overload_1[loose]", OPENAI_400),
        # An endpoint mockgw does not serve is drift, even with placeholders.
        (
            "test_method_delete_with_all_params[loose]",
            "openai.NotFoundError: Error code: 404 - Invalid URL (DELETE /v1/models/'model_id')",
        ),
        # A 5xx or a 429 is never what the real API answers a bad value.
        ("test_method_create_with_all_params_overload_1", OPENAI_400.replace("400", "500")),
        # A message that names no field cannot be checked against the real API.
        (
            "test_method_create_with_all_params_overload_1",
            "openai.BadRequestError: Error code: 400 - Something went wrong.",
        ),
        # Not a status error at all: the response did not match the SDK's types.
        (
            "test_method_list_with_all_params[strict]",
            "anthropic.APIResponseValidationError: Data returned by API invalid for expected",
        ),
    ],
)
def test_anything_else_is_a_failure(test: str, failure: str) -> None:
    assert not drift.is_faithful_refusal(test, failure)


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite>
<testcase classname="tests.api_resources.test_models.TestModels" name="test_method_list[loose]"/>
<testcase classname="tests.api_resources.test_models.TestModels" name="test_method_retrieve[loose]">
  <failure message="{refusal}">trace</failure></testcase>
<testcase classname="tests.api_resources.test_models.TestModels" name="test_method_list[strict]">
  <failure message="anthropic.APIResponseValidationError: Data returned">trace</failure></testcase>
<testcase classname="tests.api_resources.test_models.TestAsyncModels" name="test_method_list[aio]">
  <error message="fixture 'async_client' not found">trace</error></testcase>
<testcase classname="tests.api_resources.test_models.TestAsyncModels" name="test_raw_list[x]">
  <skipped message="aiohttp client is not compatible with respx_mock"/></testcase>
<testcase classname="tests.api_resources.test_models.TestModels" name="test_method_delete[loose]">
  <failure message="Error code: 404 - Not Found">trace</failure></testcase>
</testsuite></testsuites>
""".replace("{refusal}", "Error code: 404 - model: model_id")


def test_junit_cases_are_classified_and_split_into_rows() -> None:
    outcomes = drift.junit_outcomes(JUNIT)
    results = [outcome.result for outcome in outcomes]
    assert results == ["passed", "refused", "failed", "error", "skipped", "failed"]
    rows = drift.tally_rows("anthropic", outcomes)
    counts = {row.label: (row.passed, row.refused, row.failed, row.errors) for row in rows}
    assert counts["anthropic models"] == (1, 1, 1, 1)  # the skipped case counts nowhere
    # test_method_delete belongs to no row: run, reported, not scored.
    assert counts["anthropic not emulated"] == (0, 0, 1, 0)
    assert counts["anthropic messages"] == (0, 0, 0, 0)


def test_the_table_and_the_score_line() -> None:
    rows = [
        drift.Tally("openai models", passed=35),
        drift.Tally("anthropic models", passed=13, refused=20, failed=12, errors=1),
    ]
    report = drift.format_report(rows, {"openai": "3.57.0", "anthropic": "2.16.0"})
    lines = report.splitlines()
    assert lines[0].split("|")[1:] == [" passed ", " faithfully refused ", " failed ", " errors"]
    assert lines[2].split("|") == [
        "openai models    ",
        "     35 ",
        "                  0 ",
        "      0 ",
        "      0",
    ]
    assert lines[3].replace(" ", "") == "anthropicmodels|13|20|12|1"
    # Refusals count as good: (35 + 13 + 20) of 81.
    assert lines[-1] == "drift score: 84.0% (68/81) — openai 3.57.0, anthropic 2.16.0"


def test_an_empty_run_scores_zero_rather_than_dividing_by_it() -> None:
    report = drift.format_report([drift.Tally("helpers")], {"openai": "1"})
    assert report.splitlines()[-1] == "drift score: 0.0% (0/0) — openai 1"


def test_each_problem_is_listed_once_across_client_variants() -> None:
    row = drift.tally(
        "anthropic models",
        [
            # Each answer has its own request id; the message is what identifies the problem.
            drift.Outcome(f"test_method_retrieve[{variant}]", "refused", failure)
            for variant, failure in (
                ("loose", ANTHROPIC_404 % "model_id"),
                ("strict", (ANTHROPIC_404 % "model_id").replace("req_011C", "req_022D")),
            )
        ],
    )
    assert drift.format_problems([row]) == (
        "anthropic models: refused: test_method_retrieve: 404 model: model_id"
    )


def test_the_stored_response_ids_of_the_spec_are_placeholders() -> None:
    # The generated retrieve tests ask for the spec's example id, which no account holds.
    failure = (
        "openai.NotFoundError: Error code: 404 - No response found with id"
        " 'resp_677efb5139a88190b512bc3fef8e535d'."
    )
    assert drift.is_faithful_refusal("test_method_retrieve_overload_1[loose]", failure)
    # Unrouted, the same test is drift: the endpoint is missing.
    unrouted = "openai.NotFoundError: Error code: 404 - Invalid URL (GET /v1/responses/resp_677e)"
    assert not drift.is_faithful_refusal("test_method_retrieve_overload_1[loose]", unrouted)


UNROUTED = "openai.NotFoundError: Error code: 404 - Invalid URL (GET /v1/responses/r/input_items)"
RESPONSES_CASES = [
    ("test_responses.TestResponses", "test_method_create_overload_1[loose]", ""),
    ("test_responses.TestResponses", "test_method_cancel[loose]", ""),
    ("responses.test_input_items.TestInputItems", "test_method_list[loose]", UNROUTED),
    ("responses.test_input_tokens.TestInputTokens", "test_method_count[loose]", ""),
    ("test_embeddings.TestEmbeddings", "test_method_create[loose]", ""),
]
RESPONSES_JUNIT = "<testsuites><testsuite>{}</testsuite></testsuites>".format(
    "".join(
        f'<testcase classname="tests.api_resources.{classname}" name="{name}">'
        + (f'<failure message="{failure}">trace</failure>' if failure else "")
        + "</testcase>"
        for classname, name, failure in RESPONSES_CASES
    )
)


def test_rows_of_one_label_make_one_line_across_modules() -> None:
    rows = drift.tally_rows("openai", drift.junit_outcomes(RESPONSES_JUNIT))
    counts = {row.label: (row.passed, row.refused, row.failed, row.errors) for row in rows}
    labels = [row.label for row in rows]
    # One line per label, in ROWS order, whatever number of modules it spans.
    assert labels == [
        "openai chat completions",
        "openai models",
        "openai responses",
        "openai embeddings",
        "openai not emulated",
    ]
    # create and cancel from test_responses, list from input_items and count from
    # input_tokens; the unrouted 404 is a failure.
    assert counts["openai responses"] == (3, 0, 1, 0)
    assert counts["openai embeddings"] == (1, 0, 0, 0)
    assert counts["openai not emulated"] == (0, 0, 0, 0)


def test_only_the_modules_an_sdist_ships_are_run(tmp_path: Path) -> None:
    rows = (
        drift.Row("openai", "responses", "tests.api_resources.test_responses", ("create",)),
        drift.Row("openai", "responses", "tests.api_resources.responses.test_gone", ("list",)),
        drift.Row("openai", "again", "tests.api_resources.test_responses", ("retrieve",)),
        drift.Row("anthropic", "messages", "tests.api_resources.test_messages", ("create",)),
    )
    for path in ("tests/api_resources/test_responses.py", "tests/api_resources/test_messages.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    assert drift.present_paths(tmp_path, "openai", rows) == [
        "tests/api_resources/test_responses.py"
    ]
