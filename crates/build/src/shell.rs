//! Just enough reading of shell command lines for `kiln doctor`: the
//! programs a command runs and a cargo `--target`.

/// Shell builtins and keywords: never looked up on `PATH`.
const BUILTINS: &[&str] = &[
    "cd", "echo", "exit", "export", "true", "false", "test", "[", "set", "unset", "eval", "exec", ":", ".", "source",
    "if", "then", "else", "elif", "fi", "for", "while", "do", "done", "case", "esac", "!", "{", "}", "printf", "read",
    "pwd", "shift", "trap", "umask", "wait", "command", "type",
];

/// Tokens that end one simple command and start another.
const SEPARATORS: &[&str] = &["&&", "||", ";", "|", "&", "(", ")"];

/// The programs `command` runs: the first word of each simple command,
/// skipping `NAME=value` assignments and builtins. `None` when the line
/// cannot be split (unbalanced quotes).
pub fn programs(command: &str) -> Option<Vec<String>> {
    let words = shell_words::split(command).ok()?;
    let mut out = Vec::new();
    let mut at_start = true;
    for word in words {
        if SEPARATORS.contains(&word.as_str()) {
            at_start = true;
            continue;
        }
        if !at_start {
            continue;
        }
        let is_assignment = word
            .split_once('=')
            .is_some_and(|(name, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if is_assignment {
            continue;
        }
        at_start = false;
        // `exec cmd` and `command cmd` run `cmd`.
        if word == "exec" || word == "command" {
            at_start = true;
            continue;
        }
        if !BUILTINS.contains(&word.as_str()) && !out.contains(&word) {
            out.push(word);
        }
    }
    Some(out)
}

/// The value of `--target` (`--target X` or `--target=X`) in a command line.
pub fn cargo_target(command: &str) -> Option<String> {
    let words = shell_words::split(command).ok()?;
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        if word == "--target" {
            return iter.next().cloned();
        }
        if let Some(target) = word.strip_prefix("--target=") {
            return Some(target.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_skip_builtins_and_assignments() {
        assert_eq!(
            programs("cd app && RUSTFLAGS='-C x' cargo build --release | tee log; exit 0").unwrap(),
            ["cargo", "tee"]
        );
        assert_eq!(programs("exec ./build.sh").unwrap(), ["./build.sh"]);
        assert_eq!(
            programs("componentize-py -w spin-http componentize app -o app.wasm").unwrap(),
            ["componentize-py"]
        );
        assert!(programs("echo 'unbalanced").is_none());
    }

    #[test]
    fn finds_cargo_target() {
        assert_eq!(
            cargo_target("cargo build --target wasm32-wasip1 --release").as_deref(),
            Some("wasm32-wasip1")
        );
        assert_eq!(
            cargo_target("cargo build --target=wasm32-wasip2").as_deref(),
            Some("wasm32-wasip2")
        );
        assert_eq!(cargo_target("cargo build --release"), None);
    }
}
