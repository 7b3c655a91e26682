//! Kiln test guest: a Preview 3 Redis-trigger component (`#[redis_subscriber]`,
//! `spin-sdk` 7.0.0, exporting `spin:redis/inbound-redis@3.0.0`, whose
//! `handle-message` is an `async func`).
//!
//! For each message it appends the payload to the Redis list named by its
//! `list` variable on the server named by its `address` variable, through
//! `spin:variables@3.0.0` and `spin:redis@3.0.0` (`execute("RPUSH", …)`), so a
//! test can see which components got which messages. A payload of `fail`
//! makes the handler return an error and `trap` makes it trap: the trigger
//! must log both and carry on.

use spin_sdk::redis::{Connection, RedisParameter};
use spin_sdk::{redis_subscriber, variables};

#[redis_subscriber]
async fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    match &message[..] {
        b"fail" => anyhow::bail!("asked to fail"),
        b"trap" => panic!("asked to trap"),
        _ => {}
    }
    let address = variables::get("address").await.map_err(|e| anyhow::anyhow!("variable address: {e:?}"))?;
    let list = variables::get("list").await.map_err(|e| anyhow::anyhow!("variable list: {e:?}"))?;
    let conn = Connection::open(&address).await.map_err(|e| anyhow::anyhow!("open: {e:?}"))?;
    conn.execute("RPUSH", [RedisParameter::Binary(list.into_bytes()), RedisParameter::Binary(message.to_vec())])
        .await
        .map_err(|e| anyhow::anyhow!("rpush: {e:?}"))?;
    Ok(())
}
