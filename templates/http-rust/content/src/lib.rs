use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

/// Answers every request routed to this component.
#[http_component]
fn handle_{{project-name | snake_case}}(req: Request) -> anyhow::Result<impl IntoResponse> {
    println!("Handling {:?} {}", req.method(), req.path());
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body("Hello from Kiln!\n")
        .build())
}
