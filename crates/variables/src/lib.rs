//! Spin application variables: declarations, templates and providers.
//!
//! A Spin manifest declares application variables (`[variables]`, each with
//! a `default` or `required = true`, and possibly `secret = true`) and, per
//! component, component variables whose values are templates over them
//! (`token = "Bearer {{ api_token }}"`). A guest asks for a component
//! variable by name; the host fills in the template. This crate is that
//! host logic, independent of any WIT interface, so that `fermyon:spin`
//! variables and `wasi:config/store` can both sit on top of it.
//!
//! # Pieces
//!
//! - [`Template`]: `{{ name }}` parsing (spaces inside the braces allowed,
//!   an unclosed `{{` is an error).
//! - [`Provider`]: where values come from. [`StaticProvider`] (fixed values:
//!   `--variable` on the command line, `type = "static"`), [`EnvProvider`]
//!   (`SPIN_VARIABLE_<NAME>`, then a dotenv file) and [`VaultProvider`]
//!   (HashiCorp Vault KV v2). [`provider_from_config`] builds one from a
//!   runtime-configuration entry.
//! - [`Resolver`]: checks component declarations when the app loads
//!   ([`Resolver::add_component`], [`Resolver::validate`]) and answers
//!   guests ([`Resolver::resolve`], [`Resolver::resolve_all`]).
//! - [`parse_cli_variable`]: `spin up --variable` syntax.
//!
//! # Priority
//!
//! Providers are consulted in the order they are given, first value wins,
//! then the manifest default. Spin's order, which the embedder should
//! reproduce, is: `--variable` values (a [`StaticProvider`]), then the
//! environment ([`EnvProvider`], with the `.env` file of the current
//! directory), then the runtime configuration's providers in file order.
//!
//! # Names
//!
//! Spin's rules (see [`name`], from `kiln-expressions`): lowercase ASCII
//! letters, digits and `_`, starting with a letter, not ending in `_`, no
//! `__`. `kiln-manifest` applies the same rule when it loads.
//!
//! # Secrets and caching
//!
//! No value is ever logged or put in an error message, whether or not the
//! variable is marked `secret`: the flag protects nothing if a non-secret
//! code path prints values. `Debug` of the providers shows names and
//! settings only.
//!
//! The resolver itself caches nothing, so a value changed at its source
//! reaches the next request, as in Spin. [`VaultProvider`], which is a
//! network round trip, keeps answers for a few seconds (see its docs);
//! [`EnvProvider`] reads its dotenv file once.
//!
//! # Testing Vault
//!
//! No Vault server is available to the test suite. `tests/vault.rs` runs
//! [`VaultProvider`] against a small HTTP server started inside the test
//! that implements the documented KV v2 read endpoint
//! (`GET /v1/{mount}/data/{path}` with `X-Vault-Token`; 404 for a missing
//! secret, 403 for a bad token). Behaviour beyond that endpoint (namespaces,
//! token renewal) is not covered.

mod cli;
mod config;
mod env;
mod error;
mod fixed;
mod provider;
mod resolver;
mod vault;

pub use cli::parse_cli_variable;
pub use config::provider_from_config;
pub use env::EnvProvider;
pub use error::{Error, ProviderError};
pub use fixed::StaticProvider;
pub use provider::Provider;
pub use resolver::Resolver;
pub use kiln_expressions::{name, Part, Template, TemplateError};
pub use vault::VaultProvider;

#[cfg(test)]
mod tests;
