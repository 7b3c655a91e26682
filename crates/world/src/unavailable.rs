//! Stand-ins for interfaces whose capability Kiln does not provide (yet).
//!
//! SDK-built guests import their platform's whole world even when they call
//! one function of it. Rather than failing to link, each such import is
//! defined from the component's own type information: every function returns
//! the *error value of its own interface* — `result<_, error>` gets
//! `err(error::other("…"))` or the closest case the error type has — so the
//! guest sees an ordinary, handleable failure. Only a function whose
//! signature has no error channel at all traps, with a message naming it.
//! `async` functions (component-model async, as WASI 0.3 and Spin's
//! Preview 3 interfaces declare them) are defined as concurrent host
//! functions answering the same way.

use wasmtime::component::types::{ComponentItem, Type};
use wasmtime::component::{Linker, LinkerInstance, ResourceType, Val};
use wasmtime::Engine;

use crate::HostState;

/// Stand-in resource type for resources of unavailable interfaces. No value
/// of it is ever created, since every constructor fails.
struct Unavailable;

/// Defines import `name` of type `item` in `linker` as unavailable.
pub fn link_import(
    linker: &mut Linker<HostState>,
    engine: &Engine,
    name: &str,
    item: &ComponentItem,
) -> wasmtime::Result<()> {
    let mut root = linker.root();
    link_item(&mut root, engine, name, name, item)
}

fn link_item(
    instance: &mut LinkerInstance<'_, HostState>,
    engine: &Engine,
    path: &str,
    name: &str,
    item: &ComponentItem,
) -> wasmtime::Result<()> {
    match item {
        ComponentItem::ComponentInstance(ty) => {
            let mut nested = instance.instance(name)?;
            for (export, ext) in ty.exports(engine) {
                let path = format!("{path}#{export}");
                link_item(&mut nested, engine, &path, export, &ext.ty)?;
            }
        }
        ComponentItem::ComponentFunc(func) => {
            let message = format!("`{path}` is not available on this Kiln host");
            let results: Vec<Type> = func.results().collect();
            if func.async_() {
                // An `async func` (WASI 0.3, the spin-sdk 7 interfaces) can
                // only be satisfied by a concurrent host function.
                instance.func_new_concurrent(name, move |_accessor, _ty, _params, out| {
                    let answer = answer_unavailable(&results, &message, out);
                    Box::pin(std::future::ready(answer))
                })?;
            } else {
                instance.func_new(name, move |_store, _ty, _params, out| {
                    answer_unavailable(&results, &message, out)
                })?;
            }
        }
        ComponentItem::Resource(_) => {
            instance.resource(name, ResourceType::host::<Unavailable>(), |_, _| Ok(()))?;
        }
        // Types, modules and nested components carry nothing to call.
        _ => {}
    }
    Ok(())
}

fn answer_unavailable(results: &[Type], message: &str, out: &mut [Val]) -> wasmtime::Result<()> {
    match (results, out) {
        ([], []) => {
            tracing::debug!("{message} (ignored: no result)");
            Ok(())
        }
        ([Type::Result(result)], [slot]) => {
            let err = match result.err() {
                Some(ty) => Some(Box::new(error_value(&ty, message).ok_or_else(|| {
                    wasmtime::format_err!("{message}, and its error type cannot say so")
                })?)),
                None => None,
            };
            *slot = Val::Result(Err(err));
            Ok(())
        }
        _ => Err(wasmtime::format_err!("{message}")),
    }
}

/// Case names that mean "this failed for a reason outside the caller's
/// control", most fitting first.
const PREFERRED_CASES: &[&str] = &[
    "other",
    "unavailable",
    "unsupported",
    "provider",
    "io",
    "io-error",
    "connection-failed",
    "runtime-error",
    "access-denied",
    "internal-error",
];

/// Builds an error value of type `ty` that carries `message` where it can.
pub fn error_value(ty: &Type, message: &str) -> Option<Val> {
    match ty {
        Type::Variant(variant) => {
            let cases: Vec<_> = variant.cases().map(|c| (c.name.to_string(), c.ty)).collect();
            let pick = PREFERRED_CASES
                .iter()
                .find_map(|want| cases.iter().find(|(name, _)| name == want))
                .into_iter()
                .chain(cases.iter().filter(|(_, ty)| matches!(ty, Some(Type::String))))
                .chain(cases.iter())
                .find_map(|(name, ty)| match ty {
                    None => Some(Val::Variant(name.clone(), None)),
                    Some(ty) => filler_value(ty, message)
                        .map(|v| Val::Variant(name.clone(), Some(Box::new(v)))),
                });
            pick
        }
        Type::Enum(names) => {
            let names: Vec<&str> = names.names().collect();
            let name = PREFERRED_CASES
                .iter()
                .find(|want| names.contains(want))
                .copied()
                .or_else(|| names.first().copied())?;
            Some(Val::Enum(name.to_string()))
        }
        other => filler_value(other, message),
    }
}

/// A value of `ty` with `message` in every string: used for error payloads.
fn filler_value(ty: &Type, message: &str) -> Option<Val> {
    Some(match ty {
        Type::Bool => Val::Bool(false),
        Type::S8 => Val::S8(0),
        Type::U8 => Val::U8(0),
        Type::S16 => Val::S16(0),
        Type::U16 => Val::U16(0),
        Type::S32 => Val::S32(0),
        Type::U32 => Val::U32(0),
        Type::S64 => Val::S64(0),
        Type::U64 => Val::U64(0),
        Type::Float32 => Val::Float32(0.0),
        Type::Float64 => Val::Float64(0.0),
        Type::Char => Val::Char('\0'),
        Type::String => Val::String(message.to_string()),
        Type::List(_) => Val::List(Vec::new()),
        Type::Map(_) => Val::Map(Vec::new()),
        Type::Option(_) => Val::Option(None),
        Type::Flags(_) => Val::Flags(Vec::new()),
        Type::Record(record) => Val::Record(
            record
                .fields()
                .map(|f| Some((f.name.to_string(), filler_value(&f.ty, message)?)))
                .collect::<Option<_>>()?,
        ),
        Type::Tuple(tuple) => Val::Tuple(
            tuple
                .types()
                .map(|t| filler_value(&t, message))
                .collect::<Option<_>>()?,
        ),
        Type::Variant(_) | Type::Enum(_) => error_value(ty, message)?,
        Type::Result(result) => Val::Result(Err(match result.err() {
            Some(err) => Some(Box::new(error_value(&err, message)?)),
            None => None,
        })),
        Type::FixedLengthList(list) => Val::FixedLengthList(
            (0..list.len())
                .map(|_| filler_value(&list.ty(), message))
                .collect::<Option<_>>()?,
        ),
        Type::Own(_)
        | Type::Borrow(_)
        | Type::Future(_)
        | Type::Stream(_)
        | Type::ErrorContext => return None,
    })
}
