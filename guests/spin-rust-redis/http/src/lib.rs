//! Kiln test guest: outbound Redis through the Rust `spin-sdk` 5.2.0
//! (`fermyon:spin/redis@2.0.0`), one HTTP route per operation.
//!
//! The server comes from the `addr` query parameter (percent-encoded
//! `redis://host:port/db`). SDK errors answer `500 error: {err:?}`, so a
//! test sees the host's error variant (`InvalidAddress`, `TypeError`, …).
//!
//! | route | call |
//! |---|---|
//! | `POST /publish/{channel}` (body = payload) | `publish` |
//! | `GET /get/{key}` (404 when unset) | `get` |
//! | `PUT /set/{key}` (body = value) | `set` |
//! | `POST /incr/{key}` | `incr` |
//! | `POST /del/{key}/{key}…` | `del` |
//! | `POST /sadd/{key}/{value}…`, `POST /srem/{key}/{value}…` | `sadd`, `srem` |
//! | `GET /smembers/{key}` (sorted, comma-separated) | `smembers` |
//! | `POST /execute/{command}/{arg}…` (integers as `int64`) | `execute` (answer: `Debug` of the results) |

use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::redis::{Connection, RedisParameter};

#[http_component]
fn handle(req: Request) -> Response {
    route(&req).unwrap_or_else(|resp| resp)
}

fn text(status: u16, body: impl Into<String>) -> Response {
    Response::builder().status(status).header("content-type", "text/plain").body(body.into()).build()
}

fn error(e: impl std::fmt::Debug) -> Response {
    text(500, format!("error: {e:?}"))
}

fn route(req: &Request) -> Result<Response, Response> {
    let segments: Vec<String> = req
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|s| decode(s).map_err(|e| text(400, e)))
        .collect::<Result<_, _>>()?;
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let address = query_param(req.query(), "addr")
        .map_err(|e| text(400, e))?
        .ok_or_else(|| text(400, "missing addr"))?;
    let method = req.method().clone();
    let conn = Connection::open(&address).map_err(error)?;
    let owned = |values: &[&str]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>();
    Ok(match (&method, segs.as_slice()) {
        (Method::Post, ["publish", channel]) => {
            conn.publish(channel, &req.body().to_vec()).map_err(error)?;
            text(200, "published")
        }
        (Method::Get, ["get", key]) => match conn.get(key).map_err(error)? {
            Some(value) => Response::builder().status(200).body(value).build(),
            None => text(404, "not found"),
        },
        (Method::Put, ["set", key]) => {
            conn.set(key, &req.body().to_vec()).map_err(error)?;
            text(200, "ok")
        }
        (Method::Post, ["incr", key]) => text(200, conn.incr(key).map_err(error)?.to_string()),
        (Method::Post, ["del", keys @ ..]) => text(200, conn.del(&owned(keys)).map_err(error)?.to_string()),
        (Method::Post, ["sadd", key, values @ ..]) => {
            text(200, conn.sadd(key, &owned(values)).map_err(error)?.to_string())
        }
        (Method::Post, ["srem", key, values @ ..]) => {
            text(200, conn.srem(key, &owned(values)).map_err(error)?.to_string())
        }
        (Method::Get, ["smembers", key]) => {
            let mut members = conn.smembers(key).map_err(error)?;
            members.sort();
            text(200, members.join(","))
        }
        (Method::Post, ["execute", command, args @ ..]) => {
            let args: Vec<RedisParameter> = args
                .iter()
                .map(|a| match a.parse::<i64>() {
                    Ok(i) => RedisParameter::Int64(i),
                    Err(_) => RedisParameter::Binary(a.as_bytes().to_vec()),
                })
                .collect();
            text(200, format!("{:?}", conn.execute(command, &args).map_err(error)?))
        }
        _ => text(404, "no such route"),
    })
}

fn query_param(query: &str, name: &str) -> Result<Option<String>, String> {
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == name {
            return decode(v).map(Some);
        }
    }
    Ok(None)
}

fn decode(s: &str) -> Result<String, String> {
    let raw = s.as_bytes();
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let byte = raw
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape in {s:?}"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("not UTF-8: {s:?}"))
}
