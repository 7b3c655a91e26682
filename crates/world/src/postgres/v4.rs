//! `spin:postgres/postgres@4.0.0`: every value [`kiln_outbound_pg`] knows
//! (UUIDs, JSON, decimals, ranges, arrays, intervals) and structured
//! PostgreSQL errors.

use super::PgConnectionHandle;
use crate::rdbms_common::bindings::spin::postgres4_0_0::postgres as v4;
use crate::rdbms_common::{each, host_connection};
use crate::HostState;

/// Conversions between [`kiln_outbound_pg`]'s values and a
/// `spin:postgres/postgres@4.x` interface's types. 4.0.0 and 4.2.0 (Preview
/// 3, in [`super::p3`]) declare the same types, but bindgen generates each
/// version's apart, so the code is stamped out per version.
macro_rules! pg_v4_conversions {
    ($($v4:ident)::+) => {
        use kiln_outbound_pg as pg;
        use $($v4)::+ as v4;
        use $crate::rdbms_common::{convert, convert_unit};

        type V4Bound<T> = Option<(T, v4::RangeBoundKind)>;

        fn range_from<T>((lo, hi): (V4Bound<T>, V4Bound<T>)) -> (pg::Bound<T>, pg::Bound<T>) {
            use pg::BoundKind as P;
            use v4::RangeBoundKind as K;
            let bound = |b: V4Bound<T>| b.map(|(v, k)| (v, convert_unit!(k, K => P, [Inclusive, Exclusive])));
            (bound(lo), bound(hi))
        }

        fn range_to<T>((lo, hi): (pg::Bound<T>, pg::Bound<T>)) -> (V4Bound<T>, V4Bound<T>) {
            use pg::BoundKind as P;
            use v4::RangeBoundKind as K;
            let bound = |b: pg::Bound<T>| b.map(|(v, k)| (v, convert_unit!(k, P => K, [Inclusive, Exclusive])));
            (bound(lo), bound(hi))
        }

        pub(crate) fn pg_param_v4(value: v4::ParameterValue) -> pg::Value {
            use pg::Value as V;
            use v4::ParameterValue as P;
            convert!(value, P => V, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary,
                    Date, Time, Datetime, Timestamp, Uuid, Jsonb, Decimal, ArrayInt32, ArrayInt64, ArrayDecimal, ArrayStr],
                P::RangeInt32(r) => V::RangeInt32(range_from(r)),
                P::RangeInt64(r) => V::RangeInt64(range_from(r)),
                P::RangeDecimal(r) => V::RangeDecimal(range_from(r)),
                P::Interval(i) => V::Interval(pg::Interval { micros: i.micros, days: i.days, months: i.months }),
                P::DbNull => V::Null,
            )
        }

        pub(crate) fn pg_value_v4(value: pg::Value) -> v4::DbValue {
            use pg::Value as V;
            use v4::DbValue as D;
            convert!(value, V => D, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary,
                    Date, Time, Datetime, Timestamp, Uuid, Jsonb, Decimal, ArrayInt32, ArrayInt64, ArrayDecimal, ArrayStr,
                    Unsupported],
                V::RangeInt32(r) => D::RangeInt32(range_to(r)),
                V::RangeInt64(r) => D::RangeInt64(range_to(r)),
                V::RangeDecimal(r) => D::RangeDecimal(range_to(r)),
                V::Interval(i) => D::Interval(v4::Interval { micros: i.micros, days: i.days, months: i.months }),
                V::Null => D::DbNull,
            )
        }

        pub(crate) fn pg_type_v4(ty: pg::DataType) -> v4::DbDataType {
            use pg::DataType as P;
            use v4::DbDataType as T;
            convert_unit!(ty, P => T, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary,
                    Date, Time, Datetime, Timestamp, Uuid, Jsonb, Decimal, RangeInt32, RangeInt64, RangeDecimal,
                    ArrayInt32, ArrayInt64, ArrayDecimal, ArrayStr, Interval],
                P::Other(name) => T::Other(name),
            )
        }

        impl From<pg::Error> for v4::Error {
            fn from(err: pg::Error) -> Self {
                use pg::Error as E;
                use v4::Error as V;
                $crate::rdbms_common::convert_error!(err, E => V, query: query_error, other: Other)
            }
        }

        /// A failed statement's error, structured when PostgreSQL sent one.
        fn query_error(err: pg::QueryError) -> v4::QueryError {
            match err {
                pg::QueryError::Text(m) => v4::QueryError::Text(m),
                pg::QueryError::Db(e) => {
                    let pg::DbError { as_text, severity, code, message, detail, extras } = *e;
                    v4::QueryError::DbError(v4::DbError { as_text, severity, code, message, detail, extras })
                }
            }
        }
    };
}
pub(crate) use pg_v4_conversions;

/// The 4.0.0 conversions.
mod convert {
    super::pg_v4_conversions!(crate::rdbms_common::bindings::spin::postgres4_0_0::postgres);
}
use convert::{pg_param_v4 as param, pg_type_v4 as data_type, pg_value_v4 as value};

impl v4::Host for HostState {}

host_connection!(v4, v4, PgConnectionHandle, open: open_pg, get: pg, params: each(param), execute: u64,
    data_type: data_type, value: value);
