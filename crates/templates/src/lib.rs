//! Kiln application templates, in Spin's template format: a folder with a
//! `content/` tree (files and paths rendered with Liquid, e.g.
//! `{{project-name | kebab_case}}`) and `metadata/spin-template.toml`
//! (`[parameters]`, `[add_component]` with its manifest snippet in
//! `metadata/snippets/`).
//!
//! The built-in templates (`http-rust`, `http-py`, `http-js`, `http-empty`,
//! `redis-rust`, `wagi-rust`, `static-fileserver`) are compiled into the
//! crate from the repository's `templates/` folder; users install more into
//! a templates folder with [`TemplateStore::install`].
//!
//! [`Template::generate`] renders a new application (`kiln new`);
//! [`Template::add`] renders a component into a subfolder and merges its
//! trigger and component into an existing `spin.toml` with `toml_edit`,
//! keeping the file's comments and layout (`kiln add`).

mod add;
mod error;
mod filters;
mod metadata;
mod render;
mod store;
mod template;

pub use add::{merge_component, AddTarget};
pub use error::{Error, Result};
pub use filters::parser as liquid_parser;
pub use metadata::{AddComponent, Metadata, NewApplication, Parameter};
pub use render::{RenderInput, WriteMode};
pub use store::{builtin_ids, default_user_dir, Summary, TemplateStore};
pub use template::{Ask, Origin, Template};
