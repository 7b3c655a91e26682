//! Kiln's Redis trigger.
//!
//! Spin apps declare `[[trigger.redis]]` entries: a channel, an optional
//! address (else `[application.trigger.redis] address`) and a component.
//! Both settings may hold `{{ variable }}` templates over application
//! variables; they are resolved once, at startup.
//!
//! [`RedisTrigger::prepare`] compiles and pre-links each component once
//! (with the same per-component settings — environment, files, logs,
//! capabilities — as the HTTP trigger, see
//! [`kiln_instance::InstanceSettings`]). [`RedisTrigger::run`] opens one
//! pub/sub connection per distinct address, subscribes to its channels, and
//! for each message runs a fresh instance of every component subscribed to
//! that channel, calling its `handle-message`: `fermyon:spin/inbound-redis`
//! (Spin 1/2 SDKs) directly, Preview 3 `spin:redis/inbound-redis@3.0.0`
//! (spin-sdk 7, an `async func`) inside `Store::run_concurrent`.
//! A handler's error or trap is logged with the component id and affects
//! nothing else; a lost connection is re-dialled with a growing delay.
//! Messages are handled concurrently, up to [`MAX_IN_FLIGHT`] at a time;
//! beyond that the trigger stops reading and Redis buffers.
//!
//! Every address is connected to once in [`RedisTrigger::prepare`], so an
//! unreachable server stops the app at startup, named (without password)
//! with its components. [`RedisTrigger::run_until`] stops on shutdown
//! (Ctrl-C, SIGTERM): subscriptions are dropped, so no new message is
//! taken, and running handlers get the drain timeout to finish.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kiln_app::App;
use kiln_instance::{BoxFuture, InstanceSettings, PrepareError, StopSignal, Trigger, TriggerContext, TriggerError, TriggerFactory};
use kiln_world::spin_inbound_redis::{p3, InboundRedisGuestPre, EXPORT};
use kiln_world::{AppCapabilities, HostState};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Messages handled at once, across all channels.
pub const MAX_IN_FLIGHT: usize = 64;
/// The longest wait between reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(10);

/// Why the Redis trigger could not start.
#[derive(Debug, thiserror::Error)]
pub enum RedisTriggerError {
    /// A component could not be compiled or linked, or its logs opened.
    #[error(transparent)]
    Prepare(#[from] PrepareError),
    /// A trigger names a component the app does not have.
    #[error("Redis trigger for channel `{channel}` names unknown component `{id}`")]
    UnknownComponent {
        /// The channel.
        channel: String,
        /// The component id.
        id: String,
    },
    /// A trigger has no address, and the app sets no default one.
    #[error("Redis trigger for component `{component}` has no address (set `address` or `[application.trigger.redis] address`)")]
    NoAddress {
        /// The component id.
        component: String,
    },
    /// An address or channel template could not be resolved.
    #[error("Redis trigger for component `{component}`: {message}")]
    Template {
        /// The component id.
        component: String,
        /// What is wrong (names the variable, never a value).
        message: String,
    },
    /// A Redis server cannot be reached when the app starts.
    #[error("Redis trigger for component(s) {components} (channel(s) {channels}): cannot connect to {address}: {message}")]
    Unreachable {
        /// The address, without password.
        address: String,
        /// The components subscribed there, quoted.
        components: String,
        /// Their channels, quoted.
        channels: String,
        /// The client's complaint.
        message: String,
    },
    /// The resolved address is not a Redis URL.
    #[error("Redis trigger for component `{component}`: invalid address: {message}")]
    InvalidAddress {
        /// The component id.
        component: String,
        /// The client's complaint.
        message: String,
    },
}

/// A compiled, pre-linked Redis-trigger component.
pub struct RedisHandler {
    pre: Guest,
    settings: InstanceSettings,
}

/// Which export a Redis component has.
enum Guest {
    /// `fermyon:spin/inbound-redis`.
    Spin(InboundRedisGuestPre<HostState>),
    /// `spin:redis/inbound-redis@3.0.0` (Preview 3).
    P3(p3::InboundRedisP3Pre<HostState>),
}

impl RedisHandler {
    /// The component id.
    pub fn id(&self) -> &str {
        &self.settings.id
    }

    /// Runs `payload` through a fresh instance. The guest's own error value
    /// and traps both come back as `Err`.
    pub async fn handle(&self, payload: Vec<u8>) -> Result<(), String> {
        let pre = match &self.pre {
            Guest::Spin(pre) => pre,
            Guest::P3(pre) => return self.handle_p3(pre, payload).await,
        };
        let mut store = self.settings.new_store(pre.engine()).map_err(|e| format!("{e:#}"))?;
        let guest = instantiated(pre.instantiate_async(&mut store).await)?;
        match guest
            .fermyon_spin_inbound_redis()
            .call_handle_message(&mut store, &payload)
            .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(format!("handler returned {err:?}")),
            Err(trap) => Err(format!("handler trapped: {trap:#}")),
        }
    }
}

impl RedisHandler {
    /// [`RedisHandler::handle`] for a Preview 3 component: `handle-message`
    /// runs in the store's event loop, which keeps going until the guest
    /// has no task left (it may finish work after answering).
    async fn handle_p3(
        &self,
        pre: &p3::InboundRedisP3Pre<HostState>,
        payload: Vec<u8>,
    ) -> Result<(), String> {
        let mut store = self.settings.new_store(pre.engine()).map_err(|e| format!("{e:#}"))?;
        let guest = instantiated(pre.instantiate_async(&mut store).await)?;
        let outcome = store
            .run_concurrent(async move |accessor| {
                let answer = guest
                    .spin_redis_inbound_redis()
                    .call_handle_message(accessor, payload)
                    .await;
                if answer.is_ok() {
                    std::future::poll_fn(|cx| accessor.poll_no_interesting_tasks(cx)).await;
                }
                answer
            })
            .await;
        match outcome {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(err))) => Err(format!("handler returned {err:?}")),
            Ok(Err(trap)) | Err(trap) => Err(format!("handler trapped: {trap:#}")),
        }
    }
}

/// An instantiation's outcome, its failure worded for the log.
fn instantiated<T>(result: wasmtime::Result<T>) -> Result<T, String> {
    result.map_err(|e| format!("cannot instantiate: {e:#}"))
}

/// The channels of one Redis server and who listens on each.
struct Server {
    /// The resolved address (may hold a password: never logged as is).
    address: String,
    channels: HashMap<String, Vec<Arc<RedisHandler>>>,
}

/// An app's Redis trigger, ready to run.
pub struct RedisTrigger {
    servers: Vec<Server>,
    subscriptions: Vec<(String, String, String)>,
}

impl RedisTrigger {
    /// Resolves every `[[trigger.redis]]` entry and compiles and pre-links
    /// its component; each gets the share of `caps` its manifest entry grants.
    pub async fn prepare(ctx: &TriggerContext<'_>) -> Result<Self, RedisTriggerError> {
        let TriggerContext { app, caps, .. } = *ctx;
        ctx.create_log_dir()?;
        let default_address = app
            .manifest
            .application
            .trigger_global
            .redis_address
            .clone();
        let mut handlers: HashMap<String, Arc<RedisHandler>> = HashMap::new();
        let mut servers: Vec<Server> = Vec::new();
        let mut subscriptions = Vec::new();
        for trigger in &app.manifest.redis_triggers {
            let id = trigger.component.as_str();
            let component =
                app.component(id)
                    .ok_or_else(|| RedisTriggerError::UnknownComponent {
                        channel: trigger.channel.clone(),
                        id: id.to_string(),
                    })?;
            let address_template = trigger
                .address
                .clone()
                .or_else(|| default_address.clone())
                .ok_or_else(|| RedisTriggerError::NoAddress {
                    component: id.to_string(),
                })?;
            let address = resolve(app, caps, id, "address", &address_template).await?;
            redis::Client::open(address.as_str()).map_err(|e| {
                RedisTriggerError::InvalidAddress {
                    component: id.to_string(),
                    message: e.to_string(),
                }
            })?;
            let channel = resolve(app, caps, id, "channel", &trigger.channel).await?;
            let handler = match handlers.get(id) {
                Some(handler) => handler.clone(),
                None => {
                    let handler = Arc::new(compile(ctx, component)?);
                    handlers.insert(id.to_string(), handler.clone());
                    handler
                }
            };
            let server = match servers.iter_mut().position(|s| s.address == address) {
                Some(index) => &mut servers[index],
                None => {
                    servers.push(Server {
                        address: address.clone(),
                        channels: HashMap::new(),
                    });
                    let last = servers.len() - 1;
                    &mut servers[last]
                }
            };
            server
                .channels
                .entry(channel.clone())
                .or_default()
                .push(handler);
            subscriptions.push((
                kiln_outbound_redis::redacted(&address),
                channel,
                id.to_string(),
            ));
        }
        for server in &servers {
            check_reachable(server).await?;
        }
        Ok(Self {
            servers,
            subscriptions,
        })
    }

    /// Whether the app has any Redis trigger.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// What is served, `(address without password, channel, component)`, in
    /// manifest order.
    pub fn subscriptions(&self) -> &[(String, String, String)] {
        &self.subscriptions
    }

    /// Serves until the returned future is dropped: one task per server,
    /// each reconnecting as needed. Never returns on its own.
    pub async fn run(self: Arc<Self>) {
        self.run_until(futures::future::pending(), Duration::ZERO).await
    }

    /// Serves until `shutdown` resolves (Ctrl-C, SIGTERM), then stops taking
    /// messages — every subscription is dropped — and gives the handlers
    /// still running up to `drain_timeout` to finish; those left are
    /// cancelled. Returns once drained.
    pub async fn run_until(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>, drain_timeout: Duration) {
        let limit = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = JoinSet::new();
        for index in 0..self.servers.len() {
            let trigger = self.clone();
            let limit = limit.clone();
            let stop = stop_rx.clone();
            tasks.spawn(async move { trigger.serve_server(index, limit, stop).await });
        }
        // Server tasks end only when stopped (or on a panic).
        shutdown.await;
        let _ = stop_tx.send(true);
        tracing::info!("Redis trigger stopping: no new messages; waiting for running handlers");
        let drained = tokio::time::timeout(drain_timeout, async { while tasks.join_next().await.is_some() {} }).await;
        match drained {
            Ok(()) => tracing::info!("Redis trigger stopped: every running handler finished"),
            Err(_) => {
                tracing::warn!("Redis handlers still running after {drain_timeout:?}; cancelling them");
                tasks.abort_all();
            }
        }
    }

    /// Subscribes to one server's channels and dispatches its messages,
    /// re-dialling whenever the connection is lost, until `stop` turns true;
    /// then waits for the handlers it started.
    async fn serve_server(&self, index: usize, limit: Arc<Semaphore>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let server = &self.servers[index];
        let shown = kiln_outbound_redis::redacted(&server.address);
        let mut delay = Duration::from_millis(250);
        let mut running = JoinSet::new();
        'serve: loop {
            let subscribed = tokio::select! {
                subscribed = self.subscribe(server) => subscribed,
                _ = stopped(&mut stop) => break 'serve,
            };
            match subscribed {
                Ok(mut pubsub) => {
                    tracing::info!(address = %shown, channels = server.channels.len(), "subscribed to Redis");
                    delay = Duration::from_millis(250);
                    let mut messages = pubsub.on_message();
                    loop {
                        let message = tokio::select! {
                            message = messages.next() => message,
                            _ = stopped(&mut stop) => break 'serve,
                        };
                        let Some(message) = message else { break };
                        let channel = message.get_channel_name().to_string();
                        let Some(handlers) = server.channels.get(&channel) else {
                            continue;
                        };
                        let payload: Arc<[u8]> = Arc::from(message.get_payload_bytes());
                        for handler in handlers {
                            // A message already read is handled even when
                            // stopping: it was taken before the stop.
                            let Ok(permit) = limit.clone().acquire_owned().await else {
                                break 'serve;
                            };
                            let handler = handler.clone();
                            let payload = payload.clone();
                            let channel = channel.clone();
                            running.spawn(async move {
                                if let Err(err) = handler.handle(payload.to_vec()).await {
                                    tracing::error!(component = %handler.id(), %channel, "Redis message handler failed: {err}");
                                }
                                drop(permit);
                            });
                        }
                        while running.try_join_next().is_some() {}
                    }
                    tracing::warn!(address = %shown, "Redis connection lost; reconnecting");
                }
                Err(err) => {
                    tracing::warn!(address = %shown, "cannot subscribe to Redis ({err}); retrying in {delay:?}");
                }
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stopped(&mut stop) => break 'serve,
            }
            delay = (delay * 2).min(MAX_RECONNECT_DELAY);
        }
        // Dropping the subscription (above) unsubscribed; the handlers
        // already running finish (the caller bounds the wait).
        while running.join_next().await.is_some() {}
    }

    async fn subscribe(&self, server: &Server) -> Result<redis::aio::PubSub, redis::RedisError> {
        let client = redis::Client::open(server.address.as_str())?;
        let mut pubsub = client.get_async_pubsub().await?;
        for channel in server.channels.keys() {
            pubsub.subscribe(channel).await?;
        }
        Ok(pubsub)
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

/// How long the startup check waits for a Redis server to answer.
const CONNECT_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to `server` once, so an unreachable address stops the app at
/// startup with an error naming it (without password) and its components,
/// instead of a trigger retrying forever in the background. Later losses of
/// the connection are retried.
async fn check_reachable(server: &Server) -> Result<(), RedisTriggerError> {
    let shown = kiln_outbound_redis::redacted(&server.address);
    let mut components: Vec<&str> = server.channels.values().flatten().map(|h| h.id()).collect();
    components.sort_unstable();
    components.dedup();
    let mut channels: Vec<&str> = server.channels.keys().map(String::as_str).collect();
    channels.sort_unstable();
    let unreachable = |message: String| RedisTriggerError::Unreachable {
        address: shown.clone(),
        components: components.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
        channels: channels.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
        message,
    };
    let client = redis::Client::open(server.address.as_str()).map_err(|e| unreachable(e.to_string()))?;
    match tokio::time::timeout(CONNECT_CHECK_TIMEOUT, client.get_multiplexed_async_connection()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(unreachable(err.to_string())),
        Err(_) => Err(unreachable(format!("no answer within {CONNECT_CHECK_TIMEOUT:?}"))),
    }
}

/// Resolves a `{{ variable }}` template of trigger `component`'s settings.
async fn resolve(
    app: &App,
    caps: &AppCapabilities,
    component: &str,
    what: &str,
    text: &str,
) -> Result<String, RedisTriggerError> {
    let error = |message: String| RedisTriggerError::Template {
        component: component.to_string(),
        message,
    };
    let template = kiln_variables::Template::parse(text)
        .map_err(|e| error(format!("{what} `{text}`: {e}")))?;
    if template.is_literal() {
        return Ok(text.to_string());
    }
    // Trigger settings see application variables only: name an undeclared
    // one as such rather than as a variable without a value.
    if let Some(name) = template.references().find(|name| !app.manifest.variables.contains_key(*name)) {
        return Err(error(format!(
            "{what} `{text}`: variable `{name}` is not declared in the application's [variables]"
        )));
    }
    caps.variables()
        .render_app_template(&template)
        .await
        .map_err(|e| error(format!("{what}: {e}")))
}

/// Compiles and pre-links one Redis component.
fn compile(ctx: &TriggerContext<'_>, component: &kiln_app::AppComponent) -> Result<RedisHandler, RedisTriggerError> {
    let engine = ctx.engine;
    let id = component.id.as_str();
    let fail = |message: String| PrepareError::Component {
        id: id.to_string(),
        message,
    };
    let settings = kiln_instance::instance_settings(component, ctx.logs, ctx.caps, ctx.limits)?;
    let bytes = kiln_instance::read_source(id, &component.source)?;
    let compiled = engine
        .load_component(&bytes)
        .map_err(|e| fail(e.to_string()))?;
    let exports = |name: &str| {
        compiled
            .component_type()
            .get_export(engine.wasmtime(), name)
            .is_some()
    };
    let (spin, preview3) = (exports(EXPORT), exports(p3::EXPORT));
    if !spin && !preview3 {
        return Err(fail(format!(
            "exports neither {EXPORT} nor {}, so it cannot handle Redis messages",
            p3::EXPORT
        ))
        .into());
    }
    let pre = settings.prelink(ctx.linker, &compiled).map_err(fail)?;
    let pre = if spin {
        Guest::Spin(
            InboundRedisGuestPre::new(pre)
                .map_err(|e| fail(format!("{EXPORT} has an unexpected type: {e:#}")))?,
        )
    } else {
        Guest::P3(
            p3::InboundRedisP3Pre::new(pre)
                .map_err(|e| fail(format!("{} has an unexpected type: {e:#}", p3::EXPORT)))?,
        )
    };
    Ok(RedisHandler { pre, settings })
}

/// `[[trigger.redis]]`: one subscription per distinct server, as `serve`
/// runs it.
pub struct RedisTriggerFactory;

impl TriggerFactory for RedisTriggerFactory {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn is_used_by(&self, app: &App) -> bool {
        !app.manifest.redis_triggers.is_empty()
    }

    fn prepare<'a>(&'a self, ctx: &'a TriggerContext<'a>) -> BoxFuture<'a, Result<Box<dyn Trigger>, TriggerError>> {
        Box::pin(async move { Ok(Box::new(RedisTrigger::prepare(ctx).await?) as Box<dyn Trigger>) })
    }
}

impl Trigger for RedisTrigger {
    /// `Redis triggers:`, then `component: address channel` per
    /// subscription (addresses without password).
    fn announce(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(out, "Redis triggers:")?;
        for (address, channel, component) in self.subscriptions() {
            writeln!(out, "  {component}: {address} channel `{channel}`")?;
        }
        Ok(())
    }

    fn run(self: Box<Self>, stop: StopSignal, drain: Duration) -> BoxFuture<'static, Result<(), TriggerError>> {
        Box::pin(async move {
            Arc::new(*self).run_until(stop.stopped(), drain).await;
            Ok(())
        })
    }
}
