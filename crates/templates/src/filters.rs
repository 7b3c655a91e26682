//! The case-conversion filters Spin templates use (`{{ project-name | snake_case }}`).

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};
use liquid_core::{Display_filter, Filter, FilterReflection, ParseFilter};
use liquid_core::{Result, Runtime, Value, ValueView};

/// `my_App name` → `my-app-name`.
#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "kebab_case",
    description = "Converts a string to kebab-case.",
    parsed(KebabCaseFilter)
)]
pub struct KebabCase;

#[derive(Debug, Default, Display_filter)]
#[name = "kebab_case"]
struct KebabCaseFilter;

impl Filter for KebabCaseFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        Ok(Value::scalar(input.to_kstr().to_kebab_case()))
    }
}

/// `my-app name` → `my_app_name`.
#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "snake_case",
    description = "Converts a string to snake_case.",
    parsed(SnakeCaseFilter)
)]
pub struct SnakeCase;

#[derive(Debug, Default, Display_filter)]
#[name = "snake_case"]
struct SnakeCaseFilter;

impl Filter for SnakeCaseFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        Ok(Value::scalar(input.to_kstr().to_snake_case()))
    }
}

/// `my-app name` → `MyAppName`.
#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "pascal_case",
    description = "Converts a string to PascalCase.",
    parsed(PascalCaseFilter)
)]
pub struct PascalCase;

#[derive(Debug, Default, Display_filter)]
#[name = "pascal_case"]
struct PascalCaseFilter;

impl Filter for PascalCaseFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        Ok(Value::scalar(input.to_kstr().to_upper_camel_case()))
    }
}

/// `my-app.web api` → `MyApp.WebApi`: PascalCase between dots (.NET namespaces).
#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(
    name = "dotted_pascal_case",
    description = "Converts each dot-separated part of a string to PascalCase.",
    parsed(DottedPascalCaseFilter)
)]
pub struct DottedPascalCase;

#[derive(Debug, Default, Display_filter)]
#[name = "dotted_pascal_case"]
struct DottedPascalCaseFilter;

impl Filter for DottedPascalCaseFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> Result<Value> {
        let parts: Vec<String> = input
            .to_kstr()
            .split('.')
            .map(|p| p.to_upper_camel_case())
            .collect();
        Ok(Value::scalar(parts.join(".")))
    }
}

/// [`parser`], its error naming `template` (shared by rendering and the
/// install-time check, so neither module imports the other).
pub(crate) fn template_parser(template: &str) -> crate::error::Result<liquid::Parser> {
    parser().map_err(|e| crate::error::Error::Liquid {
        template: template.to_string(),
        file: "(parser)".into(),
        message: e.to_string(),
    })
}

/// The Liquid parser with the standard library and the case filters.
pub fn parser() -> std::result::Result<liquid::Parser, liquid::Error> {
    liquid::ParserBuilder::with_stdlib()
        .filter(KebabCase)
        .filter(SnakeCase)
        .filter(PascalCase)
        .filter(DottedPascalCase)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, name: &str) -> String {
        let template = parser().unwrap().parse(text).unwrap();
        template
            .render(&liquid::object!({ "project-name": name }))
            .unwrap()
    }

    #[test]
    fn case_filters() {
        assert_eq!(
            render("{{project-name | kebab_case}}", "My App_name"),
            "my-app-name"
        );
        assert_eq!(
            render("{{project-name | snake_case}}", "my-app Name"),
            "my_app_name"
        );
        assert_eq!(
            render("{{project-name | pascal_case}}", "my-app name"),
            "MyAppName"
        );
        assert_eq!(
            render("{{ project-name | dotted_pascal_case }}", "my-app.web api"),
            "MyApp.WebApi"
        );
    }

    #[test]
    fn stdlib_filters_still_work() {
        assert_eq!(render("{{project-name | upcase}}", "abc"), "ABC");
    }
}
