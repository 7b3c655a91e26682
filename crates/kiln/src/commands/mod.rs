//! One module per subcommand.

pub mod build;
pub mod completions;
pub mod doctor;
pub mod kube;
pub mod new;
pub mod prebuild;
pub mod registry;
pub mod templates;
pub mod up;
pub mod watch;
