//! End-to-end tests through the public API.

use std::path::{Path, PathBuf};

use super::*;

fn parse(text: &str) -> AppManifest {
    parse_str(text, Path::new("spin.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(text: &str) -> ManifestError {
    match parse_str(text, Path::new("spin.toml")) {
        Ok(m) => panic!("expected an error, got {m:#?}"),
        Err(e) => e,
    }
}

/// Parses `text`, which must fail naming `field` (and `line`, when given)
/// with a message containing `fragment`.
#[track_caller]
fn expect_error(text: &str, field: &str, line: Option<usize>, fragment: &str) {
    let e = parse_err(text);
    assert_eq!(e.field(), Some(field), "{e}");
    if line.is_some() {
        assert_eq!(e.line(), line, "{e}");
    }
    assert!(e.message().contains(fragment), "{field}: {e}");
}

/// A minimal v2 manifest followed by `extra`.
fn v2(extra: &str) -> String {
    format!("spin_manifest_version = 2\n[application]\nname = \"app\"\n{extra}")
}

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn full_v2_manifest_maps_every_field() {
    let text = format!(
        r#"spin_manifest_version = 2

[application]
name = "full"
version = "1.2.3"
description = "Everything at once"
authors = ["A <a@example.com>", "B"]
targets = ["spin-up:3.2"]

[application.trigger.redis]
address = "redis://localhost:6379"

[application.trigger.cron]
tick = "1s"

[variables]
api_key = {{ required = true, secret = true }}
greeting = {{ default = "hello" }}

[[trigger.http]]
id = "main"
route = "/hello/..."
component = "hello"

[[trigger.http]]
route = "/cgi"
component = "wagi"
executor = {{ type = "wagi", argv = "${{SCRIPT_NAME}} -v", entrypoint = "run" }}

[[trigger.http]]
route = "/spin"
component = "remote"
executor = {{ type = "http" }}

[[trigger.redis]]
channel = "messages"
address = "redis://other:6379"
component = "hello"

[[trigger.cron]]
schedule = "*/5 * * * *"
component = "registry"

[component.hello]
description = "Says hello"
source = "target/hello.wasm"
files = ["static/**/*", {{ source = "assets", destination = "/assets" }}]
exclude_files = ["**/*.bak"]
environment = {{ RUST_LOG = "info", ZED = "last" }}
allowed_outbound_hosts = ["https://example.com", "redis://*:6379"]
key_value_stores = ["default"]
sqlite_databases = ["default", "other"]
ai_models = ["llama2-chat"]
dependencies_inherit_configuration = true

[component.hello.variables]
key = "{{{{ api_key }}}}"
message = "{{{{ greeting }}}}, world"

[component.hello.build]
command = ["cargo build --release", "wasm-opt"]
workdir = "hello"
watch = ["src/**/*.rs"]

[component.hello.dependencies]
"example:calc" = "1.0.0"
"example:full/iface@2.0.0" = {{ version = "^2", registry = "reg.example.com", package = "other:pkg", export = "iface" }}
"example:local" = {{ path = "deps/local.wasm" }}
"example:remote" = {{ url = "https://example.com/d.wasm", digest = "{DIGEST}", export = "e" }}
"example:sibling" = {{ component = "wagi" }}

[component.hello.tool.spin-test]
source = "tests.wasm"

[component.wagi]
source = "wagi.wasm"
[component.wagi.build]
command = "make"

[component.remote]
source = {{ url = "https://example.com/remote.wasm", digest = "{DIGEST}" }}

[component.registry]
source = {{ registry = "ghcr.io", package = "example:pkg", version = "0.1.0" }}
"#
    );
    let m = parse(&text);

    let app = &m.application;
    assert_eq!(app.name, "full");
    assert_eq!(app.version.as_deref(), Some("1.2.3"));
    assert_eq!(app.description.as_deref(), Some("Everything at once"));
    assert_eq!(app.authors, ["A <a@example.com>", "B"]);
    assert_eq!(app.targets, ["spin-up:3.2"]);
    assert_eq!(
        app.trigger_global.redis_address.as_deref(),
        Some("redis://localhost:6379")
    );
    assert_eq!(
        app.trigger_global.other["cron"]["tick"].as_str(),
        Some("1s")
    );

    assert_eq!(
        m.variables.keys().collect::<Vec<_>>(),
        ["api_key", "greeting"]
    );
    assert_eq!(
        m.variables["api_key"],
        Variable {
            default: None,
            required: true,
            secret: true
        }
    );
    assert_eq!(
        m.variables["greeting"],
        Variable {
            default: Some("hello".into()),
            required: false,
            secret: false
        }
    );

    assert_eq!(
        m.http_triggers,
        vec![
            HttpTrigger {
                id: Some("main".into()),
                route: HttpRoute::Path("/hello/...".into()),
                component: Some("hello".into()),
                executor: HttpExecutor::Http,
                static_response: None,
            },
            HttpTrigger {
                id: None,
                route: HttpRoute::Path("/cgi".into()),
                component: Some("wagi".into()),
                executor: HttpExecutor::Wagi(WagiConfig {
                    argv: "${SCRIPT_NAME} -v".into(),
                    entrypoint: "run".into()
                }),
                static_response: None,
            },
            HttpTrigger {
                id: None,
                route: HttpRoute::Path("/spin".into()),
                component: Some("remote".into()),
                executor: HttpExecutor::Http,
                static_response: None,
            },
        ]
    );
    assert_eq!(
        m.redis_triggers,
        vec![RedisTrigger {
            id: None,
            channel: "messages".into(),
            address: Some("redis://other:6379".into()),
            component: "hello".into(),
        }]
    );
    let cron = &m.other_triggers["cron"];
    assert_eq!(cron.len(), 1);
    assert_eq!(cron[0]["schedule"].as_str(), Some("*/5 * * * *"));
    assert_eq!(cron[0]["component"].as_str(), Some("registry"));

    assert_eq!(
        m.components.keys().collect::<Vec<_>>(),
        ["hello", "wagi", "remote", "registry"]
    );
    let hello = &m.components["hello"];
    assert_eq!(hello.id, "hello");
    assert_eq!(hello.description.as_deref(), Some("Says hello"));
    assert_eq!(
        hello.source,
        ComponentSource::Local(PathBuf::from("target/hello.wasm"))
    );
    assert_eq!(
        hello.files,
        [
            FileMount::Pattern("static/**/*".into()),
            FileMount::Placement {
                source: "assets".into(),
                destination: "/assets".into()
            }
        ]
    );
    assert_eq!(hello.exclude_files, ["**/*.bak"]);
    assert_eq!(
        hello.environment.iter().collect::<Vec<_>>(),
        [
            (&"RUST_LOG".to_string(), &"info".to_string()),
            (&"ZED".to_string(), &"last".to_string())
        ]
    );
    assert_eq!(hello.variables["key"], "{{ api_key }}");
    assert_eq!(hello.variables["message"], "{{ greeting }}, world");
    assert_eq!(
        hello.allowed_outbound_hosts,
        ["https://example.com", "redis://*:6379"]
    );
    assert_eq!(hello.key_value_stores, ["default"]);
    assert_eq!(hello.sqlite_databases, ["default", "other"]);
    assert_eq!(hello.ai_models, ["llama2-chat"]);
    assert!(hello.dependencies_inherit_configuration);
    assert_eq!(
        hello.build,
        Some(ComponentBuild {
            command: vec!["cargo build --release".into(), "wasm-opt".into()],
            workdir: Some(PathBuf::from("hello")),
            watch: vec!["src/**/*.rs".into()],
        })
    );
    let deps: Vec<_> = hello.dependencies.values().cloned().collect();
    assert_eq!(
        deps,
        [
            ComponentDependency::Package {
                version: "1.0.0".into(),
                registry: None,
                package: None,
                export: None
            },
            ComponentDependency::Package {
                version: "^2".into(),
                registry: Some("reg.example.com".into()),
                package: Some("other:pkg".into()),
                export: Some("iface".into()),
            },
            ComponentDependency::Local {
                path: "deps/local.wasm".into(),
                export: None
            },
            ComponentDependency::Http {
                url: "https://example.com/d.wasm".into(),
                digest: DIGEST.into(),
                export: Some("e".into())
            },
            ComponentDependency::AppComponent {
                component: "wagi".into(),
                export: None
            },
        ]
    );
    assert_eq!(
        hello.dependencies.get_index(1).map(|(k, _)| k.as_str()),
        Some("example:full/iface@2.0.0")
    );
    assert_eq!(
        hello.tool["spin-test"]["source"].as_str(),
        Some("tests.wasm")
    );

    assert_eq!(
        m.components["wagi"]
            .build
            .as_ref()
            .map(|b| b.command.clone()),
        Some(vec!["make".to_string()])
    );
    assert!(!m.components["wagi"].dependencies_inherit_configuration);
    assert_eq!(
        m.components["remote"].source,
        ComponentSource::Remote {
            url: "https://example.com/remote.wasm".into(),
            digest: DIGEST.into()
        }
    );
    assert_eq!(
        m.components["registry"].source,
        ComponentSource::Registry {
            registry: Some("ghcr.io".into()),
            package: "example:pkg".into(),
            version: "0.1.0".into()
        }
    );
}

#[test]
fn v1_http_manifest_normalises() {
    let m = parse(
        r#"spin_manifest_version = "1"
name = "legacy"
version = "0.1.0"
description = "old style"
authors = ["Someone"]
trigger = { type = "http", base = "/api" }

[variables]
token = { default = "t" }

[[component]]
id = "hello"
source = "hello.wasm"
files = ["a.txt"]
environment = { K = "V" }
allowed_http_hosts = ["example.com", "insecure:allow-all"]
key_value_stores = ["default"]
[component.config]
tok = "{{ token }}"
[component.trigger]
route = "/hello/..."
[component.build]
command = "cargo build"

[[component]]
id = "cgi"
source = "cgi.wasm"
[component.trigger]
route = "/"
executor = { type = "wagi", argv = "x ${ARGS}" }
"#,
    );
    assert_eq!(m.application.name, "legacy");
    assert_eq!(m.application.version.as_deref(), Some("0.1.0"));
    assert_eq!(m.application.description.as_deref(), Some("old style"));
    assert_eq!(m.application.authors, ["Someone"]);
    assert_eq!(m.variables["token"].default.as_deref(), Some("t"));
    assert_eq!(m.components.keys().collect::<Vec<_>>(), ["hello", "cgi"]);

    let hello = &m.components["hello"];
    assert_eq!(hello.source, ComponentSource::Local("hello.wasm".into()));
    assert_eq!(hello.files, [FileMount::Pattern("a.txt".into())]);
    assert_eq!(hello.environment["K"], "V");
    assert_eq!(hello.variables["tok"], "{{ token }}");
    assert_eq!(hello.key_value_stores, ["default"]);
    assert_eq!(
        hello.build.as_ref().map(|b| b.command.clone()),
        Some(vec!["cargo build".to_string()])
    );
    assert_eq!(
        hello.allowed_outbound_hosts,
        [
            "http://example.com",
            "https://example.com",
            "*://*:*",
            "redis://*:*",
            "mysql://*:*",
            "postgres://*:*"
        ]
    );

    assert_eq!(m.http_triggers.len(), 2);
    assert_eq!(
        m.http_triggers[0].route,
        HttpRoute::Path("/api/hello/...".into())
    );
    assert_eq!(m.http_triggers[0].component.as_deref(), Some("hello"));
    assert_eq!(m.http_triggers[0].executor, HttpExecutor::Http);
    assert_eq!(m.http_triggers[1].route, HttpRoute::Path("/api".into()));
    assert_eq!(m.http_triggers[1].component.as_deref(), Some("cgi"));
    assert_eq!(
        m.http_triggers[1].executor,
        HttpExecutor::Wagi(WagiConfig {
            argv: "x ${ARGS}".into(),
            entrypoint: "_start".into()
        })
    );
    assert!(m.redis_triggers.is_empty());
}

#[test]
fn v1_redis_manifest_normalises() {
    let m = parse(
        r#"spin_version = "1"
name = "queue"
trigger = { type = "redis", address = "redis://localhost:6379" }

[[component]]
id = "echo"
source = { url = "https://example.com/echo.wasm", digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }
[component.trigger]
channel = "messages"
"#,
    );
    assert_eq!(
        m.application.trigger_global.redis_address.as_deref(),
        Some("redis://localhost:6379")
    );
    assert_eq!(
        m.redis_triggers,
        [RedisTrigger {
            id: None,
            channel: "messages".into(),
            address: None,
            component: "echo".into()
        }]
    );
    assert!(matches!(
        m.components["echo"].source,
        ComponentSource::Remote { .. }
    ));
    assert!(m.http_triggers.is_empty());
}

#[test]
fn v1_plugin_trigger_is_kept_raw() {
    let m = parse(
        r#"spin_manifest_version = "1"
name = "timer"
trigger = { type = "cron", interval = 5 }
[[component]]
id = "tick"
source = "tick.wasm"
[component.trigger]
cron_expression = "1/2 * * * * *"
"#,
    );
    assert_eq!(
        m.application.trigger_global.other["cron"]["interval"].as_integer(),
        Some(5)
    );
    let cron = &m.other_triggers["cron"];
    assert_eq!(cron[0]["cron_expression"].as_str(), Some("1/2 * * * * *"));
    assert_eq!(cron[0]["component"].as_str(), Some("tick"));
}

#[test]
fn v1_errors_are_located() {
    expect_error("spin_manifest_version = \"1\"\nname = \"a\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\nallowed_hosts = []\n", "component[0].allowed_hosts", Some(7), "unknown field `allowed_hosts`");

    expect_error("spin_manifest_version = \"1\"\nname = \"a\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n[component.trigger]\nrout = \"/\"\n", "component[0].trigger.rout", Some(8), "unknown field `rout`");

    expect_error("spin_manifest_version = \"1\"\nname = \"a\"\ntrigger = { type = \"http\", base = \"/\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n[component.trigger]\nroute = \"/.well-known/spin/x\"\n", "component[0].trigger.route", Some(8), "reserved");

    expect_error("spin_manifest_version = \"1\"\nname = \"a\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n[[component]]\nid = \"a\"\nsource = \"b.wasm\"\n", "component[1].id", Some(8), "duplicate component id `a`");

    expect_error("spin_manifest_version = \"1\"\nname = \"a\"\ntrigger = { type = \"http\" }\n[[component]]\nid = \"a\"\nsource = \"a.wasm\"\n[component.trigger]\nroute = \"/\"\nexecutor = { type = \"fast\" }\n", "component[0].trigger.executor", Some(9), "unknown executor type `fast`");
}

#[test]
fn unknown_field_has_line_column_and_path() {
    let e = parse_err(&v2("[component.hello]\nsorce = \"a.wasm\"\n"));
    assert_eq!(e.kind(), ErrorKind::Schema);
    assert_eq!(e.line(), Some(5));
    assert_eq!(e.column(), Some(1));
    assert_eq!(e.field(), Some("component.hello.sorce"));
    assert!(
        e.message()
            .starts_with("unknown field `sorce`, expected one of"),
        "{e}"
    );
    assert!(e.message().contains("`source`"), "{e}");
    assert_eq!(
        e.to_string(),
        format!("spin.toml:5:1: component.hello.sorce: {}", e.message())
    );
}

#[test]
fn wrong_type_names_field_and_line() {
    let e = parse_err(&v2(
        "[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\ncomponent = \"a\"\nroute = 5\n",
    ));
    assert_eq!(e.field(), Some("trigger.http[0].route"));
    assert_eq!(e.line(), Some(8));
    assert_eq!(e.column(), Some(9));
    assert!(e.message().contains("invalid type: integer `5`"), "{e}");
    assert!(e.message().contains("route string"), "{e}");
}

#[test]
fn missing_field_is_reported() {
    let e = parse_err(&v2("[component.a]\ndescription = \"no source\"\n"));
    assert_eq!(e.field(), Some("component.a"));
    assert!(e.message().contains("missing field `source`"), "{e}");
    assert_eq!(e.line(), Some(4));
}

#[test]
fn missing_component_reference() {
    let e = parse_err(&v2(
        "[component.hello]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = \"/a\"\ncomponent = \"hello\"\n[[trigger.http]]\nroute = \"/b\"\ncomponent = \"goodbye\"\n",
    ));
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.field(), Some("trigger.http[1].component"));
    assert_eq!(e.line(), Some(11));
    assert!(e.message().contains("route `/b`"), "{e}");
    assert!(
        e.message().contains("`goodbye`, which is not defined"),
        "{e}"
    );
    assert!(e.message().contains("`hello`"), "{e}");

    expect_error(&v2("[[trigger.redis]]\nid = \"sub\"\nchannel = \"c\"\ncomponent = \"nope\"\n"), "trigger.redis[0].component", None, "trigger `sub` uses component `nope`");
}

#[test]
fn bad_and_reserved_routes() {
    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = \"hello\"\ncomponent = \"a\"\n"), "trigger.http[0].route", Some(7), "must start with `/`");

    let e = parse_err(&v2("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = \"/a/.../b\"\ncomponent = \"a\"\n"));
    assert!(e.message().contains("last segment"), "{e}");

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = \"/.well-known/spin/health\"\ncomponent = \"a\"\n"), "trigger.http[0].route", Some(7), "reserved");
}

#[test]
fn bad_ids_are_rejected() {
    expect_error(&v2("[component.Hello]\nsource = \"a.wasm\"\n"), "component.Hello", Some(4), "invalid id `Hello`");

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nid = \"1st\"\nroute = \"/\"\ncomponent = \"a\"\n"), "trigger.http[0].id", None, "invalid id `1st`");

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nid = \"t\"\nroute = \"/\"\ncomponent = \"a\"\n[[trigger.redis]]\nid = \"t\"\nchannel = \"c\"\ncomponent = \"a\"\n"), "trigger.redis[0].id", Some(11), "duplicate trigger id `t`");
}

#[test]
fn variable_rules() {
    expect_error(&v2("[variables]\nApiKey = { default = \"x\" }\n"), "variables.ApiKey", Some(5), "invalid variable name `ApiKey`");

    expect_error(&v2("[variables]\nkey = { default = \"x\", required = true }\n"), "variables.key", Some(5), "both `default` and `required = true`");

    let e = parse_err(&v2(
        "[variables]\nkey = { default = \"x\", secrett = true }\n",
    ));
    assert_eq!(e.field(), Some("variables.key.secrett"));

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\nvariables = { Bad = \"x\" }\n"), "component.a.variables.Bad", None, "invalid variable name `Bad`");

    let e = parse_err(&v2(
        "[variables]\nknown = { default = \"x\" }\n[component.a]\nsource = \"a.wasm\"\n[component.a.variables]\nv = \"{{ known }}/{{ unknown }}\"\n",
    ));
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.field(), Some("component.a.variables.v"));
    assert_eq!(e.line(), Some(9));
    assert!(
        e.message().contains("`unknown`, which is not declared"),
        "{e}"
    );

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\nvariables = { v = \"{{ open\" }\n"), "component.a.variables.v", None, "unclosed");
}

#[test]
fn allowed_outbound_hosts_entries() {
    let m = parse(&v2(
        "[component.a]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"*://*:*\", \"https://*.example.com\", \"tcp://127.0.0.0/24:5000..5010\", \"http://self\", \"https://{{ host }}\", \"mysql://[::1]:3306/\"]\n",
    ));
    assert_eq!(m.components["a"].allowed_outbound_hosts.len(), 6);

    let cases = [
        ("*", "did you mean `*://*:*`?"),
        ("example.com", "did you mean `https://example.com`?"),
        (
            "https://example.com/api",
            "did you mean `https://example.com`?",
        ),
    ];
    for (entry, suggestion) in cases {
        let e = parse_err(&v2(&format!(
            "[component.a]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"https://ok.example.com\", \"{entry}\"]\n"
        )));
        assert_eq!(
            e.field(),
            Some("component.a.allowed_outbound_hosts[1]"),
            "{entry}"
        );
        assert_eq!(e.line(), Some(6), "{entry}");
        assert!(e.message().ends_with(suggestion), "{entry}: {e}");
    }
    let e = parse_err(&v2("[component.a]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"https://example.com\"]\nallowed_outbound_hosts = []\n"));
    assert_eq!(e.kind(), ErrorKind::Syntax);
}

#[test]
fn allowed_http_hosts_are_mapped_in_v2() {
    let m = parse(&v2(
        "[component.a]\nsource = \"a.wasm\"\nallowed_outbound_hosts = [\"https://example.com\"]\nallowed_http_hosts = [\"example.com\", \"localhost:3000\", \"insecure:allow-all\"]\n",
    ));
    assert_eq!(
        m.components["a"].allowed_outbound_hosts,
        [
            "https://example.com",
            "http://example.com",
            "http://localhost:3000",
            "https://localhost:3000",
            "*://*:*"
        ]
    );
    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\nallowed_http_hosts = [\"example.com/path\"]\n"), "component.a.allowed_http_hosts[0]", None, "path");
}

#[test]
fn inline_components_are_hoisted() {
    let m = parse(&v2(r#"[component.http-trigger2-component]
source = "taken.wasm"

[[trigger.http]]
id = "front"
route = "/"
component = { source = "front.wasm", allowed_outbound_hosts = ["https://example.com"] }

[[trigger.http]]
route = "/two"
component = { source = "two.wasm" }

[[trigger.redis]]
channel = "c"
component = { source = "r.wasm" }

[[trigger.cron]]
schedule = "@hourly"
component = { source = "cron.wasm" }
"#));
    assert_eq!(
        m.components.keys().collect::<Vec<_>>(),
        [
            "http-trigger2-component",
            "front-component",
            "http-trigger2-component2",
            "redis-trigger1-component",
            "cron-trigger1-component"
        ]
    );
    assert_eq!(
        m.http_triggers[0].component.as_deref(),
        Some("front-component")
    );
    assert_eq!(m.components["front-component"].id, "front-component");
    assert_eq!(
        m.components["front-component"].source,
        ComponentSource::Local("front.wasm".into())
    );
    assert_eq!(
        m.components["front-component"].allowed_outbound_hosts,
        ["https://example.com"]
    );
    assert_eq!(
        m.http_triggers[1].component.as_deref(),
        Some("http-trigger2-component2")
    );
    assert_eq!(
        m.components["http-trigger2-component2"].source,
        ComponentSource::Local("two.wasm".into())
    );
    assert_eq!(m.redis_triggers[0].component, "redis-trigger1-component");
    assert_eq!(
        m.other_triggers["cron"][0]["component"].as_str(),
        Some("cron-trigger1-component")
    );
    assert_eq!(
        m.other_triggers["cron"][0]["schedule"].as_str(),
        Some("@hourly")
    );

    let e = parse_err(&v2(
        "[[trigger.http]]\nroute = \"/\"\ncomponent = { source = \"a.wasm\", sorce = 1 }\n",
    ));
    assert_eq!(e.field(), Some("trigger.http[0].component.sorce"));
    assert_eq!(e.line(), Some(6));
}

#[test]
fn static_response_trigger() {
    let m = parse(&v2(
        "[[trigger.http]]\nroute = \"/old\"\nstatic_response = { status_code = 301, headers = { location = \"/new\" } }\n[[trigger.http]]\nroute = \"/hi\"\nstatic_response = { body = \"hi\" }\n",
    ));
    assert_eq!(m.http_triggers[0].component, None);
    let s = m.http_triggers[0].static_response.as_ref().unwrap();
    assert_eq!(s.status_code, 301);
    assert_eq!(s.headers["location"], "/new");
    assert_eq!(s.body, None);
    let s = m.http_triggers[1].static_response.as_ref().unwrap();
    assert_eq!((s.status_code, s.body.as_deref()), (200, Some("hi")));

    expect_error(&v2("[[trigger.http]]\nroute = \"/\"\nstatic_response = { status_code = 42 }\n"), "trigger.http[0].static_response", None, "42");

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"a\"\nstatic_response = { body = \"x\" }\n"), "trigger.http[0]", Some(6), "both `component` and `static_response`");

    let e = parse_err(&v2("[[trigger.http]]\nroute = \"/\"\n"));
    assert!(e.message().contains("needs `component`"), "{e}");
}

#[test]
fn private_route() {
    let m = parse(&v2("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = { private = true }\ncomponent = \"a\"\n"));
    assert_eq!(m.http_triggers[0].route, HttpRoute::Private);

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\n[[trigger.http]]\nroute = { private = false }\ncomponent = \"a\"\n"), "trigger.http[0].route", None, "private = false");
}

#[test]
fn sources_and_dependencies_are_checked() {
    expect_error(&v2("[component.a]\nsource = { url = \"https://x/a.wasm\", digest = \"sha256:abc\" }\n"), "component.a.source", Some(5), "64 hex digits");

    let e = parse_err(&v2(
        "[component.a]\nsource = { url = \"https://x/a.wasm\" }\n",
    ));
    assert!(e.message().contains("needs `digest"), "{e}");

    let e = parse_err(&v2("[component.a]\nsource = { package = \"a:b\" }\n"));
    assert!(e.message().contains("invalid source table"), "{e}");

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\ndependencies = { \"nocolon\" = \"1.0\" }\n"), "component.a.dependencies.nocolon", None, "invalid dependency name");

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\ndependencies = { \"x:y\" = { component = \"ghost\" } }\n"), "component.a.dependencies.x:y", None, "`ghost`, which is not defined");

    expect_error(&v2("[component.a]\nsource = \"a.wasm\"\nfiles = [{ source = \"d\", destination = \"rel\" }]\n"), "component.a.files[0]", None, "absolute");
}

#[test]
fn version_errors() {
    let e = parse_err("[application]\nname = \"a\"\n");
    assert_eq!(e.kind(), ErrorKind::Version);
    assert_eq!(e.field(), Some("spin_manifest_version"));
    assert!(e.message().contains("missing manifest version"), "{e}");

    let e = parse_err("spin_manifest_version = 3\n[application]\nname = \"a\"\n");
    assert_eq!(e.kind(), ErrorKind::Version);
    assert_eq!(e.line(), Some(1));
    assert!(
        e.message().contains("unsupported manifest version `3`"),
        "{e}"
    );

    let e = parse_err("spin_manifest_version = \"2\"\n");
    assert!(e.message().contains("integer"), "{e}");
}

#[test]
fn syntax_errors_are_located() {
    let e = parse_err("spin_manifest_version = 2\n[application\nname = \"a\"\n");
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(e.line(), Some(2));
    assert!(e.to_string().starts_with("spin.toml:2:"), "{e}");
    assert!(!e.to_string().contains('\n'), "{e}");
}

#[test]
fn parse_file_reads_and_names_missing_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope/spin.toml");
    let e = parse_file(&missing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert_eq!(e.file(), missing);
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some());

    let path = dir.path().join("spin.toml");
    std::fs::write(&path, v2("[component.a]\nsource = \"a.wasm\"\n")).unwrap();
    assert!(parse_file(&path).unwrap().components.contains_key("a"));

    std::fs::write(&path, v2("[component.a]\nsource = 1\n")).unwrap();
    let e = parse_file(&path).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!("{}:5:", path.display())),
        "{e}"
    );
}

#[test]
fn empty_and_odd_input_does_not_panic() {
    for text in [
        "",
        "\u{feff}",
        "=",
        "spin_manifest_version = 2",
        "spin_manifest_version = 2\n[application]\n",
        "x = [1, \"a\"",
    ] {
        assert!(parse_str(text, Path::new("f")).is_err(), "{text:?}");
    }
}
