//! A located error before it is tied to a file; the parsers produce these.

use std::ops::Range;

use crate::Kind;

/// A problem at a byte span of a file's text, not yet tied to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem<K> {
    /// The broad category.
    pub kind: K,
    /// Byte span in the text, when known.
    pub span: Option<Range<usize>>,
    /// Dotted path of the offending field, when known.
    pub field: Option<String>,
    /// What was wrong, one line.
    pub message: String,
}

impl<K: Kind> Problem<K> {
    /// A problem of `kind` at `span` in `field`.
    pub fn new(
        kind: K,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            span: Some(span),
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A rule violation at `span` in `field`.
    pub fn invalid(
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(K::INVALID, span, field, message)
    }

    /// A TOML syntax error.
    pub fn syntax(err: &toml::de::Error) -> Self {
        Self {
            kind: K::SYNTAX,
            span: err.span(),
            field: None,
            message: one_line(err.message()),
        }
    }

    /// A deserialization error from `serde_path_to_error` over toml.
    ///
    /// `prefix` is prepended to the error's own path, for values that were
    /// deserialized on their own (out of a larger document); `locate` maps
    /// the first segment of that path (a field name) to a span, for errors
    /// that carry no span of their own; `fallback` is used when neither
    /// gives one.
    pub fn from_serde(
        err: serde_path_to_error::Error<toml::de::Error>,
        prefix: Option<&str>,
        locate: impl Fn(&str) -> Option<Range<usize>>,
        fallback: Option<Range<usize>>,
    ) -> Self {
        let segments = field_segments(err.path());
        let located = segments.first().and_then(|first| locate(first));
        let path = join_segments(&segments);
        let field = match (prefix, path.is_empty()) {
            (Some(p), true) => Some(p.to_string()),
            (Some(p), false) if path.starts_with('[') => Some(format!("{p}{path}")),
            (Some(p), false) => Some(format!("{p}.{path}")),
            (None, true) => None,
            (None, false) => Some(path),
        };
        let inner = err.into_inner();
        Self {
            kind: K::SCHEMA,
            span: inner.span().or(located).or(fallback),
            field,
            message: one_line(inner.message()),
        }
    }
}

/// toml's messages may span lines ("invalid table header\nexpected ..."); the
/// error format is one line.
pub fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The segments of a serde path, `[1]` for sequence indices, dropping the
/// synthetic segments `toml::Spanned` introduces.
fn field_segments(path: &serde_path_to_error::Path) -> Vec<String> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(format!("[{index}]")),
            Segment::Map { key } if key.starts_with("$__serde_spanned_private") => None,
            Segment::Map { key } | Segment::Enum { variant: key } => Some(key.clone()),
            Segment::Unknown => Some("?".to_string()),
        })
        .collect()
}

/// Renders segments as `a.b[1].c`.
fn join_segments(segments: &[String]) -> String {
    let mut out = String::new();
    for segment in segments {
        if !out.is_empty() && !segment.starts_with('[') {
            out.push('.');
        }
        out.push_str(segment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_join_with_dots_and_brackets() {
        let segments: Vec<String> = ["a", "[2]", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(join_segments(&segments), "a[2].b");
        assert_eq!(join_segments(&[]), "");
    }
}
