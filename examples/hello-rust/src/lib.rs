//! The hello-world Spin app Kiln's README serves.

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

/// Greets whoever asks, naming the path they asked for.
#[http_component]
fn hello(req: Request) -> anyhow::Result<impl IntoResponse> {
    println!("hello-rust handled {}", req.path());
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(format!("Hello from Kiln! You asked for {}\n", req.path()))
        .build())
}
