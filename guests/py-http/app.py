"""Kiln test guest: a Spin HTTP component written in Python.

Built with componentize-py against the `spin-http` world shipped by the
`spin-sdk` PyPI package (see scripts/build-guests.sh for pinned versions).

* GET /hello -> 200 "Hello from Python!" (text/plain)
* any other path -> 200 with the request path as body
"""

from urllib.parse import urlparse

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        path = urlparse(request.uri).path or "/"
        print(f"py-http handled {path}")
        if request.method == "GET" and path == "/hello":
            return Response(
                200,
                {"content-type": "text/plain"},
                bytes("Hello from Python!", "utf-8"),
            )
        return Response(200, {"content-type": "text/plain"}, bytes(path, "utf-8"))
