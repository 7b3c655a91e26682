"""Kiln test guest: a Spin HTTP component written in Python.

Built with componentize-py against the `spin-http` world shipped by the
`spin-sdk` PyPI package (see scripts/build-guests.sh for pinned versions).

* GET /hello -> 200 "Hello from Python!" (text/plain)
* GET|PUT|DELETE /kv/{store}/{key} -> key-value get (404 "no such key") / set / delete
* GET /kv/{store} -> the store's keys, sorted, one per line
* GET /var/{name} -> the component variable's value
* GET /sqlite -> binds one value of every SQLite type as parameters and
  answers the row SQLite returns, as `type:value` lines; through the
  generated `spin:sqlite@3.0.0` bindings, since the SDK's own `spin_sdk.sqlite`
  module imports a binding the `spin-http` world does not generate
* an SDK error -> 500 "error: <error case>" (e.g. "error: Error_AccessDenied")
* any other path -> 200 with the request path as body
"""

from urllib.parse import urlparse, unquote

from spin_sdk import http, key_value, variables
from spin_sdk.http import Request, Response
from spin_sdk.wit.imports.spin_sqlite_sqlite import (
    Connection,
    Value_Blob,
    Value_Integer,
    Value_Null,
    Value_Real,
    Value_Text,
)
from spin_sdk.wit.types import Err


def text(status: int, body: str) -> Response:
    return Response(status, {"content-type": "text/plain"}, bytes(body, "utf-8"))


def sdk_error(err: Err) -> Response:
    case = err.value
    detail = getattr(case, "value", None)
    name = type(case).__name__
    return text(500, f"error: {name}" + (f"({detail})" if detail is not None else ""))


def key_value_route(method: str, parts: list, body: bytes) -> Response:
    store = key_value.open(parts[0])
    if len(parts) == 1 and method == "GET":
        return text(200, "\n".join(sorted(store.get_keys())))
    if len(parts) != 2:
        return text(404, "not found")
    key = parts[1]
    if method == "GET":
        value = store.get(key)
        if value is None:
            return text(404, "no such key")
        return Response(200, {"content-type": "application/octet-stream"}, value)
    if method == "PUT":
        store.set(key, body)
        return text(200, "stored")
    if method == "DELETE":
        store.delete(key)
        return text(200, "deleted")
    return text(405, "method not allowed")


def sqlite_route() -> Response:
    conn = Connection.open("default")
    params = [
        Value_Integer(-42),
        Value_Real(1.5),
        Value_Text("snake"),
        Value_Blob(b"\x00\xff"),
        Value_Null(),
    ]
    result = conn.execute("SELECT ? AS i, ? AS r, ? AS t, ? AS b, ? AS n", params)
    lines = [",".join(result.columns)]
    for row in result.rows:
        for value in row.values:
            payload = getattr(value, "value", None)
            if isinstance(payload, bytes):
                payload = payload.hex()
            lines.append(f"{type(value).__name__}:{payload}")
    return text(200, "\n".join(lines))


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        path = urlparse(request.uri).path or "/"
        print(f"py-http handled {path}")
        parts = [unquote(p) for p in path.split("/") if p]
        try:
            if request.method == "GET" and path == "/hello":
                return text(200, "Hello from Python!")
            if parts[:1] == ["kv"] and len(parts) > 1:
                return key_value_route(request.method, parts[1:], request.body or b"")
            if parts[:1] == ["var"] and len(parts) == 2:
                return text(200, variables.get(parts[1]))
            if request.method == "GET" and path == "/sqlite":
                return sqlite_route()
        except Err as err:
            return sdk_error(err)
        return text(200, path)
