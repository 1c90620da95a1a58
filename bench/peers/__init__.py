"""What a user would pick instead of the service, each written the way its own docs show, on
the service's own `products` table: `python -m bench` measures them beside the service."""
