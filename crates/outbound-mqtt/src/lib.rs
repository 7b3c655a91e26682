//! Outbound MQTT for Spin applications, independent of any WIT interface.
//!
//! Spin guests publish MQTT messages through `fermyon:spin/mqtt@2.0.0`: open
//! a connection to `mqtt://host[:port]?client_id=…` (or `mqtts://` for TLS,
//! port 8883 by default, the certificate checked against the webpki roots
//! and the host name) with a username, a
//! password and a keep-alive interval, then publish payloads to topics at QoS
//! 0, 1 or 2. Every request runs in a fresh instance, so opening a broker
//! connection per request would cost a TCP and MQTT handshake each time, and
//! — since a broker drops the older of two sessions sharing a client id —
//! concurrent requests would knock each other off. So this crate keeps
//! connections in a [`ConnectionPool`], one per address (client id
//! included), username, keep-alive interval and password, and instances
//! share them.
//!
//! Each [`Connection`] is a `rumqttc` async client whose event loop runs in
//! its own tokio task. The task keeps the session alive (pings) and resolves
//! each publish when the broker has taken it: QoS 0 once it is written to
//! the socket, QoS 1 on `PUBACK`, QoS 2 on `PUBCOMP` — what Spin waits for
//! too. When the connection fails, pending publishes get the error, the
//! connection is marked dead and the pool opens a fresh one next time.
//!
//! The host bindings check the address against the component's
//! `allowed_outbound_hosts` before calling [`ConnectionPool::open`]; nothing
//! here knows about grants. Passwords are never logged, and addresses are
//! logged as host and port only (a URL may carry credentials).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, Incoming, MqttOptions, Outgoing, QoS, TlsConfiguration, Transport};
use sha2::{Digest, Sha256};
use tokio::sync::{oneshot, watch};

/// How many connections a pool keeps open at most (Spin's error set has
/// `too-many-connections` for going beyond).
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// How long opening a connection waits for the broker's `CONNACK`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a publish waits for the broker to acknowledge it.
pub const PUBLISH_TIMEOUT: Duration = Duration::from_secs(30);
/// The port of `mqtts://` addresses that name none.
pub const DEFAULT_TLS_PORT: u16 = 8883;
/// Capacity of the request channel between a client and its event loop.
const CHANNEL_CAPACITY: usize = 64;

/// Why an MQTT operation failed; the cases of Spin's `mqtt` error variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The address is not a valid `mqtt[s]://host[:port]?client_id=…` URL (the
    /// message says why, without credentials), or it is not allowed.
    #[error("invalid MQTT address: {0}")]
    InvalidAddress(String),
    /// The pool already holds its maximum number of connections.
    #[error("too many MQTT connections")]
    TooManyConnections,
    /// The broker could not be reached, refused the connection or dropped it.
    #[error("MQTT connection failed: {0}")]
    ConnectionFailed(String),
    /// Anything else (a publish the broker never acknowledged, say).
    #[error("MQTT error: {0}")]
    Other(String),
}

/// Delivery guarantee of a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qos {
    /// QoS 0: sent once, never acknowledged.
    AtMostOnce,
    /// QoS 1: acknowledged with `PUBACK`; may arrive more than once.
    AtLeastOnce,
    /// QoS 2: four-way handshake ending in `PUBCOMP`; arrives exactly once.
    ExactlyOnce,
}

impl From<Qos> for QoS {
    fn from(qos: Qos) -> Self {
        match qos {
            Qos::AtMostOnce => QoS::AtMostOnce,
            Qos::AtLeastOnce => QoS::AtLeastOnce,
            Qos::ExactlyOnce => QoS::ExactlyOnce,
        }
    }
}

/// What identifies a shareable connection. The password is kept as a digest
/// so that a caller with the wrong password never gets a session another
/// caller authenticated, and the plain password is not kept in the map.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    address: String,
    username: String,
    keep_alive_secs: u64,
    password_digest: [u8; 32],
}

/// Cached broker connections, shared by every instance of an app.
pub struct ConnectionPool {
    max_connections: usize,
    connections: Mutex<HashMap<Key, Arc<Connection>>>,
}

impl Default for ConnectionPool {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_CONNECTIONS)
    }
}

impl std::fmt::Debug for ConnectionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPool").field("max_connections", &self.max_connections).finish_non_exhaustive()
    }
}

impl ConnectionPool {
    /// A pool holding at most `max_connections` live connections.
    pub fn new(max_connections: usize) -> Self {
        Self { max_connections, connections: Mutex::new(HashMap::new()) }
    }

    /// A connection to the broker at `address` (`mqtt://host[:port]?client_id=…`),
    /// logged in as `username` (empty: anonymous) with `password`, pinging
    /// every `keep_alive_secs` seconds (0: never). Reuses a live cached
    /// connection with the same settings; otherwise connects and waits for
    /// the broker to accept the session.
    ///
    /// Must be called inside a tokio runtime (the event loop is a task).
    pub async fn open(
        &self,
        address: &str,
        username: &str,
        password: &str,
        keep_alive_secs: u64,
    ) -> Result<Arc<Connection>, Error> {
        let options = options(address, username, password, keep_alive_secs)?;
        let key = Key {
            address: address.to_string(),
            username: username.to_string(),
            keep_alive_secs,
            password_digest: Sha256::digest(password.as_bytes()).into(),
        };
        let connection = {
            let mut connections = lock(&self.connections);
            connections.retain(|_, connection| !connection.is_dead());
            match connections.get(&key) {
                Some(connection) => connection.clone(),
                None => {
                    if connections.len() >= self.max_connections {
                        return Err(Error::TooManyConnections);
                    }
                    let connection = Arc::new(Connection::start(options));
                    connections.insert(key.clone(), connection.clone());
                    connection
                }
            }
        };
        match connection.wait_connected(CONNECT_TIMEOUT).await {
            Ok(()) => Ok(connection),
            Err(err) => {
                let mut connections = lock(&self.connections);
                if connections.get(&key).is_some_and(|c| Arc::ptr_eq(c, &connection)) {
                    connections.remove(&key);
                }
                Err(err)
            }
        }
    }

    /// How many connections the pool holds (live or not yet pruned).
    pub fn len(&self) -> usize {
        lock(&self.connections).len()
    }

    /// Whether the pool holds no connection.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Client options from Spin's arguments. Address errors say what is wrong
/// but never repeat the address (it may hold a password).
fn options(address: &str, username: &str, password: &str, keep_alive_secs: u64) -> Result<MqttOptions, Error> {
    let mut url = url::Url::parse(address).map_err(|e| Error::InvalidAddress(e.to_string()))?;
    let tls = match url.scheme() {
        "mqtt" | "tcp" => false,
        "mqtts" | "ssl" => true,
        other => {
            return Err(Error::InvalidAddress(format!(
                "scheme `{other}` is not supported (use mqtt://host:port?client_id=… or mqtts://…)"
            )))
        }
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::InvalidAddress("the address has no host".to_string()));
    }
    if tls {
        // rumqttc would build its own TLS settings for `mqtts://` (and
        // panic if the platform's certificates cannot be read): parse the
        // plain form and set the transport here instead.
        let port = url.port().unwrap_or(DEFAULT_TLS_PORT);
        let plain = url.set_scheme("mqtt").and_then(|()| url.set_port(Some(port)).map_err(drop));
        plain.map_err(|()| Error::InvalidAddress("cannot read the address as mqtts://host:port".to_string()))?;
    }
    let mut options = MqttOptions::try_from(url).map_err(|e| Error::InvalidAddress(e.to_string()))?;
    if tls {
        options.set_transport(Transport::tls_with_config(tls_config()?));
    }
    if options.client_id().is_empty() {
        return Err(Error::InvalidAddress("`client_id` is empty".to_string()));
    }
    if !username.is_empty() {
        options.set_credentials(username, password);
    }
    // MQTT carries the interval as 16-bit seconds; whole seconds are always
    // a valid rumqttc keep-alive (only sub-second values are refused).
    options.set_keep_alive(Duration::from_secs(keep_alive_secs.min(u64::from(u16::MAX))));
    Ok(options)
}

/// The TLS settings of `mqtts://` connections: rustls with the ring
/// provider, the webpki roots, and full certificate and name checks.
fn tls_config() -> Result<TlsConfiguration, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Other(format!("cannot configure TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConfiguration::Rustls(Arc::new(config)))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps stay consistent even if a holder panicked.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The session's state as the event loop task reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Connecting,
    Connected,
    Failed(String),
}

/// A publish waiting for the broker.
type Waiter = oneshot::Sender<Result<(), Error>>;

/// Publishes the event loop has not resolved yet.
#[derive(Default)]
struct Pending {
    /// Requested, not yet written: in the order they were queued to the
    /// client, which is the order the event loop writes them.
    unsent: VecDeque<(QoS, Waiter)>,
    /// Written at QoS 1 or 2, awaiting `PUBACK` / `PUBCOMP`, by packet id.
    unacknowledged: HashMap<u16, Waiter>,
}

/// One broker session, shared by every instance that opened it.
pub struct Connection {
    client: AsyncClient,
    pending: Arc<Mutex<Pending>>,
    status: watch::Receiver<Status>,
    /// Serialises queueing: a waiter joins `unsent` and its request enters
    /// the client's channel as one step, so both orders agree.
    queue: tokio::sync::Mutex<()>,
    task: tokio::task::JoinHandle<()>,
    peer: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("peer", &self.peer).finish_non_exhaustive()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Connection {
    fn start(options: MqttOptions) -> Self {
        let (host, port) = options.broker_address();
        let peer = format!("{host}:{port}");
        let (client, event_loop) = AsyncClient::new(options, CHANNEL_CAPACITY);
        let pending = Arc::new(Mutex::new(Pending::default()));
        let (status_tx, status) = watch::channel(Status::Connecting);
        tracing::debug!(peer, "opening MQTT connection");
        let task = tokio::spawn(drive(event_loop, pending.clone(), status_tx, peer.clone()));
        Self { client, pending, status, queue: tokio::sync::Mutex::new(()), task, peer }
    }

    /// Whether the session has failed (the pool then replaces it).
    pub fn is_dead(&self) -> bool {
        matches!(*self.status.borrow(), Status::Failed(_))
    }

    async fn wait_connected(&self, timeout: Duration) -> Result<(), Error> {
        let mut status = self.status.clone();
        let outcome = tokio::time::timeout(timeout, status.wait_for(|s| *s != Status::Connecting)).await;
        match outcome {
            Err(_) => Err(Error::ConnectionFailed(format!("no answer from {} in {timeout:?}", self.peer))),
            Ok(Err(_)) => Err(Error::ConnectionFailed("the connection task ended".to_string())),
            Ok(Ok(status)) => match &*status {
                Status::Failed(message) => Err(Error::ConnectionFailed(message.clone())),
                _ => Ok(()),
            },
        }
    }

    /// Publishes `payload` to `topic` (not retained) and returns once the
    /// broker has it at the guarantee `qos` asks for.
    pub async fn publish(&self, topic: &str, payload: Vec<u8>, qos: Qos) -> Result<(), Error> {
        if topic.is_empty() || topic.contains(['+', '#', '\0']) {
            return Err(Error::Other(format!("invalid topic `{topic}`: empty or with wildcards")));
        }
        let qos = QoS::from(qos);
        let (tx, rx) = oneshot::channel();
        {
            let _queue = self.queue.lock().await;
            if let Status::Failed(message) = &*self.status.borrow() {
                return Err(Error::ConnectionFailed(message.clone()));
            }
            lock(&self.pending).unsent.push_back((qos, tx));
            if let Err(err) = self.client.publish(topic, qos, false, payload).await {
                // Not queued: take our waiter back off the end.
                lock(&self.pending).unsent.pop_back();
                return Err(Error::ConnectionFailed(err.to_string()));
            }
        }
        match tokio::time::timeout(PUBLISH_TIMEOUT, rx).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(Error::ConnectionFailed("the connection closed".to_string())),
            Err(_) => Err(Error::Other(format!("the broker did not acknowledge within {PUBLISH_TIMEOUT:?}"))),
        }
    }
}

/// Runs a connection's event loop until it fails or the connection is
/// dropped, resolving publishes as the broker takes them.
async fn drive(mut event_loop: EventLoop, pending: Arc<Mutex<Pending>>, status: watch::Sender<Status>, peer: String) {
    loop {
        match event_loop.poll().await {
            Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                tracing::debug!(peer, "MQTT connection established");
                status.send_replace(Status::Connected);
            }
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                let mut pending = lock(&pending);
                if let Some((qos, waiter)) = pending.unsent.pop_front() {
                    if qos == QoS::AtMostOnce {
                        let _ = waiter.send(Ok(()));
                    } else {
                        pending.unacknowledged.insert(pkid, waiter);
                    }
                }
            }
            Ok(Event::Incoming(Incoming::PubAck(ack))) => resolve(&pending, ack.pkid),
            Ok(Event::Incoming(Incoming::PubComp(comp))) => resolve(&pending, comp.pkid),
            Ok(_) => {}
            Err(err) => {
                let message = err.to_string();
                tracing::debug!(peer, error = %message, "MQTT connection failed");
                status.send_replace(Status::Failed(message.clone()));
                let Pending { unsent, unacknowledged } = std::mem::take(&mut *lock(&pending));
                let waiters = unsent.into_iter().map(|(_, waiter)| waiter).chain(unacknowledged.into_values());
                for waiter in waiters {
                    let _ = waiter.send(Err(Error::ConnectionFailed(message.clone())));
                }
                return;
            }
        }
    }
}

fn resolve(pending: &Mutex<Pending>, pkid: u16) {
    if let Some(waiter) = lock(pending).unacknowledged.remove(&pkid) {
        let _ = waiter.send(Ok(()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_need_mqtt_a_host_and_a_client_id() {
        assert!(options("mqtt://127.0.0.1:1883?client_id=a", "", "", 30).is_ok());
        assert!(options("mqtt://broker?client_id=a", "user", "secret", 0).is_ok());
        for bad in [
            "not a url",
            "mqtt://127.0.0.1:1883",
            "mqtt://127.0.0.1:1883?client_id=",
            "http://127.0.0.1:1883?client_id=a",
            "mqtts://127.0.0.1",
            "mqtt://127.0.0.1?client_id=a&unknown=1",
        ] {
            assert!(matches!(options(bad, "", "", 30), Err(Error::InvalidAddress(_))), "{bad}");
        }
    }

    #[test]
    fn address_errors_do_not_repeat_credentials() {
        let err = options("mqtts://user:hunter2@broker", "", "", 30).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn mqtts_addresses_use_tls_on_port_8883_unless_told() {
        let options = options("mqtts://broker.example.com?client_id=a", "", "", 30).unwrap();
        assert_eq!(options.broker_address(), ("broker.example.com".to_string(), 8883));
        assert!(matches!(options.transport(), Transport::Tls(TlsConfiguration::Rustls(_))));
        let options = options_for("ssl://127.0.0.1:1884?client_id=a");
        assert_eq!(options.broker_address(), ("127.0.0.1".to_string(), 1884));
        assert!(matches!(options.transport(), Transport::Tls(_)));
        assert!(matches!(options_for("mqtt://127.0.0.1?client_id=a").transport(), Transport::Tcp));
    }

    fn options_for(address: &str) -> MqttOptions {
        options(address, "", "", 30).unwrap()
    }

    #[test]
    fn huge_keep_alive_intervals_are_capped() {
        let options = options("mqtt://broker?client_id=a", "", "", u64::MAX).unwrap();
        assert_eq!(options.keep_alive(), Duration::from_secs(u64::from(u16::MAX)));
    }
}
