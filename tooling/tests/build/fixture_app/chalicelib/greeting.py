"""A module the fixture app imports, so a missing chalicelib breaks the import."""


def greeting() -> str:
    return "hello"
