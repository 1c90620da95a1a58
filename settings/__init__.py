from settings.database import DatabaseConfig, DatabaseType
from settings.errors import ConfigurationError, describe_validation_error
from settings.settings import Settings

__all__ = [
    "ConfigurationError",
    "DatabaseConfig",
    "DatabaseType",
    "Settings",
    "describe_validation_error",
]
