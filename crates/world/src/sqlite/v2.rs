//! Spin 2 `fermyon:spin/sqlite@2.0.0`: a `connection` resource.

use wasmtime::component::Resource;

use super::bindings::fermyon::spin2_0_0::sqlite as v2;
use super::{connection_methods, ConnectionHandle};
use crate::shared::Trappable;
use crate::HostState;

impl v2::Host for HostState {}

impl v2::HostConnection for HostState {
    connection_methods!(v2);
}
