"""The README's two commands are the contract with a new user: they must exist and run."""

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_readme_opens_with_two_executable_commands():
    readme = open(os.path.join(REPO, "README.md")).read()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./scripts/train.sh", "./scripts/test.sh"]
    for command in commands:
        path = os.path.join(REPO, command)
        assert os.access(path, os.X_OK), f"{command} is not executable (git update-index --chmod=+x)"
    ci = open(os.path.join(REPO, ".ci", "run")).read()
    assert "./scripts/test.sh" in ci and os.access(os.path.join(REPO, ".ci", "run"), os.X_OK)
