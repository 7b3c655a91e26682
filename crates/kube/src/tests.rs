use super::*;

fn parse(stream: &str) -> Vec<serde_json::Value> {
    stream
        .split("---\n")
        .map(|doc| {
            let value: serde_yaml::Value = serde_yaml::from_str(doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
            serde_json::to_value(value).unwrap()
        })
        .collect()
}

fn object<'a>(docs: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"))
}

fn variable(default: Option<&str>, secret: bool) -> LockedVariable {
    LockedVariable { description: Some("what: it # is".into()), default: default.map(str::to_string), secret }
}

#[test]
fn objects_for_an_app_without_variables() {
    let mut o = ScaffoldOptions::new("hello", "registry.example:5000/hello:v1");
    o.replicas = 3;
    let docs = parse(&scaffold(&o).unwrap());
    let kinds: Vec<_> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["RuntimeClass", "Deployment", "Service"]);
    let rc = object(&docs, "RuntimeClass");
    assert_eq!(rc["apiVersion"], "node.k8s.io/v1");
    assert_eq!(rc["handler"], "kiln");
    let dep = object(&docs, "Deployment");
    assert_eq!(dep["spec"]["replicas"], 3);
    let pod = &dep["spec"]["template"]["spec"];
    assert_eq!(pod["runtimeClassName"], "kiln");
    assert_eq!(dep["spec"]["selector"]["matchLabels"]["app"], "hello");
    assert_eq!(dep["spec"]["template"]["metadata"]["labels"]["app"], "hello");
    let c = &pod["containers"][0];
    assert_eq!(c["image"], "registry.example:5000/hello:v1");
    assert_eq!(c["command"][0], "/");
    assert_eq!(c["env"][0]["name"], "SPIN_HTTP_LISTEN_ADDR");
    assert_eq!(c["env"][0]["value"], "0.0.0.0:80");
    assert_eq!(c["env"].as_array().unwrap().len(), 1);
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(c[probe]["httpGet"]["path"], HEALTH_PATH);
        assert_eq!(c[probe]["httpGet"]["port"], 80);
    }
    assert_eq!(c["resources"]["limits"]["memory"], "256Mi");
    assert_eq!(c["resources"]["requests"]["cpu"], "100m");
    assert!(pod.get("volumes").is_none());
    let svc = object(&docs, "Service");
    assert_eq!(svc["spec"]["selector"]["app"], "hello");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 80);
}

#[test]
fn variables_become_config_map_and_secret_keys_fed_as_spin_variables() {
    let mut o = ScaffoldOptions::new("shop", "r/shop:1");
    o.variables.insert("greeting".into(), variable(Some("hi: there"), false));
    o.variables.insert("region".into(), variable(None, false));
    o.variables.insert("api_key".into(), variable(None, true));
    o.runtime_config_secret = Some("shop-runtime".into());
    let stream = scaffold(&o).unwrap();
    assert!(stream.contains("# Fill in the variables marked `required`"), "{stream}");
    let docs = parse(&stream);
    let cm = object(&docs, "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "shop-variables");
    assert_eq!(cm["data"]["greeting"], "hi: there");
    assert_eq!(cm["data"]["region"], "");
    assert!(cm["data"].get("api_key").is_none(), "secrets stay out of the ConfigMap");
    let secret = object(&docs, "Secret");
    assert_eq!(secret["type"], "Opaque");
    assert_eq!(secret["stringData"]["api_key"], "");
    let c = &object(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    let env = c["env"].as_array().unwrap();
    let find = |name: &str| env.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("no {name}"));
    let key = &find("SPIN_VARIABLE_API_KEY")["valueFrom"]["secretKeyRef"];
    assert_eq!(key["name"], "shop-secrets");
    assert_eq!(key["key"], "api_key");
    assert_eq!(key["optional"], false, "a required variable must be there for the pod to start");
    let greeting = &find("SPIN_VARIABLE_GREETING")["valueFrom"]["configMapKeyRef"];
    assert_eq!(greeting["optional"], true);
    assert_eq!(find("SPIN_VARIABLE_REGION")["valueFrom"]["configMapKeyRef"]["optional"], false);
    let pod = &object(&docs, "Deployment")["spec"]["template"]["spec"];
    assert_eq!(pod["volumes"][0]["secret"]["secretName"], "shop-runtime");
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/runtime-config.toml");
    assert_eq!(c["volumeMounts"][0]["subPath"], "runtime-config.toml");
}

#[test]
fn names_come_from_the_reference_and_bad_names_are_refused() {
    assert_eq!(name_from_reference("localhost:5000/hello:v1"), "hello");
    assert_eq!(name_from_reference("ghcr.io/acme/My_App@sha256:abc"), "my-app");
    assert_eq!(name_from_reference("reg/x/_app_:1"), "app");
    for bad in ["", "Hello", "-x", "x-", "a.b", &"a".repeat(64), "1abc"] {
        let o = ScaffoldOptions::new(bad, "r/x:1");
        assert!(matches!(scaffold(&o), Err(ScaffoldError::InvalidName(_))), "{bad:?} accepted");
    }
}

#[test]
fn awkward_values_stay_strings() {
    let mut o = ScaffoldOptions::new("app", "r/app:1");
    o.variables.insert("flag".into(), variable(Some("yes"), false));
    o.variables.insert("count".into(), variable(Some("010"), false));
    o.variables.insert("text".into(), variable(Some("line\n- item: \"q\" #x"), false));
    let docs = parse(&scaffold(&o).unwrap());
    let cm = object(&docs, "ConfigMap");
    assert_eq!(cm["data"]["flag"], "yes");
    assert_eq!(cm["data"]["count"], "010");
    assert_eq!(cm["data"]["text"], "line\n- item: \"q\" #x");
}
