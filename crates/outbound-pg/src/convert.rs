//! Conversions between [`Value`]s and PostgreSQL's binary wire format.
//!
//! Parameters are checked and parsed once ([`Param::new`]) so a malformed
//! UUID, decimal or JSON text is a `bad-parameter` error before anything is
//! sent; each is then encoded for the type PostgreSQL inferred for its
//! placeholder, and refused (not coerced) when the two disagree. Results are
//! decoded by column type; a type without a conversion comes back as
//! [`Value::Unsupported`] with its raw bytes rather than failing the query.

use std::error::Error as StdError;
use std::str::FromStr;

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use postgres_protocol::types::{self as proto, RangeBound};
use rust_decimal::Decimal;
use tokio_postgres::types::{FromSql, IsNull, Kind, ToSql, Type};

use crate::value::{Bound, BoundKind, DataType, Interval, Value};
use crate::Error;

type BoxError = Box<dyn StdError + Sync + Send>;

/// A parameter, parsed and ready to encode.
#[derive(Debug)]
pub(crate) enum Param {
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Floating32(f32),
    Floating64(f64),
    Str(String),
    Binary(Vec<u8>),
    Date(NaiveDate),
    Time(NaiveTime),
    Datetime(NaiveDateTime),
    Timestamp(i64),
    Uuid(uuid::Uuid),
    Json(serde_json::Value),
    Decimal(Decimal),
    RangeInt32((Bound<i32>, Bound<i32>)),
    RangeInt64((Bound<i64>, Bound<i64>)),
    RangeDecimal((Bound<Decimal>, Bound<Decimal>)),
    ArrayInt32(Vec<Option<i32>>),
    ArrayInt64(Vec<Option<i64>>),
    ArrayDecimal(Vec<Option<Decimal>>),
    ArrayStr(Vec<Option<String>>),
    Interval(Interval),
    Null,
}

fn bad(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::BadParameter(format!("invalid {what}: {detail}"))
}

fn decimal(text: &str) -> Result<Decimal, Error> {
    Decimal::from_str(text).map_err(|e| bad("decimal", e))
}

fn map_bound<T, U>(bound: Bound<T>, f: impl FnOnce(T) -> Result<U, Error>) -> Result<Bound<U>, Error> {
    bound.map(|(v, kind)| Ok((f(v)?, kind))).transpose()
}

impl Param {
    /// Parses `value` for sending.
    pub(crate) fn new(value: Value) -> Result<Self, Error> {
        Ok(match value {
            Value::Boolean(v) => Param::Boolean(v),
            Value::Int8(v) => Param::Int8(v),
            Value::Int16(v) => Param::Int16(v),
            Value::Int32(v) => Param::Int32(v),
            Value::Int64(v) => Param::Int64(v),
            Value::Floating32(v) => Param::Floating32(v),
            Value::Floating64(v) => Param::Floating64(v),
            Value::Str(v) => Param::Str(v),
            Value::Binary(v) => Param::Binary(v),
            Value::Date((y, m, d)) => Param::Date(
                NaiveDate::from_ymd_opt(y, m.into(), d.into()).ok_or_else(|| bad("date", format!("{y}-{m}-{d}")))?,
            ),
            Value::Time((h, m, s, ns)) => Param::Time(
                NaiveTime::from_hms_nano_opt(h.into(), m.into(), s.into(), ns)
                    .ok_or_else(|| bad("time", format!("{h}:{m}:{s}.{ns}")))?,
            ),
            Value::Datetime((y, mo, d, h, mi, s, ns)) => {
                let date = NaiveDate::from_ymd_opt(y, mo.into(), d.into())
                    .ok_or_else(|| bad("datetime", format!("{y}-{mo}-{d}")))?;
                let time = NaiveTime::from_hms_nano_opt(h.into(), mi.into(), s.into(), ns)
                    .ok_or_else(|| bad("datetime", format!("{h}:{mi}:{s}.{ns}")))?;
                Param::Datetime(NaiveDateTime::new(date, time))
            }
            Value::Timestamp(v) => Param::Timestamp(v),
            Value::Uuid(v) => Param::Uuid(uuid::Uuid::parse_str(&v).map_err(|e| bad("uuid", e))?),
            Value::Jsonb(v) => Param::Json(serde_json::from_slice(&v).map_err(|e| bad("jsonb", e))?),
            Value::Decimal(v) => Param::Decimal(decimal(&v)?),
            Value::RangeInt32(r) => Param::RangeInt32(r),
            Value::RangeInt64(r) => Param::RangeInt64(r),
            Value::RangeDecimal((lo, hi)) => {
                Param::RangeDecimal((map_bound(lo, |v| decimal(&v))?, map_bound(hi, |v| decimal(&v))?))
            }
            Value::ArrayInt32(v) => Param::ArrayInt32(v),
            Value::ArrayInt64(v) => Param::ArrayInt64(v),
            Value::ArrayDecimal(v) => Param::ArrayDecimal(
                v.into_iter().map(|d| d.map(|d| decimal(&d)).transpose()).collect::<Result<_, _>>()?,
            ),
            Value::ArrayStr(v) => Param::ArrayStr(v),
            Value::Interval(v) => Param::Interval(v),
            Value::Null => Param::Null,
            Value::Unsupported(_) => {
                return Err(Error::BadParameter("an unsupported value cannot be a parameter".into()))
            }
        })
    }
}

/// Encodes `value` as `ty`, refusing a type `T` does not encode.
fn put<T: ToSql>(value: &T, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    if !T::accepts(ty) {
        return Err(format!("a {} parameter cannot be sent as PostgreSQL type {ty}", std::any::type_name::<T>()).into());
    }
    value.to_sql(ty, out)
}

fn range_to_sql<T: ToSql>(range: &(Bound<T>, Bound<T>), ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    let Kind::Range(element) = ty.kind() else {
        return Err(format!("a range parameter cannot be sent as PostgreSQL type {ty}").into());
    };
    let bound = |bound: &Bound<T>, buf: &mut BytesMut| -> Result<RangeBound<postgres_protocol::IsNull>, BoxError> {
        match bound {
            None => Ok(RangeBound::Unbounded),
            Some((value, kind)) => {
                let is_null = match put(value, element, buf)? {
                    IsNull::Yes => postgres_protocol::IsNull::Yes,
                    IsNull::No => postgres_protocol::IsNull::No,
                };
                Ok(match kind {
                    BoundKind::Inclusive => RangeBound::Inclusive(is_null),
                    BoundKind::Exclusive => RangeBound::Exclusive(is_null),
                })
            }
        }
    };
    proto::range_to_sql(|buf| bound(&range.0, buf), |buf| bound(&range.1, buf), out)?;
    Ok(IsNull::No)
}

impl ToSql for Param {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Param::Boolean(v) => put(v, ty, out),
            Param::Int8(v) => put(v, ty, out),
            Param::Int16(v) => put(v, ty, out),
            Param::Int32(v) => put(v, ty, out),
            Param::Int64(v) => put(v, ty, out),
            Param::Floating32(v) => put(v, ty, out),
            Param::Floating64(v) => put(v, ty, out),
            Param::Str(v) => put(v, ty, out),
            Param::Binary(v) => put(v, ty, out),
            Param::Date(v) => put(v, ty, out),
            Param::Time(v) => put(v, ty, out),
            Param::Datetime(v) if *ty == Type::TIMESTAMPTZ => put(&v.and_utc(), ty, out),
            Param::Datetime(v) => put(v, ty, out),
            Param::Timestamp(secs) if *ty == Type::TIMESTAMPTZ || *ty == Type::TIMESTAMP => {
                let at = DateTime::<Utc>::from_timestamp(*secs, 0).ok_or("timestamp out of range")?;
                if *ty == Type::TIMESTAMP {
                    put(&at.naive_utc(), ty, out)
                } else {
                    put(&at, ty, out)
                }
            }
            Param::Timestamp(v) => put(v, ty, out),
            Param::Uuid(v) => put(v, ty, out),
            Param::Json(v) => put(v, ty, out),
            Param::Decimal(v) => put(v, ty, out),
            Param::RangeInt32(r) => range_to_sql(r, ty, out),
            Param::RangeInt64(r) => range_to_sql(r, ty, out),
            Param::RangeDecimal(r) => range_to_sql(r, ty, out),
            Param::ArrayInt32(v) => put(v, ty, out),
            Param::ArrayInt64(v) => put(v, ty, out),
            Param::ArrayDecimal(v) => put(v, ty, out),
            Param::ArrayStr(v) => put(v, ty, out),
            Param::Interval(v) => {
                if *ty != Type::INTERVAL {
                    return Err(format!("an interval parameter cannot be sent as PostgreSQL type {ty}").into());
                }
                out.put_i64(v.micros);
                out.put_i32(v.days);
                out.put_i32(v.months);
                Ok(IsNull::No)
            }
            Param::Null => Ok(IsNull::Yes),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        // Checked per value in `to_sql`, where the value's kind is known.
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// One returned column value, decoded by its column type.
pub(crate) struct Cell(pub(crate) Value);

fn get<'a, T: FromSql<'a>>(ty: &Type, raw: &'a [u8]) -> Result<T, BoxError> {
    T::from_sql(ty, raw)
}

/// A range's bounds; `None` for the empty range, which the interfaces cannot
/// represent (unbounded on both sides means "everything").
type Bounds<T> = Option<(Bound<T>, Bound<T>)>;

fn range_from_sql<'a, T: FromSql<'a>>(ty: &Type, raw: &'a [u8]) -> Result<Bounds<T>, BoxError> {
    let Kind::Range(element) = ty.kind() else { return Err("not a range type".into()) };
    let bound = |bound: RangeBound<Option<&'a [u8]>>| -> Result<Bound<T>, BoxError> {
        Ok(match bound {
            RangeBound::Unbounded => None,
            RangeBound::Inclusive(Some(raw)) => Some((T::from_sql(element, raw)?, BoundKind::Inclusive)),
            RangeBound::Exclusive(Some(raw)) => Some((T::from_sql(element, raw)?, BoundKind::Exclusive)),
            RangeBound::Inclusive(None) | RangeBound::Exclusive(None) => None,
        })
    };
    match proto::range_from_sql(raw)? {
        proto::Range::Empty => Ok(None),
        proto::Range::Nonempty(lo, hi) => Ok(Some((bound(lo)?, bound(hi)?))),
    }
}

fn date(d: NaiveDate) -> (i32, u8, u8) {
    (d.year(), d.month() as u8, d.day() as u8)
}

fn time(t: NaiveTime) -> (u8, u8, u8, u32) {
    (t.hour() as u8, t.minute() as u8, t.second() as u8, t.nanosecond())
}

fn datetime(dt: NaiveDateTime) -> (i32, u8, u8, u8, u8, u8, u32) {
    let (y, mo, d) = date(dt.date());
    let (h, mi, s, ns) = time(dt.time());
    (y, mo, d, h, mi, s, ns)
}

fn decimals(v: Vec<Option<Decimal>>) -> Vec<Option<String>> {
    v.into_iter().map(|d| d.map(|d| d.to_string())).collect()
}

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let value = match *ty {
            Type::BOOL => Value::Boolean(get(ty, raw)?),
            Type::CHAR => Value::Int8(get(ty, raw)?),
            Type::INT2 => Value::Int16(get(ty, raw)?),
            Type::INT4 => Value::Int32(get(ty, raw)?),
            Type::INT8 => Value::Int64(get(ty, raw)?),
            Type::FLOAT4 => Value::Floating32(get(ty, raw)?),
            Type::FLOAT8 => Value::Floating64(get(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => Value::Str(get(ty, raw)?),
            Type::BYTEA => Value::Binary(get(ty, raw)?),
            Type::DATE => Value::Date(date(get(ty, raw)?)),
            Type::TIME => Value::Time(time(get(ty, raw)?)),
            Type::TIMESTAMP => Value::Datetime(datetime(get(ty, raw)?)),
            Type::TIMESTAMPTZ => Value::Datetime(datetime(get::<DateTime<Utc>>(ty, raw)?.naive_utc())),
            Type::UUID => Value::Uuid(get::<uuid::Uuid>(ty, raw)?.hyphenated().to_string()),
            Type::JSON | Type::JSONB => Value::Jsonb(serde_json::to_vec(&get::<serde_json::Value>(ty, raw)?)?),
            Type::NUMERIC => Value::Decimal(get::<Decimal>(ty, raw)?.to_string()),
            Type::INT4_RANGE => {
                range_from_sql(ty, raw)?.map_or_else(|| Value::Unsupported(raw.to_vec()), Value::RangeInt32)
            }
            Type::INT8_RANGE => {
                range_from_sql(ty, raw)?.map_or_else(|| Value::Unsupported(raw.to_vec()), Value::RangeInt64)
            }
            Type::NUM_RANGE => match range_from_sql::<Decimal>(ty, raw)? {
                None => Value::Unsupported(raw.to_vec()),
                Some((lo, hi)) => {
                    let text = |b: Bound<Decimal>| b.map(|(d, k)| (d.to_string(), k));
                    Value::RangeDecimal((text(lo), text(hi)))
                }
            },
            Type::INT4_ARRAY => Value::ArrayInt32(get(ty, raw)?),
            Type::INT8_ARRAY => Value::ArrayInt64(get(ty, raw)?),
            Type::NUMERIC_ARRAY => Value::ArrayDecimal(decimals(get(ty, raw)?)),
            Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => Value::ArrayStr(get(ty, raw)?),
            Type::INTERVAL => {
                if raw.len() != 16 {
                    return Err("invalid interval".into());
                }
                let mut micros = [0u8; 8];
                micros.copy_from_slice(&raw[0..8]);
                let mut days = [0u8; 4];
                days.copy_from_slice(&raw[8..12]);
                let mut months = [0u8; 4];
                months.copy_from_slice(&raw[12..16]);
                Value::Interval(Interval {
                    micros: i64::from_be_bytes(micros),
                    days: i32::from_be_bytes(days),
                    months: i32::from_be_bytes(months),
                })
            }
            _ => Value::Unsupported(raw.to_vec()),
        };
        Ok(Cell(value))
    }

    fn from_sql_null(_ty: &Type) -> Result<Self, BoxError> {
        Ok(Cell(Value::Null))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

/// The interface type of a column of PostgreSQL type `ty`.
pub(crate) fn data_type(ty: &Type) -> DataType {
    match *ty {
        Type::BOOL => DataType::Boolean,
        Type::CHAR => DataType::Int8,
        Type::INT2 => DataType::Int16,
        Type::INT4 => DataType::Int32,
        Type::INT8 => DataType::Int64,
        Type::FLOAT4 => DataType::Floating32,
        Type::FLOAT8 => DataType::Floating64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => DataType::Str,
        Type::BYTEA => DataType::Binary,
        Type::DATE => DataType::Date,
        Type::TIME => DataType::Time,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => DataType::Datetime,
        Type::UUID => DataType::Uuid,
        Type::JSON | Type::JSONB => DataType::Jsonb,
        Type::NUMERIC => DataType::Decimal,
        Type::INT4_RANGE => DataType::RangeInt32,
        Type::INT8_RANGE => DataType::RangeInt64,
        Type::NUM_RANGE => DataType::RangeDecimal,
        Type::INT4_ARRAY => DataType::ArrayInt32,
        Type::INT8_ARRAY => DataType::ArrayInt64,
        Type::NUMERIC_ARRAY => DataType::ArrayDecimal,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => DataType::ArrayStr,
        Type::INTERVAL => DataType::Interval,
        _ => DataType::Other(ty.name().to_string()),
    }
}
