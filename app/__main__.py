from __future__ import annotations

import uvicorn

from app.main import _default_app


def main() -> None:
    app = _default_app()
    settings = app.state.container.settings()
    uvicorn.run(app, host=settings.HOST, port=settings.PORT, log_config=None)


if __name__ == "__main__":
    main()
