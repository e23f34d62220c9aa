"""Loading node.toml: parse (``tomllib``), validate (pydantic), check the files it names.

``load_deployment`` returns a ``Deployment``: the validated file plus where it lives, so that
relative paths resolve against the file's folder. Every mistake becomes a ``Problem`` with
the line and the field at fault, all of them at once in one ``DeploymentError``::

    node.toml:14: sensors[2].listen: port 70000 out of range (0-65535)
    node.toml:31: partners[0].url: should match pattern '^https://...'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from dronewarn.deploy.locations import Location, dotted, line_of, without_union_tags
from dronewarn.deploy.model import NodeFile
from dronewarn.deploy.toml_lines import toml_lines
from dronewarn.domain.errors import ConfigError

_TAGGED = frozenset({"zones", "outputs"})


@dataclass(frozen=True)
class Problem:
    """One mistake in a configuration file."""

    line: int | None
    field: str
    message: str

    def describe(self, path: Path | str) -> str:
        where = f"{path}:{self.line}" if self.line is not None else str(path)
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class DeploymentError(ConfigError):
    """A node.toml that cannot be used, with every problem found (each with its line)."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(p.describe(path) for p in problems))


@dataclass(frozen=True)
class Deployment:
    """A validated node.toml and where it lives."""

    path: Path
    file: NodeFile
    lines: dict[Location, int]

    @property
    def folder(self) -> Path:
        return self.path.parent

    def resolve(self, name: str) -> Path:
        """A path the file names: relative ones count from the file's folder."""
        given = Path(name).expanduser()
        return given if given.is_absolute() else self.folder / given

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.file.node.data_dir)

    @property
    def accounts_path(self) -> Path:
        name = self.file.api.accounts
        return self.data_dir / "accounts.json" if name is None else self.resolve(name)

    def line(self, location: Location) -> int | None:
        return line_of(self.lines, location)


def _message(error: ErrorDetails) -> str:
    message = error["msg"]
    if error["type"] == "missing":
        return "required field is missing"
    if error["type"] == "extra_forbidden":
        return "unknown key (a typo? see `dronewarn node schema`)"
    if error["type"] == "value_error":
        return message.removeprefix("Value error, ")
    if "input" in error and error["type"] not in ("model_type", "union_tag_invalid"):
        return f"{message} (got {error['input']!r})"
    return message


def problems_of(exc: ValidationError, lines: dict[Location, int]) -> list[Problem]:
    out = []
    for error in exc.errors():
        loc = without_union_tags(error["loc"], _TAGGED)
        out.append(Problem(line_of(lines, loc), dotted(loc), _message(error)))
    return out


def parse_deployment(text: str, path: Path) -> Deployment:
    """Validate a node.toml's text (``path``: where it lives, for relative paths)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeploymentError(path, [Problem(None, "", f"not valid TOML: {exc}")]) from None
    lines = toml_lines(text)
    try:
        node_file = NodeFile.model_validate(data)
    except ValidationError as exc:
        raise DeploymentError(path, problems_of(exc, lines)) from None
    return Deployment(path.resolve(), node_file, lines)


def load_deployment(path: Path | str) -> Deployment:
    """Read and validate a node.toml; a ``DeploymentError`` lists what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise DeploymentError(path, [Problem(None, "", f"cannot read: {reason}")]) from None
    return parse_deployment(text, path)
