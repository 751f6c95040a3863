"""Read a Dockerfile into instructions and stages, enough to check it without building."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import pathlib
import re
import shlex


@dataclasses.dataclass
class Instruction:
    keyword: str  # upper case: FROM, ARG, RUN, COPY, ...
    text: str  # everything after the keyword, continuation lines joined
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of CMD/ENTRYPOINT exec form, or None for the shell form."""
        try:
            value = json.loads(self.text)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, list) else None


@dataclasses.dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def instructions(path: pathlib.Path) -> list[Instruction]:
    result, pending, start = [], "", 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments inside a continued instruction are dropped by Docker too
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, rest = pending.partition(" ")
        result.append(Instruction(keyword.upper(), rest.strip(), start))
        pending = ""
    if pending:
        raise ValueError(f"{path}: unterminated line continuation")
    return result


def stages(path: pathlib.Path) -> tuple[list[Instruction], list[Stage]]:
    """(global instructions before the first FROM, stages)."""
    preamble: list[Instruction] = []
    result: list[Stage] = []
    for instruction in instructions(path):
        if instruction.keyword == "FROM":
            words = instruction.text.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            result.append(Stage(words[0], name, []))
        elif result:
            result[-1].instructions.append(instruction)
        else:
            preamble.append(instruction)
    return preamble, result


def declared_name(instruction: Instruction) -> list[str]:
    """Names an ARG or ENV instruction declares."""
    if instruction.keyword == "ARG":
        return [instruction.text.split("=", 1)[0].strip()]
    if instruction.keyword == "ENV":
        return [item.split("=", 1)[0] for item in shlex.split(instruction.text) if "=" in item]
    return []


def arg_default(instruction: Instruction) -> str | None:
    name, sep, value = instruction.text.partition("=")
    return value.strip().strip('"') if sep else None


VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def variables_used(text: str) -> set[str]:
    return set(VARIABLE.findall(text))


def copy_sources(instruction: Instruction) -> list[str] | None:
    """Build-context sources of a COPY/ADD; None when it copies from another stage."""
    words = shlex.split(instruction.text)
    flags = [w for w in words if w.startswith("--")]
    if any(f.startswith("--from=") for f in flags):
        return None
    operands = [w for w in words if not w.startswith("--")]
    return operands[:-1]


def dockerignore_patterns(path: pathlib.Path) -> list[str]:
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def is_ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore matching for the patterns this repo uses (no '!' exceptions)."""
    parts = pathlib.PurePosixPath(relative).parts
    for pattern in patterns:
        if pattern.startswith("!"):
            raise ValueError("'!' exceptions in .dockerignore are not handled by this check")
        pattern = pattern.strip("/")
        # A pattern matches a path or any of its parents (excluding a dir excludes its files).
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if fnmatch.fnmatchcase(prefix, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(parts[depth - 1], pattern[3:]):
                return True
    return False
