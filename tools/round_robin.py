"""A tiny round-robin HTTP proxy for the scale-out test: request n goes to upstream n mod k,
whatever the client, its session or its connection (no sticky routing), and the answer says
which upstream took it (X-Lotsen-Upstream). Loopback only; not for production (docs/deploy.md
names real load balancers).

    python -m tools.round_robin --port 8080 http://127.0.0.1:8001 http://127.0.0.1:8002
"""

from __future__ import annotations

import argparse
import itertools

from aiohttp import ClientSession, ClientTimeout, web

# Hop-by-hop headers and what aiohttp sets itself.
_DROP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade", "te", "trailer"}
UPSTREAM_HEADER = "X-Lotsen-Upstream"


def build_app(upstreams: list[str]) -> web.Application:
    turn = itertools.cycle(range(len(upstreams)))

    async def client_session(app: web.Application):
        # No total timeout: a late-answer request waits up to ~10 s by design.
        app["http"] = ClientSession(timeout=ClientTimeout(total=None), auto_decompress=False)
        yield
        await app["http"].close()

    async def forward(request: web.Request) -> web.StreamResponse:
        index = next(turn)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP}
        # As a real proxy does: the client's address, which the gateways trust from loopback
        # (uvicorn's proxy headers), so that a test can speak for several clients.
        forwarded = request.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{forwarded}, {request.remote}" if forwarded else (request.remote or "")
        body = await request.read()
        async with request.app["http"].request(
            request.method, upstreams[index] + request.path_qs, headers=headers, data=body, allow_redirects=False
        ) as upstream:
            payload = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _DROP}
            out[UPSTREAM_HEADER] = str(index)
            return web.Response(status=upstream.status, body=payload, headers=out)

    app = web.Application(client_max_size=1024 * 1024)
    app.cleanup_ctx.append(client_session)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Round-robin proxy for the scale-out test")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("upstreams", nargs="+")
    args = parser.parse_args(argv)
    web.run_app(
        build_app([u.rstrip("/") for u in args.upstreams]),
        host="127.0.0.1",
        port=args.port,
        print=None,
        access_log=None,
    )


if __name__ == "__main__":
    main()
