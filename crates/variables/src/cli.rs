//! `--variable` arguments, as `spin up` takes them.

use std::path::Path;

use crate::error::Error;
use kiln_expressions::name;

/// Parses a CLI `--variable` argument into name/value pairs:
///
/// - `name=value`: one variable (the value may contain `=`);
/// - `name=@file`: one variable whose value is the whole content of `file`;
/// - `@file.json` / `@file.toml`: every `"name": "value"` / `name = "value"`
///   pair of a flat table of strings.
///
/// Names must be valid variable names. Relative paths are relative to the
/// current directory. Error messages name files and variables, never values
/// or file contents.
pub fn parse_cli_variable(arg: &str) -> Result<Vec<(String, String)>, Error> {
    if let Some(file) = arg.strip_prefix('@') {
        return parse_file(Path::new(file));
    }
    let Some((name, value)) = arg.split_once('=') else {
        return Err(Error::CliVariable(
            "expected `name=value`, `name=@file`, `@file.json` or `@file.toml`".to_string(),
        ));
    };
    check_name(name, None)?;
    let value = match value.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file).map_err(|e| {
            Error::CliVariable(format!("variable `{name}`: cannot read {file}: {e}"))
        })?,
        None => value.to_string(),
    };
    Ok(vec![(name.to_string(), value)])
}

fn check_name(name: &str, file: Option<&Path>) -> Result<(), Error> {
    match name::problem(name) {
        None => Ok(()),
        Some(reason) => Err(Error::CliVariable(match file {
            Some(file) => format!(
                "{}: invalid variable name {name:?}: {reason}",
                file.display()
            ),
            None => format!("invalid variable name {name:?}: {reason}"),
        })),
    }
}

/// `@file.json` or `@file.toml`.
fn parse_file(path: &Path) -> Result<Vec<(String, String)>, Error> {
    let fail = |message: String| Error::CliVariable(format!("{}: {message}", path.display()));
    let extension = path.extension().and_then(|e| e.to_str());
    if !matches!(extension, Some("json" | "toml")) {
        return Err(fail(
            "variable files must end in .json or .toml (for one variable from a file, use `name=@file`)"
                .to_string(),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let pairs: Vec<(String, Result<String, &'static str>)> = if extension == Some("json") {
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            fail(format!(
                "not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let serde_json::Value::Object(map) = value else {
            return Err(fail(
                "expected a JSON object of \"name\": \"value\" pairs".to_string(),
            ));
        };
        map.into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, Ok(s)),
                other => (k, Err(json_type(&other))),
            })
            .collect()
    } else {
        // toml's Display quotes the offending line; use the bare message.
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .and_then(|s| text.get(..s.start))
                .map(|before| before.matches('\n').count() + 1);
            let message = e
                .message()
                .lines()
                .next()
                .unwrap_or("syntax error")
                .to_string();
            match line {
                Some(line) => fail(format!("not valid TOML (line {line}): {message}")),
                None => fail(format!("not valid TOML: {message}")),
            }
        })?;
        table
            .into_iter()
            .map(|(k, v)| match v {
                toml::Value::String(s) => (k, Ok(s)),
                other => (k, Err(other.type_str())),
            })
            .collect()
    };
    let mut out = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        check_name(&name, Some(path))?;
        let value = value.map_err(|found| {
            fail(format!(
                "the value of `{name}` must be a string, found {found}"
            ))
        })?;
        out.push((name, value));
    }
    Ok(out)
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn name_equals_value() {
        assert_eq!(
            parse_cli_variable("api_key=abc").unwrap(),
            pairs(&[("api_key", "abc")])
        );
        assert_eq!(
            parse_cli_variable("query=a=b&c=d").unwrap(),
            pairs(&[("query", "a=b&c=d")])
        );
        assert_eq!(
            parse_cli_variable("empty=").unwrap(),
            pairs(&[("empty", "")])
        );
    }

    #[test]
    fn name_equals_at_file_reads_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token.txt");
        std::fs::write(&file, "line one\nline two\n").unwrap();
        let arg = format!("token=@{}", file.display());
        assert_eq!(
            parse_cli_variable(&arg).unwrap(),
            pairs(&[("token", "line one\nline two\n")])
        );

        let arg = format!("token=@{}", dir.path().join("absent.txt").display());
        let err = parse_cli_variable(&arg).unwrap_err().to_string();
        assert!(err.contains("variable `token`: cannot read"), "{err}");
    }

    #[test]
    fn json_and_toml_files() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("vars.json");
        std::fs::write(
            &json,
            r#"{ "sierra_madre": "no spoilers", "herbs": "eleven" }"#,
        )
        .unwrap();
        let mut got = parse_cli_variable(&format!("@{}", json.display())).unwrap();
        got.sort();
        assert_eq!(
            got,
            pairs(&[("herbs", "eleven"), ("sierra_madre", "no spoilers")])
        );

        let toml = dir.path().join("vars.toml");
        std::fs::write(&toml, "a = \"1\"\nb = \"two\"\n").unwrap();
        let mut got = parse_cli_variable(&format!("@{}", toml.display())).unwrap();
        got.sort();
        assert_eq!(got, pairs(&[("a", "1"), ("b", "two")]));
    }

    #[test]
    fn file_errors_name_the_file_but_not_values() {
        let dir = tempfile::tempdir().unwrap();

        let json = dir.path().join("nums.json");
        std::fs::write(&json, r#"{ "pin": 918273 }"#).unwrap();
        let err = parse_cli_variable(&format!("@{}", json.display()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nums.json"), "{err}");
        assert!(
            err.contains("`pin` must be a string, found a number"),
            "{err}"
        );
        assert!(!err.contains("918273"), "{err}");

        let json = dir.path().join("scalar.json");
        std::fs::write(&json, r#""hunter2""#).unwrap();
        let err = parse_cli_variable(&format!("@{}", json.display()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a JSON object"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        let toml = dir.path().join("bad.toml");
        std::fs::write(&toml, "a = \"1\"\nsecret = hunter2\n").unwrap();
        let err = parse_cli_variable(&format!("@{}", toml.display()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid TOML (line 2)"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        let toml = dir.path().join("nested.toml");
        std::fs::write(&toml, "[table]\na = \"1\"\n").unwrap();
        let err = parse_cli_variable(&format!("@{}", toml.display()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`table` must be a string, found table"),
            "{err}"
        );
    }

    #[test]
    fn malformed_arguments() {
        for (arg, expected) in [
            ("novalue", "expected `name=value`"),
            ("API_KEY=x", "invalid variable name \"API_KEY\""),
            ("=x", "invalid variable name \"\""),
            ("@vars.yaml", "must end in .json or .toml"),
            ("@noext", "must end in .json or .toml"),
        ] {
            let err = parse_cli_variable(arg).unwrap_err();
            assert!(matches!(err, Error::CliVariable(_)), "{arg}: {err:?}");
            assert!(err.to_string().contains(expected), "{arg}: {err}");
        }
        let err = parse_cli_variable("API_KEY=sk-live")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("sk-live"), "{err}");
    }

    #[test]
    fn invalid_names_in_files_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("vars.json");
        std::fs::write(&json, r#"{ "Bad-Name": "v" }"#).unwrap();
        let err = parse_cli_variable(&format!("@{}", json.display()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid variable name \"Bad-Name\""), "{err}");
    }
}
