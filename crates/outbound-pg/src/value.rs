//! The values, column types and results the PostgreSQL interfaces exchange,
//! as the newest interface (`spin:postgres@4.0.0`) declares them; older
//! interface versions use a subset.

/// Whether a range bound includes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKind {
    /// `[` or `]`: the bound value is part of the range.
    Inclusive,
    /// `(` or `)`: the bound value is not part of the range.
    Exclusive,
}

/// One end of a range: `None` is unbounded.
pub type Bound<T> = Option<(T, BoundKind)>;

/// A PostgreSQL `interval`, in the units PostgreSQL stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Microseconds.
    pub micros: i64,
    /// Days.
    pub days: i32,
    /// Months.
    pub months: i32,
}

/// A value: a query parameter or a column of a returned row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `boolean`.
    Boolean(bool),
    /// `"char"` (a one-byte integer).
    Int8(i8),
    /// `smallint`.
    Int16(i16),
    /// `integer`.
    Int32(i32),
    /// `bigint`.
    Int64(i64),
    /// `real`.
    Floating32(f32),
    /// `double precision`.
    Floating64(f64),
    /// `text`, `varchar`, `char(n)`, `name`.
    Str(String),
    /// `bytea`.
    Binary(Vec<u8>),
    /// `date`: (year, month, day).
    Date((i32, u8, u8)),
    /// `time`: (hour, minute, second, nanosecond).
    Time((u8, u8, u8, u32)),
    /// `timestamp` / `timestamptz` in UTC: (year, month, day, hour, minute,
    /// second, nanosecond).
    Datetime((i32, u8, u8, u8, u8, u8, u32)),
    /// Seconds since the Unix epoch, sent as a `timestamptz` parameter.
    Timestamp(i64),
    /// `uuid`, in its hyphenated text form.
    Uuid(String),
    /// `jsonb` (and `json`), as UTF-8 JSON text.
    Jsonb(Vec<u8>),
    /// `numeric`, in base 10.
    Decimal(String),
    /// `int4range`.
    RangeInt32((Bound<i32>, Bound<i32>)),
    /// `int8range`.
    RangeInt64((Bound<i64>, Bound<i64>)),
    /// `numrange`, bounds in base 10.
    RangeDecimal((Bound<String>, Bound<String>)),
    /// `integer[]`.
    ArrayInt32(Vec<Option<i32>>),
    /// `bigint[]`.
    ArrayInt64(Vec<Option<i64>>),
    /// `numeric[]`, in base 10.
    ArrayDecimal(Vec<Option<String>>),
    /// `text[]` / `varchar[]`.
    ArrayStr(Vec<Option<String>>),
    /// `interval`.
    Interval(Interval),
    /// SQL `NULL`.
    Null,
    /// A column of a type Kiln does not convert: its raw binary encoding.
    Unsupported(Vec<u8>),
}

/// A column's type, as the interfaces name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataType {
    /// `boolean`.
    Boolean,
    /// `"char"`.
    Int8,
    /// `smallint`.
    Int16,
    /// `integer`.
    Int32,
    /// `bigint`.
    Int64,
    /// `real`.
    Floating32,
    /// `double precision`.
    Floating64,
    /// Text types.
    Str,
    /// `bytea`.
    Binary,
    /// `date`.
    Date,
    /// `time`.
    Time,
    /// `timestamp` / `timestamptz`.
    Datetime,
    /// Not produced by PostgreSQL columns; listed for completeness.
    Timestamp,
    /// `uuid`.
    Uuid,
    /// `jsonb` / `json`.
    Jsonb,
    /// `numeric`.
    Decimal,
    /// `int4range`.
    RangeInt32,
    /// `int8range`.
    RangeInt64,
    /// `numrange`.
    RangeDecimal,
    /// `integer[]`.
    ArrayInt32,
    /// `bigint[]`.
    ArrayInt64,
    /// `numeric[]`.
    ArrayDecimal,
    /// `text[]` / `varchar[]`.
    ArrayStr,
    /// `interval`.
    Interval,
    /// Anything else, with PostgreSQL's type name.
    Other(String),
}

/// A result column: its name and type.
pub type Column = kiln_rdbms::Column<DataType>;

/// What a query returned.
pub type RowSet = kiln_rdbms::RowSet<Value, DataType>;
