//! Which capability imports the base linker serves itself, checked by
//! type-checking real component imports against it: Spin 3's SQLite at
//! 3.0.0 is served by the 3.1.0 definition (wasmtime's semver matching),
//! and Preview 3's `async func` interfaces are linked natively, not as
//! unavailable stand-ins.

use kiln_world::linker::{base_linker, component_linker};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_component_model_async(true);
    Engine::new(&config).unwrap()
}

/// Links `wat` and returns the imports linked as unavailable; panics if the
/// linked imports do not type-check.
fn stubbed_imports(wat: &str) -> Vec<String> {
    let engine = engine();
    let base = base_linker(&engine).unwrap();
    let component = Component::new(&engine, wat).unwrap();
    let (linker, stubbed) = component_linker(&base, &component).unwrap();
    if let Err(err) = linker.instantiate_pre(&component) {
        panic!("imports do not type-check: {err:#}");
    }
    stubbed
}

const SQLITE_ERROR: &str = r#"(variant (case "no-such-database") (case "access-denied")
    (case "invalid-connection") (case "database-full") (case "io" string))"#;

#[test]
fn spin_sqlite_3_0_0_imports_are_served_by_the_3_1_0_definition() {
    let wat = format!(
        r#"(component
          (import "spin:sqlite/sqlite@3.0.0" (instance
            (export "connection" (type $conn (sub resource)))
            (type $e {SQLITE_ERROR})
            (export "error" (type $error (eq $e)))
            (export "[static]connection.open" (func (param "database" string)
              (result (result (own $conn) (error $error)))))
            (export "[method]connection.changes" (func (param "self" (borrow $conn)) (result u64)))
            (export "[method]connection.last-insert-rowid" (func (param "self" (borrow $conn)) (result s64)))
          ))
        )"#
    );
    assert_eq!(stubbed_imports(&wat), Vec::<String>::new());
}

#[test]
fn spin_sqlite_3_1_0_async_functions_are_linked_natively() {
    let wat = format!(
        r#"(component
          (import "spin:sqlite/sqlite@3.1.0" (instance
            (export "connection" (type $conn (sub resource)))
            (type $e {SQLITE_ERROR})
            (export "error" (type $error (eq $e)))
            (type $v (variant (case "integer" s64) (case "real" f64) (case "text" string)
              (case "blob" (list u8)) (case "null")))
            (export "value" (type $value (eq $v)))
            (type $r (record (field "values" (list $value))))
            (export "row-result" (type $row (eq $r)))
            (export "[static]connection.open-async" (func async (param "database" string)
              (result (result (own $conn) (error $error)))))
            (export "[method]connection.execute-async" (func async (param "self" (borrow $conn))
              (param "statement" string) (param "parameters" (list $value))
              (result (result (tuple (list string) (stream $row) (future (result (error $error)))) (error $error)))))
            (export "[method]connection.changes-async" (func async (param "self" (borrow $conn)) (result u64)))
          ))
        )"#
    );
    assert_eq!(stubbed_imports(&wat), Vec::<String>::new());
}

#[test]
fn spin_key_value_and_variables_3_0_0_are_linked_natively() {
    let wat = r#"(component
      (import "spin:key-value/key-value@3.0.0" (instance
        (export "store" (type $store (sub resource)))
        (type $e (variant (case "store-table-full") (case "no-such-store") (case "access-denied") (case "other" string)))
        (export "error" (type $error (eq $e)))
        (export "[static]store.open" (func async (param "label" string) (result (result (own $store) (error $error)))))
        (export "[method]store.get" (func async (param "self" (borrow $store)) (param "key" string)
          (result (result (option (list u8)) (error $error)))))
        (export "[method]store.get-keys" (func async (param "self" (borrow $store))
          (result (tuple (stream string) (future (result (error $error)))))))
      ))
      (import "spin:variables/variables@3.0.0" (instance
        (type $e (variant (case "invalid-name" string) (case "undefined" string) (case "provider" string) (case "other" string)))
        (export "error" (type $error (eq $e)))
        (export "get" (func async (param "name" string) (result (result string (error $error)))))
      ))
    )"#;
    assert_eq!(stubbed_imports(wat), Vec::<String>::new());
}

#[test]
fn a_newer_minor_version_than_kiln_defines_is_linked_as_unavailable() {
    // 3.2.0 may add functions the 3.1.0 definition lacks: Kiln stubs the
    // whole interface rather than failing to link it.
    let wat = r#"(component
      (import "spin:sqlite/sqlite@3.2.0" (instance
        (export "connection" (type $conn (sub resource)))
        (export "[method]connection.changes" (func (param "self" (borrow $conn)) (result u64)))
      ))
    )"#;
    assert_eq!(stubbed_imports(wat), ["spin:sqlite/sqlite@3.2.0"]);
}
