"""What `asl run` makes of the history events it hears (the `on_event` run option) as they
happen: `--trace` lines, `--history` JSON lines on stderr or an AWS-shaped `--history FILE`, and
the error and cause of an execution's closing event."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import IO, Any

from asl._cli.common import timestamp

#: The Scheduled events of a task's attempts: a second one within a state entry is a retry.
_SCHEDULED = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
#: The longest cause a trace line shows (the history keeps it whole).
_CAUSE = 240

_RESET = "\033[0m"
_COLOURS = {"enter": "\033[36m", "exit": "\033[32m", "fail": "\033[31m", "retry": "\033[33m",
            "other": "\033[2m", "end": "\033[1m"}


def wants_colour(stream: IO[str]) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    import os

    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def _one_line(text: str, limit: int = _CAUSE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Trace:
    """One line per event as it happens: the time since the execution started, the event, and
    for a state's entry and exit its name (indented by how deeply it is nested in Parallels and
    Maps), for an exit how long the state took, for a failure its error and cause, for a task's
    second and later attempts `retry N`."""

    def __init__(self, stream: IO[str], colour: bool = False) -> None:
        self.stream = stream
        self.colour = colour
        self._start: Any = None
        # Per event id: the entry event id of the innermost state it belongs to (None: the
        # execution itself); per entry id: its enclosing entry, depth, name, time, attempts.
        self._inside: dict[int, int | None] = {}
        self._parent: dict[int, int | None] = {}
        self._depth: dict[int, int] = {}
        self._entered_at: dict[int, Any] = {}
        self._attempts: dict[int, int] = {}
        self._exited: dict[int, int] = {}  # exit event id -> its entry id
        self._names: dict[int, Any] = {}  # entry id -> state name

    def _after(self, previous: int) -> int | None:
        """The innermost state still open just after event `previous`."""
        entry = self._exited.get(previous)
        if entry is not None:
            return self._parent.get(entry)
        return self._inside.get(previous)

    def __call__(self, event: dict[str, Any]) -> None:
        kind: str = event.get("type", "?")
        event_id: int = event.get("id", 0)
        when = event.get("timestamp")
        if self._start is None:
            self._start = when
        context = self._after(event.get("previousEventId", 0))
        details = _details(event)
        style, text = "other", kind
        depth = 0 if context is None else self._depth.get(context, 0) + 1
        if kind.endswith("StateEntered"):
            self._parent[event_id] = context
            self._depth[event_id] = depth
            self._entered_at[event_id] = when
            self._inside[event_id] = event_id
            self._names[event_id] = details.get("name")
            style, text = "enter", f"> {details.get('name', '?')} ({kind[:-len('StateEntered')]})"
        elif kind.endswith("StateExited") and context is not None:
            # After a caught failure the chain runs through the failed state: the exit is of
            # the innermost state of its name.
            entry: int | None = context
            while entry is not None and self._names.get(entry) != details.get("name"):
                entry = self._parent.get(entry)
            context = context if entry is None else entry
            depth = self._depth.get(context, 0)
            self._exited[event_id] = context
            took = _seconds(self._entered_at.get(context), when)
            style, text = "exit", f"< {details.get('name', '?')}" + (f" ({took})" if took else "")
        else:
            self._inside[event_id] = context
            if kind in _SCHEDULED and context is not None:
                attempt = self._attempts[context] = self._attempts.get(context, 0) + 1
                if attempt > 1:
                    style, text = "retry", f"{kind} (retry {attempt - 1})"
            if "error" in details or "cause" in details or kind.endswith(("Failed", "TimedOut")):
                style = "fail"
                text += ": " + ": ".join(_one_line(str(details[key])) for key in ("error", "cause")
                                         if details.get(key) is not None)
                text = text.rstrip(": ")
            elif "index" in details:
                text += f" [{details['index']}]"
            if kind.startswith("Execution") and kind != "ExecutionStarted":
                depth = 0
                style = "fail" if style == "fail" or kind != "ExecutionSucceeded" else "end"
        line = f"{_seconds(self._start, when) or '0.000s':>10}  {'  ' * depth}{text}"
        if self.colour:
            line = f"{_COLOURS[style]}{line}{_RESET}"
        self.stream.write(line + "\n")
        self.stream.flush()


def _seconds(start: Any, end: Any) -> str:
    try:
        return f"{(end - start).total_seconds():.3f}s"
    except (TypeError, AttributeError):
        return ""


class JsonLines:
    """`--history` without a file: one event per line on stderr, as it happens."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __call__(self, event: dict[str, Any]) -> None:
        self.stream.write(json.dumps(event, default=timestamp, ensure_ascii=False) + "\n")
        self.stream.flush()

    def close(self) -> None:
        pass


class HistoryFile:
    """`--history FILE`: GetExecutionHistory's output (`{"events": [...]}`), written an event
    at a time as they happen, and closed into valid JSON when the run ends."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._count = 0
        stream.write('{"events": [')
        stream.flush()

    def __call__(self, event: dict[str, Any]) -> None:
        text = json.dumps(event, default=timestamp, ensure_ascii=False)
        self.stream.write(("," if self._count else "") + "\n  " + text)
        self.stream.flush()
        self._count += 1

    def close(self) -> None:
        self.stream.write("\n]}\n")
        self.stream.close()


def fan_out(listeners: Sequence[Callable[[dict[str, Any]], Any]]) -> Callable[[dict[str, Any]], Any]:
    """One listener that calls each of `listeners` in turn."""
    if len(listeners) == 1:
        return listeners[0]

    def each(event: dict[str, Any]) -> None:
        for listener in listeners:
            listener(event)

    return each


def closing_detail(history: Sequence[dict[str, Any]]) -> tuple[str | None, str | None]:
    """The error and cause of an execution's closing event (ExecutionTimedOut, ...Aborted,
    ...Failed), where AWS keeps them: DescribeExecution of a TIMED_OUT execution has neither."""
    for event in reversed(history):
        if event.get("type", "").startswith("Execution"):
            details = _details(event)
            return details.get("error"), details.get("cause")
    return None, None


def listeners(args: Any, err: IO[str], protected: Sequence[str | None]
              ) -> tuple[Callable[[dict[str, Any]], Any] | None, list[Callable[[], None]]]:
    """The `on_event` listener that `--trace` and `--history [FILE]` ask for (None when
    neither), and what closes it once the run ends. Raises ValueError for a FILE it must not
    overwrite (one of the `protected` paths the command was given, or a file that is not a
    history) and OSError for one it cannot write."""
    chosen: list[Callable[[dict[str, Any]], Any]] = []
    closers: list[Callable[[], None]] = []
    if getattr(args, "trace", False):
        chosen.append(Trace(err, wants_colour(err)))
    history = getattr(args, "history", None)
    if history == "-":
        chosen.append(JsonLines(err))
    elif history is not None:
        writer = HistoryFile(_open_history(history, protected))
        chosen.append(writer)
        closers.append(writer.close)
    return (fan_out(chosen) if chosen else None), closers


def _open_history(name: str, protected: Sequence[str | None]) -> IO[str]:
    import os

    for other in protected:
        if other and other != "-" and os.path.exists(other) and os.path.exists(name) \
                and os.path.samefile(name, other):
            raise ValueError(f"--history {name} would overwrite {other}, which the command reads")
    if os.path.isfile(name) and os.path.getsize(name) > 0:
        with open(name, encoding="utf-8", errors="replace") as file:
            head = file.read(16)
        if not head.startswith('{"events": ['):
            raise ValueError(f"--history {name}: the file exists and is not a history asl wrote; "
                             f"remove it or name another file")
    return open(name, "w", encoding="utf-8")
