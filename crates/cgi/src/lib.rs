//! WAGI: CGI 1.1 (RFC 3875) for WebAssembly modules.
//!
//! The server describes the request in environment variables
//! ([`build_env`]) and command-line arguments ([`build_argv`]), passes the
//! body on stdin, and reads a CGI response from stdout ([`parse_output`]).
//! Everything here is pure (no I/O), so it can be tested and fuzzed alone;
//! the executor lives in `kiln-trigger-http`.
//!
//! `request` turns a request into CGI variables and argv; `response` parses
//! what the module writes back. This crate refuses to do I/O or to run
//! modules.

mod request;
mod response;
#[cfg(test)]
mod tests;

pub use request::{build_argv, build_env, CgiRequest, DEFAULT_ARGV};
pub use response::{is_host_managed, parse_output, CgiError, CgiResponse, MAX_HEADERS, MAX_HEADER_BYTES};
