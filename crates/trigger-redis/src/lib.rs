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
//! [`kiln_trigger_http::InstanceSettings`]). [`RedisTrigger::run`] opens one
//! pub/sub connection per distinct address, subscribes to its channels, and
//! for each message runs a fresh instance of every component subscribed to
//! that channel, calling its `fermyon:spin/inbound-redis` `handle-message`.
//! A handler's error or trap is logged with the component id and affects
//! nothing else; a lost connection is re-dialled with a growing delay.
//! Messages are handled concurrently, up to [`MAX_IN_FLIGHT`] at a time;
//! beyond that the trigger stops reading and Redis buffers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kiln_app::App;
use kiln_engine::KilnEngine;
use kiln_trigger_http::{InstanceSettings, LogOptions, PrepareError};
use kiln_world::spin_inbound_redis::{InboundRedisGuestPre, EXPORT};
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
    /// The resolved address is not a Redis URL.
    #[error("Redis trigger for component `{component}`: invalid address: {message}")]
    InvalidAddress {
        /// The component id.
        component: String,
        /// The client's complaint.
        message: String,
    },
}

/// A compiled, pre-linked component exporting `fermyon:spin/inbound-redis`.
pub struct RedisHandler {
    pre: InboundRedisGuestPre<HostState>,
    settings: InstanceSettings,
}

impl RedisHandler {
    /// The component id.
    pub fn id(&self) -> &str {
        &self.settings.id
    }

    /// Runs `payload` through a fresh instance. The guest's own error value
    /// and traps both come back as `Err`.
    pub async fn handle(&self, payload: Vec<u8>) -> Result<(), String> {
        let mut store = self
            .settings
            .new_store(self.pre.engine())
            .map_err(|e| format!("{e:#}"))?;
        let guest = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| format!("cannot instantiate: {e:#}"))?;
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
    pub async fn prepare(
        app: &App,
        engine: &KilnEngine,
        logs: &LogOptions,
        caps: &AppCapabilities,
    ) -> Result<Self, RedisTriggerError> {
        let base = kiln_world::linker::base_linker(engine.wasmtime()).map_err(|e| {
            PrepareError::Component {
                id: "*".into(),
                message: format!("linker: {e:#}"),
            }
        })?;
        if let Some(dir) = &logs.dir {
            std::fs::create_dir_all(dir).map_err(|source| PrepareError::Logs {
                id: "*".into(),
                source,
            })?;
        }
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
            let address = resolve(caps, id, "address", &address_template).await?;
            redis::Client::open(address.as_str()).map_err(|e| {
                RedisTriggerError::InvalidAddress {
                    component: id.to_string(),
                    message: e.to_string(),
                }
            })?;
            let channel = resolve(caps, id, "channel", &trigger.channel).await?;
            let handler = match handlers.get(id) {
                Some(handler) => handler.clone(),
                None => {
                    let handler = Arc::new(compile(engine, &base, component, logs, caps)?);
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
        let limit = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        let mut tasks = JoinSet::new();
        for index in 0..self.servers.len() {
            let trigger = self.clone();
            let limit = limit.clone();
            tasks.spawn(async move { trigger.serve_server(index, limit).await });
        }
        while tasks.join_next().await.is_some() {}
        // Every server task ended (they only do on a panic): idle until dropped.
        futures::future::pending::<()>().await;
    }

    /// Subscribes to one server's channels and dispatches its messages,
    /// re-dialling whenever the connection is lost.
    async fn serve_server(&self, index: usize, limit: Arc<Semaphore>) {
        let server = &self.servers[index];
        let shown = kiln_outbound_redis::redacted(&server.address);
        let mut delay = Duration::from_millis(250);
        let mut running = JoinSet::new();
        loop {
            match self.subscribe(server).await {
                Ok(mut pubsub) => {
                    tracing::info!(address = %shown, channels = server.channels.len(), "subscribed to Redis");
                    delay = Duration::from_millis(250);
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let channel = message.get_channel_name().to_string();
                        let Some(handlers) = server.channels.get(&channel) else {
                            continue;
                        };
                        let payload: Arc<[u8]> = Arc::from(message.get_payload_bytes());
                        for handler in handlers {
                            let Ok(permit) = limit.clone().acquire_owned().await else {
                                return;
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
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_RECONNECT_DELAY);
        }
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

/// Resolves a `{{ variable }}` template of trigger `component`'s settings.
async fn resolve(
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
    caps.variables()
        .render_app_template(&template)
        .await
        .map_err(|e| error(format!("{what}: {e}")))
}

/// Compiles and pre-links one Redis component.
fn compile(
    engine: &KilnEngine,
    base: &wasmtime::component::Linker<HostState>,
    component: &kiln_app::AppComponent,
    logs: &LogOptions,
    caps: &AppCapabilities,
) -> Result<RedisHandler, RedisTriggerError> {
    let id = component.id.as_str();
    let fail = |message: String| PrepareError::Component {
        id: id.to_string(),
        message,
    };
    let settings = kiln_trigger_http::instance_settings(component, logs, caps)?;
    let bytes = std::fs::read(&component.source)
        .map_err(|e| fail(format!("cannot read {}: {e}", component.source.display())))?;
    let compiled = engine
        .load_component(&bytes)
        .map_err(|e| fail(e.to_string()))?;
    if compiled
        .component_type()
        .get_export(engine.wasmtime(), EXPORT)
        .is_none()
    {
        return Err(fail(format!(
            "does not export {EXPORT}, so it cannot handle Redis messages"
        ))
        .into());
    }
    let pre = settings.prelink(base, &compiled).map_err(fail)?;
    let pre = InboundRedisGuestPre::new(pre)
        .map_err(|e| fail(format!("{EXPORT} has an unexpected type: {e:#}")))?;
    Ok(RedisHandler { pre, settings })
}
