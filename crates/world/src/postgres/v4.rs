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

        fn kind_from(kind: v4::RangeBoundKind) -> pg::BoundKind {
            use {pg::BoundKind as P, v4::RangeBoundKind as K};
            convert_unit!(kind, K => P, [Inclusive, Exclusive])
        }

        fn kind_to(kind: pg::BoundKind) -> v4::RangeBoundKind {
            use {pg::BoundKind as P, v4::RangeBoundKind as K};
            convert_unit!(kind, P => K, [Inclusive, Exclusive])
        }

        pub(crate) fn pg_param_v4(value: v4::ParameterValue) -> pg::Value {
            use pg::Value as V;
            use v4::ParameterValue as P;
            convert!(value, P => V, [Boolean, Int8, Int16, Int32, Int64, Floating32, Floating64, Str, Binary,
                    Date, Time, Datetime, Timestamp, Uuid, Jsonb, Decimal, ArrayInt32, ArrayInt64, ArrayDecimal, ArrayStr],
                P::RangeInt32(r) => V::RangeInt32($crate::postgres::v4::range(r, kind_from)),
                P::RangeInt64(r) => V::RangeInt64($crate::postgres::v4::range(r, kind_from)),
                P::RangeDecimal(r) => V::RangeDecimal($crate::postgres::v4::range(r, kind_from)),
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
                V::RangeInt32(r) => D::RangeInt32($crate::postgres::v4::range(r, kind_to)),
                V::RangeInt64(r) => D::RangeInt64($crate::postgres::v4::range(r, kind_to)),
                V::RangeDecimal(r) => D::RangeDecimal($crate::postgres::v4::range(r, kind_to)),
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

/// A range's bounds, `None` where unbounded.
type Range<T, K> = (Option<(T, K)>, Option<(T, K)>);

/// A range with the kind of each bound converted by `kind`.
pub(crate) fn range<T, A, B>((lo, hi): Range<T, A>, kind: fn(A) -> B) -> Range<T, B> {
    let bound = |b: Option<(T, A)>| b.map(|(v, k)| (v, kind(k)));
    (bound(lo), bound(hi))
}

/// The 4.0.0 conversions.
mod convert {
    super::pg_v4_conversions!(crate::rdbms_common::bindings::spin::postgres4_0_0::postgres);
}
use convert::{pg_param_v4 as param, pg_type_v4 as data_type, pg_value_v4 as value};

impl v4::Host for HostState {}

host_connection!(v4, v4, PgConnectionHandle, open: open_pg, get: pg, params: each(param), execute: u64,
    data_type: data_type, value: value);
