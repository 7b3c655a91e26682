//! An app's outbound clients: HTTP pools, Redis connections and MQTT
//! sessions, built with the app and dropped with it, so two apps in one
//! process share no connection, limit or credential.

use std::sync::Arc;

use kiln_outbound_http::{HttpClientConfig, HttpClients, HttpConfigError};
use kiln_outbound_mqtt::ConnectionPool;
use kiln_outbound_redis::Connections;
use kiln_runtime_config::OutboundHttpConfig;

/// The outbound clients of one app, shared by its components' instances.
#[derive(Clone)]
pub struct OutboundClients {
    /// Pooled HTTP clients applying `[outbound_http]`.
    pub http: Arc<HttpClients>,
    /// Redis connections by address.
    pub redis: Arc<Connections>,
    /// MQTT broker sessions by address and credentials.
    pub mqtt: Arc<ConnectionPool>,
}

impl Default for OutboundClients {
    fn default() -> Self {
        Self {
            http: Arc::default(),
            redis: Arc::new(Connections::new()),
            mqtt: Arc::default(),
        }
    }
}

impl OutboundClients {
    /// Clients for an app whose runtime config has `outbound_http` (Spin's
    /// defaults when absent: pooling on, no concurrency limit).
    pub fn new(outbound_http: Option<&OutboundHttpConfig>) -> Result<Self, HttpConfigError> {
        let config = outbound_http.map_or_else(HttpClientConfig::default, |c| HttpClientConfig {
            connection_pooling: c.connection_pooling.unwrap_or(true),
            max_concurrent_requests: c.max_concurrent_requests,
        });
        Ok(Self { http: Arc::new(HttpClients::new(config)?), ..Self::default() })
    }
}
