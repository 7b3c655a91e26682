//! Spin variable names and `{{ name }}` templates.
//!
//! The one template parser ([`Template::parse`]) and the one variable-name
//! rule ([`name::problem`]) that both the manifest (which checks
//! declarations and `allowed_outbound_hosts` templates when it loads) and the
//! variables resolver (which fills templates in) use, so the two can never
//! disagree about what a name or a template is.
//!
//! It resolves nothing: it knows no variable values and no providers.

pub mod name;
mod template;

pub use template::{Part, Template, TemplateError};
