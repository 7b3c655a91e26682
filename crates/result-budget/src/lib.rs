//! The host-memory budget for one buffered database result set.
//!
//! A guest's `query` returns every row at once, so the host buffers the
//! whole result before handing it over. Left unbounded, one `SELECT` over a
//! large table could take the process's memory; [`ResultBudget`] counts what
//! the rows read so far cost and stops the read past the cap
//! (`--max-buffered-bytes`, 64 MiB unless set).
//!
//! Each database crate says what its own values cost ([`HostSize`]); the
//! counting, the per-row overhead and the error the guest sees are here, the
//! same for SQLite, PostgreSQL and MySQL.

/// The most bytes of one result set a connection buffers unless told
/// otherwise (the same default as `--max-buffered-bytes`).
pub const DEFAULT_MAX_RESULT_BYTES: usize = 64 << 20;

/// What one row costs besides its values (its `Vec`, roughly), so a result
/// of very many tiny rows is counted too.
pub const ROW_OVERHEAD: usize = 24;

/// A value's rough cost in host memory: its payload (text and bytes by
/// length, numbers and other fixed-size values by a word or two).
pub trait HostSize {
    /// The bytes this value holds.
    fn host_size(&self) -> usize;
}

/// What a row costs in host memory: its values plus [`ROW_OVERHEAD`].
pub fn row_size<V: HostSize>(row: &[V]) -> usize {
    ROW_OVERHEAD + row.iter().map(HostSize::host_size).sum::<usize>()
}

/// A result set grew past the cap; its message names the limit and the flag
/// that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("result set exceeds the host's {limit}-byte limit for buffered data (--max-buffered-bytes)")]
pub struct TooLarge {
    /// The cap in bytes.
    pub limit: usize,
}

/// The running total of one result set against its cap.
#[derive(Debug, Clone)]
pub struct ResultBudget {
    limit: usize,
    used: usize,
    rows: usize,
}

impl ResultBudget {
    /// A budget of `limit` bytes, none used.
    pub fn new(limit: usize) -> Self {
        Self { limit, used: 0, rows: 0 }
    }

    /// Counts one more row; past the cap it fails (and logs which database
    /// stopped and after how many rows), and the caller stops reading.
    pub fn charge<V: HostSize>(&mut self, database: &'static str, row: &[V]) -> Result<(), TooLarge> {
        self.used = self.used.saturating_add(row_size(row));
        if self.used > self.limit {
            tracing::debug!(database, limit = self.limit, rows = self.rows, "result set too large");
            return Err(TooLarge { limit: self.limit });
        }
        self.rows += 1;
        Ok(())
    }

    /// The bytes counted so far.
    pub fn used(&self) -> usize {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Text(&'static str);
    impl HostSize for Text {
        fn host_size(&self) -> usize {
            self.0.len()
        }
    }

    #[test]
    fn rows_count_their_values_and_overhead() {
        assert_eq!(row_size(&[Text(""), Text("xy")]), ROW_OVERHEAD + 2);
        assert_eq!(row_size::<Text>(&[]), ROW_OVERHEAD);
    }

    #[test]
    fn the_row_that_crosses_the_cap_fails() {
        let mut budget = ResultBudget::new(2 * ROW_OVERHEAD + 4);
        budget.charge("test", &[Text("ab")]).unwrap();
        budget.charge("test", &[Text("cd")]).unwrap();
        assert_eq!(budget.used(), 2 * ROW_OVERHEAD + 4);
        let err = budget.charge("test", &[Text("")]).unwrap_err();
        assert_eq!(err, TooLarge { limit: 2 * ROW_OVERHEAD + 4 });
        assert!(err.to_string().contains("--max-buffered-bytes"), "{err}");
    }

    #[test]
    fn an_empty_budget_refuses_the_first_row() {
        assert!(ResultBudget::new(0).charge("test", &[Text("")]).is_err());
    }
}
