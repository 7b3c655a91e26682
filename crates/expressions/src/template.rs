//! `{{ name }}` templates: the values of component variables and template
//! hosts in `allowed_outbound_hosts`.

use std::fmt;

use crate::name;

/// A parsed component-variable value: literal text and `{{ name }}`
/// references to application variables, e.g. `"https://{{ host }}/api"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    parts: Vec<Part>,
}

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text copied as is.
    Literal(String),
    /// `{{ name }}`: the value of application variable `name`.
    Variable(String),
}

/// Why a template does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{{` with no `}}` after it.
    #[error("`{{{{` at byte {0} is never closed with `}}}}`")]
    Unclosed(usize),
    /// The text between `{{` and `}}` is not a variable name.
    #[error("`{{{{ {name} }}}}`: {reason}")]
    InvalidName {
        /// The text between the braces, trimmed.
        name: String,
        /// Which naming rule it breaks.
        reason: String,
    },
}

impl Template {
    /// Parses `text`. Spaces inside the braces are ignored (`{{api_key}}`
    /// and `{{ api_key }}` are the same); a `}}` outside a placeholder is
    /// literal text.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let inner_start = open + 2;
            let Some(close) = rest[inner_start..].find("}}") else {
                return Err(TemplateError::Unclosed(offset + open));
            };
            let name = rest[inner_start..inner_start + close].trim();
            if let Some(reason) = name::problem(name) {
                return Err(TemplateError::InvalidName {
                    name: name.to_string(),
                    reason,
                });
            }
            parts.push(Part::Variable(name.to_string()));
            let consumed = inner_start + close + 2;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self {
            text: text.to_string(),
            parts,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The literal and variable pieces, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The application variables referred to, in order, with repeats.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Whether the template refers to no variable at all.
    pub fn is_literal(&self) -> bool {
        self.references().next().is_none()
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Part {
        Part::Literal(s.to_string())
    }

    fn var(s: &str) -> Part {
        Part::Variable(s.to_string())
    }

    #[test]
    fn plain_text_is_one_literal() {
        let t = Template::parse("v1").unwrap();
        assert_eq!(t.parts(), &[lit("v1")]);
        assert!(t.is_literal());
        assert_eq!(Template::parse("").unwrap().parts(), &[]);
    }

    #[test]
    fn mixed_text_and_references() {
        let t = Template::parse("https://{{ host }}:{{port}}/x").unwrap();
        assert_eq!(
            t.parts(),
            &[
                lit("https://"),
                var("host"),
                lit(":"),
                var("port"),
                lit("/x")
            ]
        );
        assert_eq!(t.references().collect::<Vec<_>>(), vec!["host", "port"]);
        assert!(!t.is_literal());
        assert_eq!(t.as_str(), "https://{{ host }}:{{port}}/x");
    }

    #[test]
    fn spaces_inside_braces_are_ignored() {
        for text in ["{{a}}", "{{ a }}", "{{   a\t}}"] {
            assert_eq!(
                Template::parse(text).unwrap().parts(),
                &[var("a")],
                "{text}"
            );
        }
        let t = Template::parse("{{ a }}{{ b }}").unwrap();
        assert_eq!(t.parts(), &[var("a"), var("b")]);
    }

    #[test]
    fn stray_closing_braces_are_literal() {
        let t = Template::parse("a }} b").unwrap();
        assert_eq!(t.parts(), &[lit("a }} b")]);
    }

    #[test]
    fn unclosed_placeholder_is_an_error() {
        assert_eq!(
            Template::parse("{{ ok }} and {{ broken"),
            Err(TemplateError::Unclosed(13))
        );
        assert_eq!(Template::parse("{{"), Err(TemplateError::Unclosed(0)));
        let message = Template::parse("x {{ y").unwrap_err().to_string();
        assert_eq!(message, "`{{` at byte 2 is never closed with `}}`");
    }

    #[test]
    fn invalid_names_are_errors() {
        match Template::parse("{{ Api_Key }}") {
            Err(TemplateError::InvalidName { name, reason }) => {
                assert_eq!(name, "Api_Key");
                assert!(reason.contains("'A'"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            Template::parse("{{ }}"),
            Err(TemplateError::InvalidName { .. })
        ));
        assert!(matches!(
            Template::parse("{{ a__b }}"),
            Err(TemplateError::InvalidName { .. })
        ));
    }
}
