"""Headers on every answer: X-Content-Type-Options: nosniff, so that no browser reads a
JSON answer (or an error echoing input) as HTML or script. The outermost layer, the
request id's (app.api.request_ids), adds it with the X-Request-ID, so that ServerErrorMiddleware's
500 carries it too; the HTTP server's own refusals (app.api.server) write it themselves."""

from __future__ import annotations

NOSNIFF = (b"x-content-type-options", b"nosniff")
