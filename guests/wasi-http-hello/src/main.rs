//! Benchmark guest: the hello-world of `examples/hello-rust` as a plain
//! `wasi:http/incoming-handler` component (no Spin SDK), so the same logic
//! runs under Kiln and under `wasmtime serve` side by side.

use wstd::http::body::Body;
use wstd::http::{Error, Request, Response};

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    let path = request.uri().path().to_string();
    println!("hello-rust handled {path}");
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(Body::from(format!("Hello from Kiln! You asked for {path}\n")))?)
}
