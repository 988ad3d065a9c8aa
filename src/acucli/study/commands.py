"""Study commands (registered on the main app)."""


def register(app) -> None:
    return None
