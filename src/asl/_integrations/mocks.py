"""Mocked service integrations: AWS Step Functions Local's mock configuration file, read as is.

The file (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html):

    {"StateMachines": {SM: {"TestCases": {CASE: {STATE: RESPONSE_NAME}}}},
     "MockedResponses": {RESPONSE_NAME: {"0": {"Return": ...}, "1-2": {"Throw": {"Error": ..,
                                                                                   "Cause": ..}}}}}

Everything is checked once at load; `TestCase.response_for` is a dict lookup and a short scan.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from asl._errors import MockConfigError

Outcome = tuple[Literal["return"], Any] | tuple[Literal["throw"], str, str | None]

_INDEX = re.compile(r"(0|[1-9][0-9]*)(?:-(0|[1-9][0-9]*))?")


@attrs.frozen
class MockedResponse:
    """One entry of `MockedResponses`: outcomes by invocation index, as sorted inclusive ranges."""

    name: str
    ranges: tuple[tuple[int, int, Outcome], ...]

    def at(self, index: int) -> Outcome | None:
        for first, last, outcome in self.ranges:
            if first <= index <= last:
                return outcome
        return None

    @property
    def invocations(self) -> int:
        """How many invocations this response covers (its ranges are contiguous from 0)."""
        return self.ranges[-1][1] + 1


@attrs.frozen
class TestCase:
    """The mocks of one test case: state name -> mocked response."""

    __test__ = False  # not a pytest test class, despite the name

    state_machine: str
    name: str
    mocks: Mapping[str, MockedResponse]
    #: Given as `mocks={...}` rather than read from a file (words the errors for that).
    inline: bool = False

    def mocked(self, state_name: str) -> bool:
        return state_name in self.mocks

    def check_states(self, state_names: Iterable[str]) -> None:
        """Fail if the test case mocks a state the state machine does not have (names from all
        levels: Parallel branches and Map processors included)."""
        known = set(state_names)
        for state in self.mocks:
            if state not in known:
                raise MockConfigError(
                    f"Test case '{self.name}' of state machine '{self.state_machine}' mocks the "
                    f"state '{state}', which the state machine does not have"
                    f"{_suggest(state, known)}. Rename the key in "
                    f"StateMachines.{self.state_machine}.TestCases.{self.name} to one of its states."
                )

    def response_for(self, state_name: str, invocation_index: int) -> Outcome:
        """The mocked outcome of `state_name`'s invocation number `invocation_index` (0-based,
        counting retries): `("return", value)` or `("throw", error, cause)`. The returned value
        is shared with the configuration: read it, never mutate it."""
        response = self.mocks.get(state_name)
        if response is None:
            raise MockConfigError(
                f"The state '{state_name}' has no mocked response in test case '{self.name}' of "
                f"state machine '{self.state_machine}'{_suggest(state_name, self.mocks)}. Add "
                f'"{state_name}": "<MockedResponseName>" to StateMachines.{self.state_machine}'
                f".TestCases.{self.name}."
            )
        outcome = response.at(invocation_index)
        if outcome is None and self.inline:
            count = response.invocations
            raise MockConfigError(
                f"The state '{state_name}' was invoked {invocation_index + 1} times, but "
                f"mocks[{state_name!r}] covers {count} invocation{'s' if count != 1 else ''} "
                f"(retries and Map iterations each count, as in Step Functions Local). Give a "
                f"list with one response per invocation, or ranges such as "
                f'{{"0-{max(invocation_index, 9)}": {{"Return": ...}}}}.'
            )
        if outcome is None:
            count = response.invocations
            raise MockConfigError(
                f"The state '{state_name}' was invoked {invocation_index + 1} times in test case "
                f"'{self.name}', but its mocked response '{response.name}' only covers "
                f"{count} invocation{'s' if count != 1 else ''} (0-{count - 1}). Add a key "
                f'"{invocation_index}" (or a range such as "{count}-{invocation_index}") to '
                f"MockedResponses.{response.name}."
            )
        return outcome


@attrs.frozen
class MockConfig:
    """A loaded, checked mock configuration file."""

    state_machines: Mapping[str, Mapping[str, TestCase]]
    responses: Mapping[str, MockedResponse]

    @classmethod
    def load(cls, source: str | os.PathLike[str] | Mapping[str, Any]) -> MockConfig:
        """From a file path or an already parsed document (which is copied, never kept)."""
        if isinstance(source, Mapping):
            document: Any = copy.deepcopy(dict(source))
            where = "the mock configuration"
        else:
            path = Path(source)
            where = str(path)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:  # UnicodeDecodeError: not UTF-8 text
                raise MockConfigError(f"Cannot read the mock configuration {where}: {exc}") from None
            try:
                document = json.loads(text)
            except ValueError as exc:
                raise MockConfigError(f"{where} is not valid JSON: {exc}") from None
        return _build(document, where)

    def test_case(
        self,
        state_machine: str | None,
        case_name: str,
        state_names: Iterable[str] | None = None,
    ) -> TestCase:
        """The test case `case_name` of `state_machine` (None: the one state machine that has
        a test case of that name). With `state_names`, also checks every mocked state exists."""
        if state_machine is None:
            owners = [sm for sm, cases in self.state_machines.items() if case_name in cases]
            if len(owners) > 1:
                raise MockConfigError(
                    f"The test case '{case_name}' is defined for several state machines "
                    f"({', '.join(sorted(owners))}); name the state machine too."
                )
            if not owners:
                every = sorted({case for cases in self.state_machines.values() for case in cases})
                raise MockConfigError(
                    f"No state machine has a test case '{case_name}'"
                    f"{_suggest(case_name, every)}; the test cases are: "
                    f"{', '.join(every) or '(none)'}."
                )
            state_machine = owners[0]
        cases = self.state_machines.get(state_machine)
        if cases is None:
            raise MockConfigError(
                f"The mock configuration has no state machine '{state_machine}'"
                f"{_suggest(state_machine, self.state_machines)}; it has: "
                f"{', '.join(sorted(self.state_machines)) or '(none)'}."
            )
        case = cases.get(case_name)
        if case is None:
            raise MockConfigError(
                f"The state machine '{state_machine}' has no test case '{case_name}'"
                f"{_suggest(case_name, cases)}; its test cases are: "
                f"{', '.join(sorted(cases)) or '(none)'}."
            )
        if state_names is not None:
            case.check_states(state_names)
        return case


def inline_mocks(mocks: Any, states: Mapping[str, str]) -> TestCase:
    """`run(..., mocks={STATE: RESPONSE})`: a test case without a file. RESPONSE is one
    `{"Return": value}` or `{"Throw": {"Error": ..., "Cause": ...}}` (invocation 0), a list of
    them (invocation i gets item i), or a mocked response as the file writes it (`{"0": ...,
    "1-2": ...}`); Step Functions Local's semantics either way. `states`: every state's name
    and type, at all levels; only Task states can be mocked."""
    if not isinstance(mocks, Mapping):
        raise MockConfigError(
            f"mocks must be a mapping of Task state names to mocked responses, not "
            f"{type(mocks).__name__}: {mocks!r:.80}")
    responses: dict[str, MockedResponse] = {}
    for state, value in mocks.items():
        at = f"mocks[{state!r}]"
        kind = states.get(state) if isinstance(state, str) else None
        if kind is None:
            raise MockConfigError(
                f"{at} names a state the state machine does not have"
                f"{_suggest(str(state), [n for n, t in states.items() if t == 'Task'])}.")
        if kind != "Task":
            raise MockConfigError(f"{at} names a {kind} state; only Task states can be mocked.")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise MockConfigError(f"{at} is not JSON: {exc}.") from None
        if isinstance(value, list):
            if not value:
                raise MockConfigError(f"{at} is an empty list; give at least one response.")
            body: Any = {str(index): item for index, item in enumerate(value)}
        elif isinstance(value, dict) and value and set(value) <= {"Return", "Throw"}:
            body = {"0": value}
        elif isinstance(value, dict) and value and all(
                isinstance(key, str) and _INDEX.fullmatch(key) for key in value):
            body = value
        else:
            raise MockConfigError(
                f'{at} must be {{"Return": value}}, {{"Throw": {{"Error": ..., "Cause": ...}}}}, '
                f'a list of them, or invocation ranges ({{"0": ..., "1-2": ...}}); got '
                f"{json.dumps(value, default=repr)[:80]}.")
        responses[state] = _response(at, copy.deepcopy(body), at)
    return TestCase("(mocks=)", "mocks=", responses, inline=True)


def _build(document: Any, where: str) -> MockConfig:
    if not isinstance(document, dict):
        raise MockConfigError(f"{where} must be a JSON object with StateMachines and MockedResponses.")
    unknown = set(document) - {"StateMachines", "MockedResponses"}
    if unknown:
        raise MockConfigError(
            f"{where} has unknown top-level field(s) {', '.join(sorted(unknown))}; only "
            "StateMachines and MockedResponses are allowed."
        )
    raw_responses = _object(document.get("MockedResponses", {}), "MockedResponses")
    responses = {name: _response(name, value) for name, value in raw_responses.items()}
    machines: dict[str, dict[str, TestCase]] = {}
    for sm, body in _object(document.get("StateMachines", {}), "StateMachines").items():
        body = _object(body, f"StateMachines.{sm}")
        extra = set(body) - {"TestCases"}
        if extra:
            raise MockConfigError(
                f"StateMachines.{sm} has unknown field(s) {', '.join(sorted(extra))}; it holds "
                "only TestCases."
            )
        cases: dict[str, TestCase] = {}
        for case, states in _object(body.get("TestCases", {}), f"StateMachines.{sm}.TestCases").items():
            at = f"StateMachines.{sm}.TestCases.{case}"
            mocks: dict[str, MockedResponse] = {}
            for state, response_name in _object(states, at).items():
                if not isinstance(response_name, str):
                    raise MockConfigError(
                        f"{at}.{state} must be the name of a mocked response (a string), "
                        f"not {json.dumps(response_name)}."
                    )
                if response_name not in responses:
                    raise MockConfigError(
                        f"{at}.{state} names the mocked response '{response_name}', which "
                        f"MockedResponses does not define{_suggest(response_name, responses)}."
                    )
                mocks[state] = responses[response_name]
            cases[case] = TestCase(sm, case, mocks)
        machines[sm] = cases
    return MockConfig(machines, responses)


def _response(name: str, value: Any, at: str | None = None) -> MockedResponse:
    at = at or f"MockedResponses.{name}"
    ranges: list[tuple[int, int, Outcome]] = []
    for key, body in _object(value, at).items():
        match = _INDEX.fullmatch(key)
        if match is None:
            raise MockConfigError(
                f'{at} has the key "{key}"; keys are 0-based invocation numbers ("0") or '
                'inclusive ranges ("1-2").'
            )
        first = int(match[1])
        last = int(match[2]) if match[2] is not None else first
        if last < first:
            raise MockConfigError(f'{at}."{key}" is an empty range; write it as "{last}-{first}".')
        ranges.append((first, last, _outcome(_object(body, f'{at}."{key}"'), f'{at}."{key}"')))
    if not ranges:
        raise MockConfigError(f'{at} defines no invocation; add at least "0": {{"Return": ...}}.')
    ranges.sort(key=lambda item: item[0])
    expected = 0
    for first, last, _ in ranges:
        if first < expected:
            raise MockConfigError(f"{at} covers invocation {first} twice; make its ranges disjoint.")
        if first > expected:
            raise MockConfigError(
                f"{at} skips invocation {expected}; its invocation numbers must run on from 0 "
                f'without gaps (add "{expected}" or widen a range).'
            )
        expected = last + 1
    return MockedResponse(name, tuple(ranges))


def _outcome(body: dict[str, Any], at: str) -> Outcome:
    if ("Return" in body) == ("Throw" in body) or len(body) != 1:
        raise MockConfigError(f'{at} must hold exactly one field, "Return" or "Throw".')
    if "Return" in body:
        return ("return", body["Return"])
    throw = _object(body["Throw"], f"{at}.Throw")
    error, cause = throw.get("Error"), throw.get("Cause")
    extra = set(throw) - {"Error", "Cause"}
    if not isinstance(error, str) or not error or extra:
        raise MockConfigError(
            f'{at}.Throw must be {{"Error": "<name>", "Cause": "<text>"}} with a non-empty Error'
            f"{' (unknown: ' + ', '.join(sorted(extra)) + ')' if extra else ''}."
        )
    if cause is not None and not isinstance(cause, str):
        raise MockConfigError(f"{at}.Throw.Cause must be a string.")
    return ("throw", error, cause)


def _object(value: Any, at: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MockConfigError(f"{at} must be a JSON object, not {json.dumps(value, default=repr)[:60]}.")
    return value


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
