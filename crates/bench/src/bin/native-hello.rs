//! The native baseline: `examples/hello-rust`'s answer from a plain hyper
//! server (HTTP/1.1, multi-threaded tokio), printed to stdout the same way.
//!
//! native-hello [ADDR]    (default 127.0.0.1:3000)

use std::convert::Infallible;
use std::io::Write;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

async fn hello(request: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path();
    // The guest logs each request to stdout; so does the baseline.
    let _ = writeln!(std::io::stdout().lock(), "hello-rust handled {path}");
    let mut response = Response::new(Full::new(Bytes::from(format!("Hello from Kiln! You asked for {path}\n"))));
    response.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("text/plain"));
    Ok(response)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("Serving http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), hyper::service::service_fn(hello))
                .await;
        });
    }
}
