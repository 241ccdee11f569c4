"""Demo data for trying Attenda out: a telecom's support desk in five languages, and the outbox its
mail lands in."""

# Read on first use: this package is also an installed app (its outbox page), imported before the
# models it loads are ready.
__all__ = ["DemoAlreadyLoaded", "DemoDesk", "is_loaded", "load_demo"]


def __getattr__(name: str):
    if name in __all__:
        from attenda.demo import loading

        return getattr(loading, name)
    raise AttributeError(name)
