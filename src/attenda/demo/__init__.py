"""Demo data for trying Attenda out: a telecom's support desk in five languages."""

from attenda.demo.loading import DemoAlreadyLoaded, DemoDesk, is_loaded, load_demo

__all__ = ["DemoAlreadyLoaded", "DemoDesk", "is_loaded", "load_demo"]
