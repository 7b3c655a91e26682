//! What every capability's bindings share: [`host_bindings!`], the one
//! `bindgen!` preamble (and its `add_to_linker`) each capability states
//! once per world, the [`Trappable`] result of a host function, and the small helpers
//! Preview 3's concurrent host functions use to reach the [`HostState`]
//! through an [`Accessor`] in short `with` calls.

use std::sync::Arc;

use wasmtime::component::{
    Access, Accessor, FutureReader, HasSelf, Lift, Lower, Resource, ResourceTableError, StreamReader,
};

use crate::{ComponentCapabilities, HostState};

/// A host function's result: `Err` traps the guest.
pub(crate) type Trappable<T> = wasmtime::Result<T>;

/// Generates `mod bindings` from one world of `wit/` (async, trappable
/// imports, resources mapped by the optional `with` table) and, when the
/// world's name is given, a `bindings::add_to_linker` that links the whole
/// world over [`HostState`]: `host_bindings!("kiln:host/x" => X, with: { … });`.
macro_rules! host_bindings {
    ($world:tt $(=> $World:ident)? $(, with: $with:tt)? $(,)?) => {
        pub(crate) mod bindings {
            wasmtime::component::bindgen!({
                path: "wit",
                world: $world,
                imports: { default: async | trappable },
                $(with: $with,)?
            });

            $(
                /// Adds every interface of this world to `linker`.
                pub(crate) fn add_to_linker(
                    linker: &mut wasmtime::component::Linker<$crate::HostState>,
                ) -> wasmtime::Result<()> {
                    use $crate::HostState;
                    $World::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(linker, |state| state)
                }
            )?
        }
    };
}
pub(crate) use host_bindings;

/// `impl $host for HostState {}` and the resource trait `$resource`, whose
/// only plain function in a Preview 3 interface is `drop` (the others are
/// `async func`s, in its `…WithStore` trait).
macro_rules! p3_resource {
    ($host:path, $resource:path, $handle:ty) => {
        impl $host for $crate::HostState {}

        impl $resource for $crate::HostState {
            async fn drop(&mut self, this: wasmtime::component::Resource<$handle>) -> wasmtime::Result<()> {
                self.table.delete(this)?;
                Ok(())
            }
        }
    };
}
pub(crate) use p3_resource;

/// A Preview 3 function's accessor over [`HostState`].
pub(crate) type P3<T> = Accessor<T, HasSelf<HostState>>;

/// The calling component's grants and id, taken out of the store.
pub(crate) fn caps<T>(accessor: &P3<T>) -> (Arc<ComponentCapabilities>, Arc<str>) {
    accessor.with(|mut access| {
        let state = access.get();
        (state.caps.clone(), state.component_id.clone())
    })
}

/// What the guest's handle holds, read through `read` (a stale handle
/// traps, as for every resource).
pub(crate) fn handle<T, H: 'static, R>(accessor: &P3<T>, this: &Resource<H>, read: impl FnOnce(&H) -> R) -> Trappable<R> {
    accessor.with(|mut access| Ok(read(access.get().table.get(this)?)))
}

/// Hands the guest `value` as a new resource; a full table is the
/// interface's error made by `full`.
pub(crate) fn push<T, H: Send + 'static, E>(
    accessor: &P3<T>,
    value: H,
    full: impl FnOnce(ResourceTableError) -> E,
) -> Result<Resource<H>, E> {
    accessor.with(|mut access| access.get().table.push(value).map_err(full))
}

/// A stream of items and a future of the outcome, as Preview 3 functions
/// answer.
pub(crate) type Streamed<I, E> = (StreamReader<I>, FutureReader<Result<(), E>>);

/// A stream of `items` and a future already holding `outcome`: the backends
/// answer in full before the call returns, so the outcome is known too.
pub(crate) fn streamed<T, I, E>(
    access: &mut Access<'_, T, HasSelf<HostState>>,
    items: Vec<I>,
    outcome: Result<(), E>,
) -> wasmtime::Result<Streamed<I, E>>
where
    I: Lower + Lift + Unpin + Send + Sync + 'static,
    Result<(), E>: Lower + Lift + Send + Sync + 'static,
{
    let items = StreamReader::new(&mut *access, items)?;
    let outcome = FutureReader::new(&mut *access, std::future::ready(Ok::<_, wasmtime::Error>(outcome)))?;
    Ok((items, outcome))
}
