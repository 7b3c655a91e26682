//! Guest stdout/stderr: appended to per-component log files and echoed to
//! the console with the component id in front of every line.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Which of a guest's output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    fn suffix(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Where one component's output goes; cheap to clone, shared by its instances.
#[derive(Clone)]
pub struct ComponentLogs {
    inner: Arc<LogsInner>,
}

struct LogsInner {
    component_id: String,
    stdout: Option<Mutex<File>>,
    stderr: Option<Mutex<File>>,
    echo: bool,
}

impl ComponentLogs {
    /// Opens (appending) `<dir>/<component>_stdout.txt` and `_stderr.txt` when
    /// `dir` is given; `echo` copies each line to the console.
    pub fn open(component_id: &str, dir: Option<&Path>, echo: bool) -> std::io::Result<Self> {
        let open = |stream: Stream| -> std::io::Result<Option<Mutex<File>>> {
            let Some(dir) = dir else { return Ok(None) };
            let path = Self::path_in(dir, component_id, stream);
            let file = OpenOptions::new().create(true).append(true).open(&path).map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot open log file {}: {e}", path.display()))
            })?;
            Ok(Some(Mutex::new(file)))
        };
        Ok(Self {
            inner: Arc::new(LogsInner {
                component_id: component_id.to_string(),
                stdout: open(Stream::Stdout)?,
                stderr: open(Stream::Stderr)?,
                echo,
            }),
        })
    }

    /// The log file path of one stream of a component.
    pub fn path_in(dir: &Path, component_id: &str, stream: Stream) -> PathBuf {
        dir.join(format!("{component_id}_{}.txt", stream.suffix()))
    }

    /// A WASI output stream for one instance's `stream`.
    pub fn stream(&self, stream: Stream) -> LogStream {
        LogStream {
            inner: Arc::new(StreamInner { logs: self.clone(), stream, pending: Mutex::new(Vec::new()) }),
        }
    }

    /// Bytes written by an instance that does not run through WASI streams.
    pub fn write_all(&self, stream: Stream, bytes: &[u8]) {
        self.stream(stream).inner.write(bytes);
    }
}

/// One instance's stdout or stderr. Writes go straight to the log file (and
/// the console echo) on the calling thread: no per-instance writer task, so
/// an instance that never prints costs nothing.
#[derive(Clone)]
pub struct LogStream {
    inner: Arc<StreamInner>,
}

/// Line-buffers the console echo so lines of concurrent instances don't
/// interleave mid-line; the file gets bytes as they come.
struct StreamInner {
    logs: ComponentLogs,
    stream: Stream,
    pending: Mutex<Vec<u8>>,
}

impl StreamInner {
    fn write(&self, buf: &[u8]) {
        let inner = &self.logs.inner;
        let file = match self.stream {
            Stream::Stdout => &inner.stdout,
            Stream::Stderr => &inner.stderr,
        };
        if let Some(file) = file {
            if let Ok(mut f) = file.lock() {
                if let Err(err) = f.write_all(buf) {
                    tracing::warn!(component = %inner.component_id, %err, "failed to write guest log");
                }
            }
        }
        if inner.echo {
            let Ok(mut pending) = self.pending.lock() else { return };
            pending.extend_from_slice(buf);
            while let Some(pos) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=pos).collect();
                self.echo_line(&line[..line.len() - 1]);
            }
        }
    }

    fn echo_line(&self, line: &[u8]) {
        let line = String::from_utf8_lossy(line);
        let id = &self.logs.inner.component_id;
        // Ignoring console errors: a closed terminal must not fail the guest.
        let _ = match self.stream {
            Stream::Stdout => writeln!(std::io::stdout().lock(), "[{id}] {line}"),
            Stream::Stderr => writeln!(std::io::stderr().lock(), "[{id}] {line}"),
        };
    }
}

impl Drop for StreamInner {
    fn drop(&mut self) {
        let pending = self.pending.get_mut().map(std::mem::take).unwrap_or_default();
        if !pending.is_empty() {
            self.echo_line(&pending);
        }
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LogStream {
    async fn ready(&mut self) {}
}

impl OutputStream for LogStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.inner.write(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.inner.write(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
