"""Placeholder replaced by the SC2 API work (issue 3 item 6); install() is a no-op for now."""


def install() -> None:
    return None
