from containers.container import Container

__all__ = ["Container"]
