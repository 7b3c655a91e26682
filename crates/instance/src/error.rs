//! Why a component could not be prepared, whatever trigger serves it.

/// Why a component could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// A component could not be read, compiled or linked.
    #[error("component `{id}`: {message}")]
    Component {
        /// Component id.
        id: String,
        /// What went wrong, with the path where one is involved.
        message: String,
    },
    /// A trigger names a component the app does not have.
    #[error("trigger for route `{route}` names unknown component `{id}`")]
    UnknownComponent {
        /// The route.
        route: String,
        /// The component id.
        id: String,
    },
    /// A log file could not be opened.
    #[error("component `{id}`: {source}")]
    Logs {
        /// Component id.
        id: String,
        /// The cause.
        source: std::io::Error,
    },
}
