"""Hand-written FastAPI apps serving the service's /products contract straight through a driver:
no container, no controller, no SQLAlchemy. They are what the service is measured against."""
