//! Resolver tests over real providers (static, environment, dotenv).

use std::sync::Arc;

use async_trait::async_trait;
use indexmap::IndexMap;
use kiln_manifest::Variable;

use crate::*;

fn default(value: &str) -> Variable {
    Variable {
        default: Some(value.to_string()),
        required: false,
        secret: false,
    }
}

fn required(secret: bool) -> Variable {
    Variable {
        default: None,
        required: true,
        secret,
    }
}

fn map<V: Clone>(entries: &[(&str, V)]) -> IndexMap<String, V> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A component's `variables` table.
fn vars(entries: &[(&str, &str)]) -> IndexMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn static_provider(entries: &[(&str, &str)]) -> Arc<dyn Provider> {
    Arc::new(StaticProvider::new(entries.iter().copied()))
}

/// A provider standing for a backend that is down.
#[derive(Debug)]
struct Broken;

#[async_trait]
impl Provider for Broken {
    async fn get(&self, _name: &str) -> Result<Option<String>, ProviderError> {
        Err(ProviderError::new("backend unreachable"))
    }
}

#[tokio::test]
async fn static_beats_env_beats_default() {
    // Unique names: the environment is shared with parallel tests.
    std::env::set_var("SPIN_VARIABLE_KILN_ORDER_ALL", "env");
    std::env::set_var("SPIN_VARIABLE_KILN_ORDER_ENV", "env");
    let variables = map(&[
        ("kiln_order_all", default("default")),
        ("kiln_order_env", default("default")),
        ("kiln_order_none", default("default")),
    ]);
    let providers = vec![
        static_provider(&[("kiln_order_all", "cli")]),
        Arc::new(EnvProvider::new()) as Arc<dyn Provider>,
    ];
    let mut resolver = Resolver::new(&variables, providers);
    resolver
        .add_component(
            "web",
            &vars(&[
                ("all", "{{ kiln_order_all }}"),
                ("env", "{{kiln_order_env}}"),
                ("none", "{{ kiln_order_none }}"),
            ]),
        )
        .unwrap();
    assert_eq!(resolver.resolve("web", "all").await.unwrap(), "cli");
    assert_eq!(resolver.resolve("web", "env").await.unwrap(), "env");
    assert_eq!(resolver.resolve("web", "none").await.unwrap(), "default");
}

#[tokio::test]
async fn templates_mix_text_and_several_variables() {
    let variables = map(&[("host", default("example.com")), ("port", default("8080"))]);
    let mut resolver = Resolver::new(&variables, vec![static_provider(&[("port", "9090")])]);
    resolver
        .add_component(
            "api",
            &vars(&[
                ("base_url", "https://{{ host }}:{{ port }}/v1"),
                ("version", "v1"),
            ]),
        )
        .unwrap();
    assert_eq!(
        resolver.resolve("api", "base_url").await.unwrap(),
        "https://example.com:9090/v1"
    );
    assert_eq!(
        resolver.resolve_all("api").await.unwrap(),
        vec![
            (
                "base_url".to_string(),
                "https://example.com:9090/v1".to_string()
            ),
            ("version".to_string(), "v1".to_string()),
        ]
    );
    assert_eq!(
        resolver.component_variables("api"),
        vec!["base_url", "version"]
    );
    assert_eq!(resolver.resolve_all("other").await.unwrap(), vec![]);
}

#[tokio::test]
async fn required_variable_missing_fails_validation_by_name() {
    let variables = map(&[("api_token", required(true)), ("region", default("eu"))]);
    let mut resolver = Resolver::new(&variables, vec![static_provider(&[])]);
    resolver
        .add_component("web", &vars(&[("token", "{{ api_token }}")]))
        .unwrap();
    let err = resolver.validate().await.unwrap_err();
    assert_eq!(err, Error::MissingRequired("api_token".to_string()));
    assert!(err.to_string().contains("`api_token`"), "{err}");
    assert!(err.to_string().contains("SPIN_VARIABLE_API_TOKEN"), "{err}");

    // At request time the same gap is a provider error, as in Spin.
    let err = resolver.resolve("web", "token").await.unwrap_err();
    assert_eq!(
        err,
        Error::Provider("no provider resolved required variable `api_token`".to_string())
    );
}

#[tokio::test]
async fn required_variable_provided_passes_validation() {
    let variables = map(&[("api_token", required(true))]);
    let mut resolver = Resolver::new(&variables, vec![static_provider(&[("api_token", "t0k3n")])]);
    resolver
        .add_component("web", &vars(&[("token", "Bearer {{ api_token }}")]))
        .unwrap();
    resolver.validate().await.unwrap();
    assert_eq!(
        resolver.resolve("web", "token").await.unwrap(),
        "Bearer t0k3n"
    );
}

#[tokio::test]
async fn required_variable_unused_by_components_is_still_checked() {
    let variables = map(&[("unused_secret", required(true))]);
    let resolver = Resolver::new(&variables, vec![]);
    assert_eq!(
        resolver.validate().await.unwrap_err(),
        Error::MissingRequired("unused_secret".to_string())
    );
}

#[tokio::test]
async fn undefined_and_invalid_names() {
    let variables = map(&[("a", default("1"))]);
    let mut resolver = Resolver::new(&variables, vec![]);
    resolver
        .add_component("web", &vars(&[("x", "{{ a }}")]))
        .unwrap();

    // Declared by the app but not by this component.
    assert_eq!(
        resolver.resolve("web", "a").await.unwrap_err(),
        Error::Undefined("a".to_string())
    );
    assert_eq!(
        resolver.resolve("web", "missing").await.unwrap_err(),
        Error::Undefined("missing".to_string())
    );
    assert_eq!(
        resolver.resolve("nobody", "x").await.unwrap_err(),
        Error::Undefined("x".to_string())
    );
    for bad in ["X", "", "a-b", "a__b", "x_", "1x"] {
        assert_eq!(
            resolver.resolve("web", bad).await.unwrap_err(),
            Error::InvalidName(bad.to_string()),
            "{bad:?}"
        );
    }
    let message = Error::InvalidName("Bad".into()).to_string();
    assert!(
        message.contains("\"Bad\"") && message.contains("'B'"),
        "{message}"
    );
}

#[test]
fn add_component_rejects_bad_declarations_naming_component_variable_and_template() {
    let variables = map(&[("api_key", default("k"))]);
    let mut resolver = Resolver::new(&variables, vec![]);

    let err = resolver
        .add_component("web", &vars(&[("key", "{{ apikey }}")]))
        .unwrap_err();
    assert_eq!(
        err,
        Error::UnknownVariable {
            component: "web".into(),
            variable: "key".into(),
            template: "{{ apikey }}".into(),
            name: "apikey".into(),
        }
    );
    let message = err.to_string();
    for part in ["`web`", "`key`", "`{{ apikey }}`", "`apikey`"] {
        assert!(message.contains(part), "{part} in {message}");
    }

    let err = resolver
        .add_component("web", &vars(&[("key", "x {{ api_key")]))
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidTemplate { component, variable, template, .. }
            if component == "web" && variable == "key" && template == "x {{ api_key"),
        "{err:?}"
    );
    assert!(err.to_string().contains("never closed"), "{err}");

    let err = resolver
        .add_component("web", &vars(&[("Key", "{{ api_key }}")]))
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidComponentVariable { component, variable, .. }
            if component == "web" && variable == "Key"),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_application_variable_names_fail_validation() {
    let variables = map(&[("ok", default("1")), ("not__ok", default("2"))]);
    let resolver = Resolver::new(&variables, vec![]);
    let err = resolver.validate().await.unwrap_err();
    assert_eq!(
        err,
        Error::InvalidAppVariable {
            name: "not__ok".into()
        }
    );
    assert!(err.to_string().contains("`__`"), "{err}");
}

#[tokio::test]
async fn provider_failures_name_the_variable_and_stop_the_search() {
    let variables = map(&[("db_password", default("fallback-pw"))]);
    let mut resolver = Resolver::new(
        &variables,
        vec![
            Arc::new(Broken),
            static_provider(&[("db_password", "s3cret")]),
        ],
    );
    resolver
        .add_component("web", &vars(&[("pw", "{{ db_password }}")]))
        .unwrap();

    let err = resolver.resolve("web", "pw").await.unwrap_err();
    assert_eq!(
        err,
        Error::Provider("variable `db_password`: backend unreachable".to_string())
    );

    let err = resolver.validate().await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(&err, Error::Component { component, variable, .. } if component == "web" && variable == "pw"),
        "{err:?}"
    );
    assert!(message.contains("db_password"), "{message}");
    assert!(
        !message.contains("s3cret") && !message.contains("fallback-pw"),
        "{message}"
    );
}

#[tokio::test]
async fn debug_output_holds_no_values() {
    let variables = map(&[(
        "api_key",
        Variable {
            default: Some("default-secret".into()),
            required: false,
            secret: true,
        },
    )]);
    let mut resolver = Resolver::new(
        &variables,
        vec![static_provider(&[("api_key", "cli-secret")])],
    );
    resolver
        .add_component("web", &vars(&[("key", "{{ api_key }}")]))
        .unwrap();
    let debug = format!("{resolver:?}");
    assert!(
        debug.contains("api_key") && debug.contains("web"),
        "{debug}"
    );
    assert!(!debug.contains("default-secret"), "{debug}");
    assert!(!debug.contains("cli-secret"), "{debug}");
}

#[tokio::test]
async fn env_provider_with_dotenv_file_feeds_the_resolver() {
    let dir = tempfile::tempdir().unwrap();
    let dotenv = dir.path().join(".env");
    std::fs::write(&dotenv, "SPIN_VARIABLE_KILN_RESOLVER_DOTENV=from-dotenv\n").unwrap();
    let variables = map(&[("kiln_resolver_dotenv", required(false))]);
    let mut resolver = Resolver::new(
        &variables,
        vec![Arc::new(EnvProvider::new().with_dotenv(&dotenv))],
    );
    resolver
        .add_component("web", &vars(&[("v", "{{ kiln_resolver_dotenv }}")]))
        .unwrap();
    resolver.validate().await.unwrap();
    assert_eq!(resolver.resolve("web", "v").await.unwrap(), "from-dotenv");
}

#[tokio::test]
async fn runtime_config_providers_resolve_through_the_resolver() {
    let config = kiln_runtime_config::RuntimeConfig::parse_str(
        "[[variables_provider]]\ntype = \"static\"\nvalues = { greeting = \"hi\" }\n",
        std::path::Path::new("/tmp/rc.toml"),
    )
    .unwrap();
    let providers = config
        .variables_providers
        .iter()
        .map(provider_from_config)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let variables = map(&[("greeting", required(false))]);
    let mut resolver = Resolver::new(&variables, providers);
    resolver
        .add_component("web", &vars(&[("g", "{{ greeting }}, world")]))
        .unwrap();
    assert_eq!(resolver.resolve("web", "g").await.unwrap(), "hi, world");
}
