"""A Spin HTTP handler in Python: componentize-py builds it into app.wasm."""

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    """Answers every request routed to this component."""

    def handle_request(self, request: Request) -> Response:
        print(f"{request.method} {request.uri}")
        return Response(
            200,
            {"content-type": "text/plain"},
            bytes("Hello from Python!\n", "utf-8"),
        )
