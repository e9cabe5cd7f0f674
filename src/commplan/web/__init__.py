"""The web room: one FastAPI app (`create_app`) serving the calendar feeds, /healthz and, built on
the same foundation, the report pages, the dashboard and the JSON API. Server-rendered Jinja2
pages in the reader's language, one CSS file served from the package, no JavaScript required.

    app.py          the factory: routes, middleware, error pages, the ledger opened once per process
    pages.py        templates (`render`), the `_()` and `csrf_token()` they call
    errors.py       404/405/422/500 (and 403 for a refused form) as Vietnamese pages, JSON under /api
    security.py     the security headers of every response
    sessions.py     the signed session cookie, `rotate_session`, CSRF tokens and `require_csrf`
    health.py       /healthz
    feeds.py        the calendar subscription feeds
    serving.py      what `commplan serve` runs in each uvicorn worker
"""
