use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::*;

const FILE: &str = "/srv/app/runtime-config.toml";

fn parse(text: &str) -> RuntimeConfig {
    match RuntimeConfig::parse_str(text, Path::new(FILE)) {
        Ok(config) => config,
        Err(e) => panic!("expected success, got: {e}"),
    }
}

fn error(text: &str) -> RuntimeConfigError {
    match RuntimeConfig::parse_str(text, Path::new("runtime-config.toml")) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(e) => e,
    }
}

#[test]
fn empty_file_is_an_empty_config() {
    let config = parse("");
    assert_eq!(config.path, Some(PathBuf::from(FILE)));
    assert_eq!(config.state_dir, None);
    assert_eq!(config.log_dir, None);
    assert!(config.key_value_stores.is_empty());
    assert!(config.sqlite_databases.is_empty());
    assert!(config.variables_providers.is_empty());
    assert_eq!(config.outbound_http, None);
}

#[test]
fn every_table() {
    let config = parse(
        r#"
state_dir = "state"
log_dir = "/var/log/app"

[key_value_store.default]
type = "spin"
path = ".spin/kv.db"

[key_value_store.cache]
type = "redis"
url = "redis://localhost:6379"

[key_value_store.scratch]
type = "memory"

[key_value_store.bare]
type = "spin"

[sqlite_database.default]
type = "spin"
path = "/data/todo.db"

[sqlite_database.memory]
type = "spin"

[[variables_provider]]
type = "vault"
url = "http://127.0.0.1:8200"
token = "root"
mount = "secret"
prefix = "app"

[[variables_provider]]
type = "env"
prefix = "MYAPP"
dotenv_path = "config/.env"

[[variables_provider]]
type = "static"
values = { api_uri = "http://example.com", version = "v1" }

[outbound_http]
connection_pooling = false
max_concurrent_requests = 10
"#,
    );
    assert_eq!(config.state_dir, Some(PathBuf::from("/srv/app/state")));
    assert_eq!(config.log_dir, Some(PathBuf::from("/var/log/app")));

    let kv: Vec<_> = config.key_value_stores.iter().collect();
    assert_eq!(
        kv,
        vec![
            (
                &"default".to_string(),
                &KeyValueStoreConfig::Spin {
                    path: Some(PathBuf::from("/srv/app/.spin/kv.db"))
                }
            ),
            (
                &"cache".to_string(),
                &KeyValueStoreConfig::Redis {
                    url: "redis://localhost:6379".into()
                }
            ),
            (&"scratch".to_string(), &KeyValueStoreConfig::Memory),
            (
                &"bare".to_string(),
                &KeyValueStoreConfig::Spin { path: None }
            ),
        ]
    );

    assert_eq!(
        config.sqlite_databases.get("default"),
        Some(&SqliteDatabaseConfig::Spin {
            path: Some(PathBuf::from("/data/todo.db"))
        })
    );
    assert_eq!(
        config.sqlite_databases.get("memory"),
        Some(&SqliteDatabaseConfig::Spin { path: None })
    );

    let mut values = IndexMap::new();
    values.insert("api_uri".to_string(), "http://example.com".to_string());
    values.insert("version".to_string(), "v1".to_string());
    assert_eq!(
        config.variables_providers,
        vec![
            VariablesProviderConfig::Vault {
                url: "http://127.0.0.1:8200".into(),
                token: "root".into(),
                mount: "secret".into(),
                prefix: Some("app".into()),
            },
            VariablesProviderConfig::Env {
                prefix: Some("MYAPP".into()),
                dotenv_path: Some(PathBuf::from("/srv/app/config/.env")),
            },
            VariablesProviderConfig::Static { values },
        ]
    );

    assert_eq!(
        config.outbound_http,
        Some(OutboundHttpConfig {
            connection_pooling: Some(false),
            max_concurrent_requests: Some(10),
        })
    );
}

#[test]
fn inline_tables_are_accepted_too() {
    let config = parse(r#"key_value_store = { cache = { type = "memory" } }"#);
    assert_eq!(
        config.key_value_stores.get("cache"),
        Some(&KeyValueStoreConfig::Memory)
    );
}

#[test]
fn relative_paths_resolve_against_the_files_folder() {
    let config = RuntimeConfig::parse_str(
        "state_dir = \".\"\n[key_value_store.a]\ntype = \"spin\"\npath = \"../shared/a.db\"\n",
        Path::new("/etc/kiln/rc.toml"),
    )
    .unwrap();
    assert_eq!(config.state_dir, Some(PathBuf::from("/etc/kiln")));
    assert_eq!(
        config.key_value_stores.get("a"),
        Some(&KeyValueStoreConfig::Spin {
            path: Some(PathBuf::from("/etc/kiln/../shared/a.db"))
        })
    );
}

#[test]
fn a_relative_file_path_is_made_absolute_against_the_current_directory() {
    let config = RuntimeConfig::parse_str(
        "[sqlite_database.db]\ntype = \"spin\"\npath = \"x.db\"\n",
        Path::new("conf/rc.toml"),
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(config.path, Some(cwd.join("conf/rc.toml")));
    assert_eq!(
        config.sqlite_databases.get("db"),
        Some(&SqliteDatabaseConfig::Spin {
            path: Some(cwd.join("conf/x.db"))
        })
    );
}

#[test]
fn empty_state_and_log_dirs_mean_unset() {
    let config = parse("state_dir = \"\"\nlog_dir = \"\"\n");
    assert_eq!((config.state_dir, config.log_dir), (None, None));
}

#[test]
fn unknown_field_names_file_line_column_and_table() {
    let e = error("\n[key_value_store.cache]\ntype = \"redis\"\nurll = \"redis://x\"\n");
    assert_eq!(
        e.to_string(),
        "runtime-config.toml:4:1: key_value_store.cache: unknown field `urll`, expected one of `type`, `url`"
    );
    assert_eq!(e.kind(), ErrorKind::Schema);
    assert_eq!((e.line(), e.column()), (Some(4), Some(1)));
    assert_eq!(e.file(), Path::new("runtime-config.toml"));
}

#[test]
fn fields_of_another_type_are_unknown() {
    let e = error("[key_value_store.a]\ntype = \"memory\"\npath = \"x.db\"\n");
    assert_eq!(
        e.to_string(),
        "runtime-config.toml:3:1: key_value_store.a: unknown field `path`, expected `type`"
    );
}

#[test]
fn unknown_top_level_key_is_located() {
    let e = error("state_dir = \"s\"\n\nkey_value_stores = 1\n");
    assert_eq!(e.kind(), ErrorKind::Schema);
    assert_eq!((e.line(), e.column()), (Some(3), Some(1)));
    assert!(
        e.message()
            .starts_with("unknown field `key_value_stores`, expected one of"),
        "{e}"
    );
}

#[test]
fn unknown_provider_field_is_located() {
    let e = error(
        "[[variables_provider]]\ntype = \"vault\"\nurl = \"http://v:8200\"\ntoken = \"t\"\nmount = \"m\"\nnamespace = \"n\"\n",
    );
    assert_eq!(
        e.to_string(),
        "runtime-config.toml:6:1: variables_provider[0]: unknown field `namespace`, expected one of `type`, `url`, `token`, `mount`, `prefix`"
    );
}

#[test]
fn unsupported_types_say_what_is_supported() {
    let e = error("[key_value_store.default]\ntype = \"azure_cosmos\"\naccount = \"a\"\n");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(
        e.to_string(),
        "runtime-config.toml:2:8: key_value_store.default.type: Spin's `azure_cosmos` key-value store type is not supported by Kiln; supported types are `spin`, `redis`, `memory`"
    );

    let e = error("[sqlite_database.default]\ntype = \"libsql\"\n");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.message().contains("supported types are `spin`"), "{e}");
    assert_eq!(e.field(), Some("sqlite_database.default.type"));

    let e = error("[[config_provider]]\ntype = \"azure_key_vault\"\n");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(
        e.message()
            .ends_with("supported types are `vault`, `env`, `static`"),
        "{e}"
    );

    let e = error("[key_value_store.x]\ntype = \"mongo\"\n");
    assert_eq!(
        e.message(),
        "unknown key-value store type `mongo`; supported types are `spin`, `redis`, `memory`"
    );
}

#[test]
fn missing_type_is_located_at_the_table() {
    let e = error("a = 1\n[key_value_store.x]\npath = \"p\"\n");
    // `a` is unknown too, but the top level is checked first.
    assert!(e.message().contains("unknown field `a`"), "{e}");

    let e = error("\n[key_value_store.x]\npath = \"p\"\n");
    assert_eq!(
        e.to_string(),
        "runtime-config.toml:2:1: key_value_store.x: missing field `type`; supported key-value store types are `spin`, `redis`, `memory`"
    );
}

#[test]
fn missing_and_mistyped_fields_are_located() {
    let e = error("[[variables_provider]]\ntype = \"vault\"\nurl = \"http://v\"\nmount = \"m\"\n");
    assert_eq!(e.kind(), ErrorKind::Schema);
    assert_eq!(e.field(), Some("variables_provider[0]"));
    assert_eq!(e.line(), Some(1));
    assert!(e.message().contains("missing field `token`"), "{e}");

    let e =
        error("[outbound_http]\nconnection_pooling = false\nmax_concurrent_requests = \"ten\"\n");
    assert_eq!(e.field(), Some("outbound_http.max_concurrent_requests"));
    assert_eq!((e.line(), e.column()), (Some(3), Some(27)));
    assert!(e.message().contains("invalid type"), "{e}");
}

#[test]
fn invalid_values_are_rejected() {
    let e = error("[key_value_store.c]\ntype = \"redis\"\nurl = \"http://user:hunter2@h\"\n");
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.field(), Some("key_value_store.c.url"));
    assert!(!e.to_string().contains("hunter2"), "{e}");

    let e = error("[[variables_provider]]\ntype = \"vault\"\nurl = \"vault:8200\"\ntoken = \"t\"\nmount = \"m\"\n");
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.field(), Some("variables_provider[0].url"));

    let e = error("[sqlite_database.d]\ntype = \"spin\"\npath = \"\"\n");
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.message(), "path must not be empty");
    assert_eq!((e.line(), e.column()), (Some(3), Some(8)));
}

#[test]
fn static_values_must_be_strings_and_are_not_echoed() {
    let e = error("[[variables_provider]]\ntype = \"static\"\nvalues = { pin = 918273 }\n");
    assert_eq!(e.field(), Some("variables_provider[0].values.pin"));
    assert_eq!(e.message(), "expected a string, found integer");
    assert!(!e.to_string().contains("918273"), "{e}");

    let e = error("[[variables_provider]]\ntype = \"static\"\n");
    assert!(e.message().contains("missing field `values`"), "{e}");
}

#[test]
fn config_provider_is_an_alias_kept_in_file_order() {
    let config = parse(
        r#"
[[config_provider]]
type = "env"
prefix = "FIRST"

[[variables_provider]]
type = "env"
prefix = "SECOND"

[[config_provider]]
type = "env"
prefix = "THIRD"
"#,
    );
    let prefixes: Vec<_> = config
        .variables_providers
        .iter()
        .map(|p| match p {
            VariablesProviderConfig::Env { prefix, .. } => prefix.clone(),
            other => panic!("unexpected provider {other:?}"),
        })
        .collect();
    assert_eq!(
        prefixes,
        vec![
            Some("FIRST".to_string()),
            Some("SECOND".to_string()),
            Some("THIRD".to_string())
        ]
    );

    // Errors name the spelling and index that was written.
    let e = error(
        "[[variables_provider]]\ntype = \"env\"\n[[config_provider]]\ntype = \"env\"\nbogus = 1\n",
    );
    assert_eq!(e.field(), Some("config_provider[0]"));
    assert_eq!(e.line(), Some(5));
}

#[test]
fn debug_redacts_secrets() {
    let config = parse(
        r#"
[key_value_store.cache]
type = "redis"
url = "redis://user:hunter2@localhost:6379"

[[variables_provider]]
type = "vault"
url = "http://127.0.0.1:8200"
token = "s.SuperSecretToken"
mount = "secret"

[[variables_provider]]
type = "static"
values = { api_key = "sk-live-123" }
"#,
    );
    let debug = format!("{config:?}");
    assert!(!debug.contains("SuperSecretToken"), "{debug}");
    assert!(!debug.contains("sk-live-123"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
    // The non-secret parts are still there to help debugging.
    assert!(debug.contains("http://127.0.0.1:8200"), "{debug}");
    assert!(debug.contains("api_key"), "{debug}");
    assert!(debug.contains("localhost:6379"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

#[test]
fn unsupported_spin_sections_are_named() {
    let e = error("\n[llm_compute]\ntype = \"remote_http\"\nurl = \"http://x\"\n");
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert_eq!(e.field(), Some("llm_compute"));
    assert_eq!(e.line(), Some(2));
    assert!(e.message().contains("not supported by Kiln"), "{e}");

    let e = error("[[client_tls]]\nhosts = [\"x\"]\n");
    assert_eq!(e.field(), Some("client_tls"));
}

#[test]
fn syntax_errors_are_located() {
    let e = error("a = \n[key_value_store.x\n");
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(e.line(), Some(1));
    assert!(!e.message().contains('\n'));
}

#[test]
fn wrong_shapes_are_schema_errors() {
    let e = error("key_value_store = 3\n");
    assert_eq!(e.kind(), ErrorKind::Schema);
    assert_eq!(e.field(), Some("key_value_store"));
    assert_eq!(e.line(), Some(1));

    let e = error("[key_value_store.x]\ntype = 5\n");
    assert_eq!(e.field(), Some("key_value_store.x.type"));
    assert_eq!((e.line(), e.column()), (Some(2), Some(8)));
}

#[test]
fn parse_file_reads_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rc.toml");
    std::fs::write(
        &file,
        "[key_value_store.k]\ntype = \"spin\"\npath = \"k.db\"\n",
    )
    .unwrap();
    let config = RuntimeConfig::parse_file(&file).unwrap();
    assert_eq!(config.path.as_deref(), Some(file.as_path()));
    assert_eq!(
        config.key_value_stores.get("k"),
        Some(&KeyValueStoreConfig::Spin {
            path: Some(dir.path().join("k.db"))
        })
    );

    let missing = dir.path().join("missing.toml");
    let e = RuntimeConfig::parse_file(&missing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(
        e.to_string().starts_with(&missing.display().to_string()),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn block_networks_parse_and_match_after_normalising() {
    let config = parse(
        "[outbound_networking]\nblock_networks = [\"private\", \"1.2.3.0/24\", \"8.8.8.8\", \"[2001:db8::1]\", \"127.0.0.5/8\"]\n",
    );
    let blocked = |ip: &str| {
        let ip: std::net::IpAddr = ip.parse().unwrap();
        config.block_networks.iter().any(|n| n.contains(ip))
    };
    assert_eq!(config.block_networks.len(), 5);
    assert_eq!(config.block_networks[0], BlockedNetwork::Private);
    // Host bits are dropped: `127.0.0.5/8` means 127.0.0.0/8.
    assert_eq!(config.block_networks[4].to_string(), "127.0.0.0/8");
    for ip in ["10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "fd00::1", "fe80::1",
        "1.2.3.200", "8.8.8.8", "2001:db8::1", "127.0.0.1", "::ffff:10.0.0.1", "::ffff:1.2.3.4", "::ffff:127.0.0.1"]
    {
        assert!(blocked(ip), "{ip} should be blocked");
    }
    for ip in ["1.2.4.1", "8.8.4.4", "172.32.0.1", "2001:db8::2", "::1", "93.184.216.34"] {
        assert!(!blocked(ip), "{ip} should not be blocked");
    }
    assert!(parse("").block_networks.is_empty());
}

#[test]
fn block_networks_errors_name_the_entry() {
    let e = error("[outbound_networking]\nblock_networks = [\"10.0.0.0/8\", \"intranet\"]\n");
    assert_eq!(e.field(), Some("outbound_networking.block_networks[1]"));
    assert_eq!(e.line(), Some(2));
    assert!(e.message().contains("`intranet` is not a network"), "{e}");
    let e = error("[outbound_networking]\nblock_network = [\"10.0.0.0/8\"]\n");
    assert!(e.message().contains("unknown field `block_network`"), "{e}");
}
