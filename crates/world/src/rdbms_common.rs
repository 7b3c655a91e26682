//! What the PostgreSQL and MySQL capabilities share: the bindings of the
//! interface versions that declare a common `rdbms-types` (Spin 1 and
//! `@2.0.0`, plus PostgreSQL's 3.0.0 and 4.0.0 from the same world), the
//! grant-refusal message, and the small macros that stamp out the
//! variant-by-variant conversions between a backend's values and an
//! interface version's.
//!
//! One bindgen world holds every non-P3 version so each `rdbms-types`
//! interface is generated, and linked ([`add_types_to_linker`]), once.

use wasmtime::component::{HasSelf, Linker};

use crate::HostState;

pub(crate) mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "kiln:host/rdbms",
        imports: { default: async | trappable },
        with: {
            "fermyon:spin/postgres.connection": crate::postgres::PgConnectionHandle,
            "spin:postgres/postgres.connection": crate::postgres::PgConnectionHandle,
            "fermyon:spin/mysql.connection": crate::mysql::MysqlConnectionHandle,
        },
    });
}

pub(crate) use bindings::fermyon::spin::rdbms_types as types_v1;
pub(crate) use bindings::fermyon::spin2_0_0::rdbms_types as types_v2;

/// The type-only interfaces both databases' Spin 1 and `@2.0.0` versions use.
pub(crate) const TYPE_INTERFACES: &[&str] = &["fermyon:spin/rdbms-types", "fermyon:spin/rdbms-types@2.0.0"];

/// Links the shared `rdbms-types` interfaces (once, for both databases).
pub fn add_types_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    types_v1::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)?;
    types_v2::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

impl types_v1::Host for HostState {}
impl types_v2::Host for HostState {}

/// A host function's result: `Err` traps the guest.
pub(crate) type Trappable<T> = wasmtime::Result<T>;

/// Why a guest may not reach `scheme://host:port` (addresses carry
/// credentials, so only host and port are named).
pub(crate) fn not_allowed(scheme: &str, host: &str, port: u16) -> String {
    format!("{scheme}://{host}:{port} is not allowed by the component's allowed_outbound_hosts, or is in block_networks")
}

/// Converts every value, stopping at the first that cannot be.
pub(crate) fn collect<T, U>(values: Vec<T>, f: impl Fn(T) -> Result<U, String>) -> Result<Vec<U>, String> {
    values.into_iter().map(f).collect()
}

/// Maps an enum onto another whose variants carry the same payloads under
/// the same names: `convert!(value, From => To, [A, B], extra arms…)`,
/// where `From`/`To` are the enums (imported as single names) and the
/// trailing arms handle unit variants and the variants that differ.
macro_rules! convert {
    ($value:expr, $from:ident => $to:ident, [$($v:ident),* $(,)?] $(, $p:pat => $e:expr)* $(,)?) => {
        match $value {
            $($from::$v(x) => $to::$v(x),)*
            $($p => $e,)*
        }
    };
}
pub(crate) use convert;

/// Like [`convert!`], for fieldless variants (column types).
macro_rules! convert_unit {
    ($value:expr, $from:ident => $to:ident, [$($v:ident),* $(,)?] $(, $p:pat => $e:expr)* $(,)?) => {
        match $value {
            $($from::$v => $to::$v,)*
            $($p => $e,)*
        }
    };
}
pub(crate) use convert_unit;

/// Maps a backend error onto an interface's `error` variant, whose
/// `query-failed` is built by `$query` and whose catch-all is `$other`.
macro_rules! convert_error {
    ($err:expr, $from:ident => $to:ident, query: $query:expr, other: $other:ident) => {
        match $err {
            $from::ConnectionFailed(m) => $to::ConnectionFailed(m),
            $from::BadParameter(m) => $to::BadParameter(m),
            $from::QueryFailed(q) => $to::QueryFailed($query(q)),
            $from::ValueConversionFailed(m) => $to::ValueConversionFailed(m),
            $from::Other(m) => $to::$other(m),
        }
    };
}
pub(crate) use convert_error;

/// A backend `RowSet` as an interface's `row-set`, converting each column
/// type with `$ty` and each value with `$value`.
macro_rules! row_set {
    ($rows:expr, $iface:ident, $ty:expr, $value:expr) => {{
        let rows = $rows;
        $iface::RowSet {
            columns: rows
                .columns
                .into_iter()
                .map(|c| $iface::Column { name: c.name, data_type: $ty(c.data_type) })
                .collect(),
            rows: rows.rows.into_iter().map(|row| row.into_iter().map($value).collect()).collect(),
        }
    }};
}
pub(crate) use row_set;
