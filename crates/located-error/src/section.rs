//! A located TOML table, and the checks every typed table goes through.
//!
//! Store and provider tables are read in two steps. First the whole file is
//! deserialized into [`Entries`], which keep the span of every key and
//! value. Then [`Section`] picks the `type`, rejects keys that type does not
//! take (pointing at the key itself), and deserializes the rest into a typed
//! struct, locating any error at the field it concerns. Doing the unknown-key
//! check by hand, rather than with serde's `deny_unknown_fields` over a union
//! of every type's fields, is what lets the message list exactly the fields
//! of the `type` that was written.

use std::ops::Range;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::{Kind, Problem};

/// A table with every key and value located.
pub type Entries = IndexMap<Spanned<String>, Spanned<toml::Value>>;

/// One table of the file, with where it is and what it is called.
pub struct Section<'a> {
    /// Dotted path used in errors: `key_value_store.cache`,
    /// `variables_provider[1]`.
    pub field: String,
    /// The whole table; for `[header]` tables this starts at the header.
    pub span: Range<usize>,
    /// The table's keys and values, located.
    pub entries: &'a Entries,
}

/// How a `type` value is classified.
pub struct TypeTable<T: 'static> {
    /// What the section configures, for messages: `key-value store`.
    pub what: &'static str,
    /// Types Kiln implements.
    pub supported: &'static [(&'static str, T)],
    /// Types Spin has and Kiln does not, named as such in errors.
    pub spin_only: &'static [&'static str],
}

impl<'a> Section<'a> {
    /// A section for the table `entries` found at `span`.
    pub fn new(field: impl Into<String>, located: &'a Spanned<Entries>) -> Self {
        Self {
            field: field.into(),
            span: located.span(),
            entries: located.get_ref(),
        }
    }

    fn entry(&self, key: &str) -> Option<(&Spanned<String>, &Spanned<toml::Value>)> {
        self.entries.iter().find(|(k, _)| k.get_ref() == key)
    }

    /// Where the value of `key` is.
    pub fn value_span(&self, key: &str) -> Option<Range<usize>> {
        self.entry(key).map(|(_, v)| v.span())
    }

    /// The dotted path of `key` in this section.
    pub fn field_of(&self, key: &str) -> String {
        format!("{}.{key}", self.field)
    }

    /// The table's `type`, classified by `types`.
    pub fn kind<T: Copy, K: Kind>(&self, types: &TypeTable<T>) -> Result<T, Problem<K>> {
        let names = quoted_list(types.supported.iter().map(|(name, _)| *name));
        let Some((_, value)) = self.entry("type") else {
            return Err(Problem::new(
                K::SCHEMA,
                self.span.clone(),
                &self.field,
                format!(
                    "missing field `type`; supported {} types are {names}",
                    types.what
                ),
            ));
        };
        let Some(name) = value.get_ref().as_str() else {
            return Err(Problem::new(
                K::SCHEMA,
                value.span(),
                self.field_of("type"),
                format!("expected a string, one of {names}"),
            ));
        };
        if let Some((_, kind)) = types.supported.iter().find(|(n, _)| *n == name) {
            return Ok(*kind);
        }
        let message = if types.spin_only.contains(&name) {
            format!(
                "Spin's `{name}` {what} type is not supported by Kiln; supported types are {names}",
                what = types.what
            )
        } else {
            format!(
                "unknown {what} type `{name}`; supported types are {names}",
                what = types.what
            )
        };
        Err(Problem::new(
            K::UNSUPPORTED,
            value.span(),
            self.field_of("type"),
            message,
        ))
    }

    /// Rejects any key not in `allowed`, pointing at the key.
    pub fn check_fields<K: Kind>(&self, allowed: &[&str]) -> Result<(), Problem<K>> {
        for key in self.entries.keys() {
            let name = key.get_ref();
            if !allowed.contains(&name.as_str()) {
                let expected = match allowed {
                    [] => "there are no fields".to_string(),
                    [one] => format!("expected `{one}`"),
                    _ => format!("expected one of {}", quoted_list(allowed.iter().copied())),
                };
                return Err(Problem::new(
                    K::SCHEMA,
                    key.span(),
                    &self.field,
                    format!("unknown field `{name}`, {expected}"),
                ));
            }
        }
        Ok(())
    }

    /// Deserializes the table, minus the keys in `skip`, into `T`.
    ///
    /// Errors are located at the value of the field they concern, or at the
    /// table for a missing field.
    pub fn deserialize<T: DeserializeOwned, K: Kind>(&self, skip: &[&str]) -> Result<T, Problem<K>> {
        let table: toml::Table = self
            .entries
            .iter()
            .filter(|(k, _)| !skip.contains(&k.get_ref().as_str()))
            .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
            .collect();
        serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|err| {
            Problem::from_serde(
                err,
                Some(&self.field),
                |first| self.value_span(first),
                Some(self.span.clone()),
            )
        })
    }
}

/// `` `a`, `b`, `c` ``, for messages.
pub fn quoted_list<'s>(names: impl Iterator<Item = &'s str>) -> String {
    names
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
