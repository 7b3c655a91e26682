//! Error types.
//!
//! No message built here contains a variable's value: values may be
//! secrets, and errors end up in logs and in guests' hands.

use kiln_expressions::name;

/// A variable could not be declared, resolved or parsed.
///
/// The first three variants are what a guest sees from `get`; the others
/// come from setting the resolver up or from the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The name asked for is not a valid variable name.
    #[error("invalid variable name {0:?}: {reason}", reason = name::explain(.0))]
    InvalidName(String),
    /// The component does not declare a variable of this name.
    #[error("no variable named {0:?} is declared for this component")]
    Undefined(String),
    /// A provider failed, or no provider had a value for a required
    /// variable. The message names the variable, never its value.
    #[error("{0}")]
    Provider(String),
    /// A component variable's name breaks the naming rules.
    #[error("component `{component}`: invalid variable name {variable:?}: {reason}")]
    InvalidComponentVariable {
        /// Component id.
        component: String,
        /// The offending name.
        variable: String,
        /// Which rule it breaks.
        reason: String,
    },
    /// A component variable's template does not parse.
    #[error(
        "component `{component}`: variable `{variable}`: invalid template `{template}`: {reason}"
    )]
    InvalidTemplate {
        /// Component id.
        component: String,
        /// Component variable name.
        variable: String,
        /// The template as written in the manifest.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A template refers to a name that is not an application variable.
    #[error(
        "component `{component}`: variable `{variable}`: template `{template}` refers to `{name}`, \
         which is not declared in the application's [variables]"
    )]
    UnknownVariable {
        /// Component id.
        component: String,
        /// Component variable name.
        variable: String,
        /// The template as written in the manifest.
        template: String,
        /// The undeclared name.
        name: String,
    },
    /// An application variable's name breaks the naming rules.
    #[error("application variable {name:?}: invalid name: {reason}", reason = name::explain(.name))]
    InvalidAppVariable {
        /// The offending name.
        name: String,
    },
    /// A required application variable has no value from any provider.
    #[error(
        "required variable `{0}` has no value: set it with `--variable {0}=...`, \
         the environment variable SPIN_VARIABLE_{upper}, or a variables provider",
        upper = .0.to_ascii_uppercase()
    )]
    MissingRequired(String),
    /// Resolving a component's variable failed (from [`crate::Resolver::validate`]).
    #[error("component `{component}`: variable `{variable}`: {source}")]
    Component {
        /// Component id.
        component: String,
        /// Component variable name.
        variable: String,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },
    /// A `--variable` argument or the file it names is not usable.
    #[error("--variable: {0}")]
    CliVariable(String),
}

/// A provider could not look a variable up (the service is unreachable,
/// refuses the credentials, answers garbage, ...).
///
/// The message never contains a variable value or a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    message: String,
}

impl ProviderError {
    /// An error with this message. Callers must keep values and credentials
    /// out of it.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}
