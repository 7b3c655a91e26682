//! A raw RESP client for checking what guests did to the local Redis
//! server, without a Redis client crate.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One connection to a Redis server, read a reply line at a time.
pub struct Resp {
    reader: BufReader<TcpStream>,
}

impl Resp {
    /// Connects to `addr`.
    pub fn connect(addr: &str) -> Resp {
        let stream = TcpStream::connect(addr).expect("connect to Redis");
        Resp { reader: BufReader::new(stream) }
    }

    /// Connects to `addr` and selects database `db`, checking its `+OK`.
    pub fn connect_to(addr: &str, db: &str) -> Resp {
        let mut resp = Resp::connect(addr);
        resp.send(&["SELECT", db]);
        assert_eq!(resp.line(), "+OK", "SELECT {db}");
        resp
    }

    /// Gives up reading after `timeout`.
    pub fn read_timeout(self, timeout: Duration) -> Resp {
        self.reader.get_ref().set_read_timeout(Some(timeout)).expect("set read timeout");
        self
    }

    /// Writes one command.
    pub fn send(&mut self, args: &[&str]) {
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.reader.get_mut().write_all(request.as_bytes()).expect("write to Redis");
    }

    /// The next reply line, without its `\r\n`.
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("read from Redis");
        line.trim_end().to_string()
    }

    /// The next `n` reply lines.
    pub fn lines(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.line()).collect()
    }

    /// Sends `args`; the first reply line (`:3`, `+OK`, `$5`, `*2`, …).
    pub fn command(&mut self, args: &[&str]) -> String {
        self.send(args);
        self.line()
    }

    /// Sends `args`, answered by a bulk string: its text, or `None` for nil.
    pub fn bulk(&mut self, args: &[&str]) -> Option<String> {
        let head = self.command(args);
        (head != "$-1").then(|| self.line())
    }

    /// Sends `args`, answered by an array of bulk strings: their texts.
    pub fn array(&mut self, args: &[&str]) -> Vec<String> {
        let count: usize = self.command(args).trim_start_matches('*').parse().unwrap_or(0);
        (0..count)
            .map(|_| {
                let _length = self.line();
                self.line()
            })
            .collect()
    }
}
