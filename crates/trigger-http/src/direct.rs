//! Handling a request without a network connection, for embedders and
//! benchmarks: the same routing and executors as the server, minus the
//! connection-level limits (admission, body caps) the server adds.

use std::net::SocketAddr;

use http::{Request, Response};

use crate::body::{Body, RequestBody};
use crate::prepare::HttpTrigger;

impl HttpTrigger {
    /// Routes `request` and runs its handler, as if a client at `client` had
    /// sent it to this server at `local`. Client-sent `spin-*` headers are
    /// removed first, as the server does.
    pub async fn handle(
        &self,
        mut request: Request<RequestBody>,
        client: SocketAddr,
        local: SocketAddr,
    ) -> Response<Body> {
        crate::spin_headers::strip_client_spin_headers(request.headers_mut());
        crate::dispatch::route_request(self, request, client, local).await
    }
}
