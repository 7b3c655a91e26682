//! Kiln's one parser for durations and byte sizes, shared by every
//! command-line flag of `kiln up` and every `KILN_*` variable of the shim,
//! so `30`, `30s`, `500ms` and `2m` mean the same thing everywhere.
//!
//! Durations: a non-negative number (fractions allowed) with an optional
//! unit `ms`, `s`, `m` or `h`; a bare number is seconds. `0` is a zero
//! duration (no wait), never "no limit": a flag with no limit by default
//! says so by being left out.
//!
//! Byte sizes: digits with an optional binary suffix `K`, `M`, `G` (also
//! `KB`/`KiB` …; 1K = 1024 bytes).
//!
//! It refuses negative, non-finite and overflowing values and unknown units;
//! it knows nothing about which flag it parses for.

use std::time::Duration;

/// Why a duration or byte size was refused. Displays as a one-line message
/// naming the text, suitable after a flag or variable name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The number part is missing or malformed.
    #[error("`{0}` is not a duration (e.g. 500ms, 2s, 1m)")]
    NotADuration(String),
    /// The unit after the number is not `ms`, `s`, `m` or `h`.
    #[error("`{text}`: unknown unit `{unit}` (use ms, s, m or h)")]
    UnknownUnit {
        /// The whole text given.
        text: String,
        /// The unit found.
        unit: String,
    },
    /// The number is too large for a duration.
    #[error("`{0}` is not a usable duration")]
    DurationOutOfRange(String),
    /// The number part of a byte size is missing or malformed.
    #[error("`{0}` is not a byte size (e.g. 1048576, 64K, 512M, 1G)")]
    NotAByteSize(String),
    /// The suffix after a byte count is not `K`, `M` or `G`.
    #[error("`{text}`: unknown size suffix `{suffix}` (use K, M or G)")]
    UnknownSuffix {
        /// The whole text given.
        text: String,
        /// The suffix found.
        suffix: String,
    },
    /// The byte size does not fit in 64 bits.
    #[error("`{0}` is too large")]
    SizeTooLarge(String),
}

/// Splits `text` (trimmed) where the number (characters of `number_chars`) ends.
fn split_number(text: &str, number_chars: impl Fn(char) -> bool) -> (&str, &str) {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !number_chars(c)).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    (number, unit.trim())
}

/// Parses a duration: `500ms`, `2s`, `1.5s`, `2m`, `1h`, or a bare number of
/// seconds (`30`). `0` is a zero duration.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let (number, unit) = split_number(text, |c| c.is_ascii_digit() || c == '.');
    let number: f64 = number
        .parse()
        .map_err(|_| UnitError::NotADuration(text.to_string()))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        other => {
            return Err(UnitError::UnknownUnit { text: text.to_string(), unit: other.to_string() })
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| UnitError::DurationOutOfRange(text.to_string()))
}

/// Parses a byte count: digits with an optional binary suffix, `K`, `M` or
/// `G` (also `KB`/`KiB` …; 1K = 1024 bytes).
pub fn parse_byte_size(text: &str) -> Result<u64, UnitError> {
    let (number, suffix) = split_number(text, |c| c.is_ascii_digit());
    let number: u64 = number
        .parse()
        .map_err(|_| UnitError::NotAByteSize(text.to_string()))?;
    let shift = match suffix.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => {
            return Err(UnitError::UnknownSuffix { text: text.to_string(), suffix: suffix.to_string() })
        }
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| UnitError::SizeTooLarge(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_every_unit_and_bare_seconds() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration(" 2 s "), Ok(Duration::from_secs(2)));
    }

    #[test]
    fn zero_is_a_zero_duration() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0ms"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations_are_refused() {
        assert!(parse_duration("2 weeks").unwrap_err().to_string().contains("unit"));
        assert!(matches!(parse_duration("soon"), Err(UnitError::NotADuration(_))));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("inf").is_err());
        assert!(parse_duration("1e400").is_err());
        assert_eq!(
            parse_duration("99999999999999999999999h"),
            Err(UnitError::DurationOutOfRange("99999999999999999999999h".into()))
        );
    }

    #[test]
    fn byte_sizes_take_binary_suffixes() {
        assert_eq!(parse_byte_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_byte_size("64K"), Ok(64 << 10));
        assert_eq!(parse_byte_size("512m"), Ok(512 << 20));
        assert_eq!(parse_byte_size("1GiB"), Ok(1 << 30));
        assert!(parse_byte_size("12X").unwrap_err().to_string().contains("suffix"));
        assert!(parse_byte_size("lots").is_err());
        assert!(parse_byte_size("99999999999999999999G").is_err());
    }
}
