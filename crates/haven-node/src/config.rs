//! What a node is opened with: the network settings resolved from the vault's config and
//! the caller's overrides, and the clock. The caller reads the environment and the time;
//! this module only decides what they mean.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use haven_store::NetworkConfig;
use haven_sync::net::{NetConfig, Relay};

use crate::error::ConfigError;

/// Wall-clock time in milliseconds since the Unix epoch, as the caller tells it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Settings given for one run that take precedence over config.toml (the CLI reads them
/// from `HAVEN_RELAY`, `HAVEN_BIND` and `HAVEN_DISCOVERY`).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `default`, `disabled` or a relay URL.
    pub relay: Option<String>,
    /// A socket address to bind.
    pub bind: Option<String>,
    /// `on` or `off`.
    pub discovery: Option<String>,
}

/// What the node is for: sending over the network, or only local reads and changes (which
/// work in offline mode too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Pairing, syncing, serving.
    Network,
    /// Reading and changing membership and the address book only.
    Local,
}

/// How a node is opened.
#[derive(Clone)]
pub struct NodeConfig {
    /// The endpoint's settings.
    pub net: NetConfig,
    /// The wall clock.
    pub clock: Clock,
}

impl std::fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeConfig")
            .field("net", &self.net)
            .finish_non_exhaustive()
    }
}

impl NodeConfig {
    /// Resolves the settings of config.toml's `[network]` with `overrides`, for a device
    /// whose id is `device` (its home port comes from it). Refuses a network purpose in
    /// offline mode unless a relay was given for this run.
    pub fn resolve(
        network: &NetworkConfig,
        device: Option<&[u8; 32]>,
        overrides: &Overrides,
        purpose: Purpose,
        clock: Clock,
    ) -> Result<NodeConfig, ConfigError> {
        if purpose == Purpose::Network && network.offline && overrides.relay.is_none() {
            return Err(ConfigError::Offline);
        }
        let relay = match overrides.relay.as_deref().unwrap_or(&network.relay) {
            "default" => Relay::Default,
            "disabled" => Relay::Disabled,
            url => Relay::Url(url.to_string()),
        };
        let bind = match overrides.bind.as_ref().or(network.bind.as_ref()) {
            Some(text) => Some(
                text.parse::<SocketAddr>()
                    .map_err(|_| ConfigError::Bind(text.clone()))?,
            ),
            None => None,
        };
        let local_discovery = match overrides.discovery.as_deref() {
            None => network.local_discovery,
            Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(ConfigError::Discovery(other.to_string())),
        };
        Ok(NodeConfig {
            net: NetConfig {
                relay,
                bind,
                // Every process of this device listens on the same port unless told
                // otherwise, so the address a peer learns while pairing still answers once
                // the daemon runs.
                home_port: device.map(haven_sync::net::home_port),
                step_timeout: Duration::from_secs(20),
                local_discovery,
            },
            clock,
        })
    }

    /// Settings for a node on loopback only, with no relay and no discovery: for tests and
    /// examples that run several nodes in one process.
    pub fn loopback(clock: Clock) -> NodeConfig {
        NodeConfig {
            net: NetConfig {
                relay: Relay::Disabled,
                bind: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
                home_port: None,
                step_timeout: Duration::from_secs(20),
                local_discovery: false,
            },
            clock,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock() -> Clock {
        Arc::new(|| 0)
    }

    #[test]
    fn offline_mode_refuses_the_network_but_not_local_work() {
        let network = NetworkConfig {
            offline: true,
            ..NetworkConfig::default()
        };
        let none = Overrides::default();
        let refused = NodeConfig::resolve(&network, None, &none, Purpose::Network, clock());
        assert!(matches!(refused, Err(ConfigError::Offline)));
        assert!(NodeConfig::resolve(&network, None, &none, Purpose::Local, clock()).is_ok());
    }

    #[test]
    fn overrides_win_and_bad_values_are_named() {
        let network = NetworkConfig::default();
        let given = Overrides {
            relay: Some("http://10.0.0.1:3340".into()),
            bind: Some("127.0.0.1:0".into()),
            discovery: Some("off".into()),
        };
        let config =
            NodeConfig::resolve(&network, Some(&[1; 32]), &given, Purpose::Network, clock())
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.net.relay, Relay::Url("http://10.0.0.1:3340".into()));
        assert_eq!(config.net.bind, Some(SocketAddr::from(([127, 0, 0, 1], 0))));
        assert!(!config.net.local_discovery);
        assert_eq!(
            config.net.home_port,
            Some(haven_sync::net::home_port(&[1; 32]))
        );
        let bad = Overrides {
            bind: Some("port 80".into()),
            ..Overrides::default()
        };
        let err = NodeConfig::resolve(&network, None, &bad, Purpose::Network, clock());
        assert!(matches!(err, Err(ConfigError::Bind(ref b)) if b == "port 80"));
        let bad = Overrides {
            discovery: Some("maybe".into()),
            ..Overrides::default()
        };
        let err = NodeConfig::resolve(&network, None, &bad, Purpose::Network, clock());
        assert!(matches!(err, Err(ConfigError::Discovery(ref d)) if d == "maybe"));
    }
}
