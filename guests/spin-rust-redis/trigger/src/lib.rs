//! Kiln test guest: a Redis-trigger component (`#[redis_component]`,
//! `spin-sdk` 5.2.0, exporting `fermyon:spin/inbound-redis`).
//!
//! For each message it appends the payload to the Redis list named by its
//! `list` variable on the server named by its `address` variable (outbound
//! Redis `execute("RPUSH", …)`), so a test can see which components got which
//! messages. A payload of `fail` makes the handler return an error and
//! `trap` makes it trap: the trigger must log both and carry on.

use anyhow::Context;
use spin_sdk::redis::{Connection, RedisParameter};
use spin_sdk::{redis_component, variables};

#[redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    match &message[..] {
        b"fail" => anyhow::bail!("asked to fail"),
        b"trap" => panic!("asked to trap"),
        _ => {}
    }
    let address = variables::get("address").context("variable address")?;
    let list = variables::get("list").context("variable list")?;
    let conn = Connection::open(&address).map_err(|e| anyhow::anyhow!("open: {e:?}"))?;
    conn.execute(
        "RPUSH",
        &[RedisParameter::Binary(list.into_bytes()), RedisParameter::Binary(message.to_vec())],
    )
    .map_err(|e| anyhow::anyhow!("rpush: {e:?}"))?;
    Ok(())
}
