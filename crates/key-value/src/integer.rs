//! The counter encoding shared by every backend: decimal ASCII text, as Redis
//! `INCRBY` reads and writes it.

use crate::Error;

/// Parses a stored value as a counter; `None` (absent) counts as zero.
pub(crate) fn parse(value: Option<&[u8]>) -> Result<i64, Error> {
    let Some(bytes) = value else {
        return Ok(0);
    };
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse::<i64>().ok())
        .ok_or_else(|| Error::Other("value is not an integer".into()))
}

/// `current + delta`, or an error instead of wrapping.
pub(crate) fn add(current: i64, delta: i64) -> Result<i64, Error> {
    current
        .checked_add(delta)
        .ok_or_else(|| Error::Other("increment would overflow".into()))
}

/// The stored form of a counter.
pub(crate) fn encode(value: i64) -> Vec<u8> {
    value.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_is_zero() {
        assert_eq!(parse(None), Ok(0));
    }

    #[test]
    fn decimal_text_round_trips_including_extremes() {
        for n in [0, -1, 42, i64::MIN, i64::MAX] {
            assert_eq!(parse(Some(&encode(n))), Ok(n));
        }
    }

    #[test]
    fn rejects_what_redis_rejects() {
        for bad in [&b"abc"[..], b"1.5", b" 1", b"", b"\xff"] {
            assert!(matches!(parse(Some(bad)), Err(Error::Other(_))), "{bad:?}");
        }
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(add(i64::MAX, 1).is_err());
        assert_eq!(add(-5, 7), Ok(2));
    }
}
