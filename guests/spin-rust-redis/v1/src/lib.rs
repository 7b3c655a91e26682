//! Kiln test guest: a Spin 1 Redis component (exports the unversioned
//! `fermyon:spin/inbound-redis`) using Spin 1 outbound Redis (the
//! unversioned `fermyon:spin/redis`, the address on every call), with
//! bindings generated from the host's WIT (crates/world/wit/deps/fermyon-spin).
//!
//! A message is three lines: a log address, a target address and a key. The
//! handler runs every Spin 1 operation against the target and `RPUSH`es one
//! line describing the outcomes (`set=Ok(()) get=Ok("v1") …`) to the list
//! `{key}:log` at the log address.

wit_bindgen::generate!({
    path: "../../../crates/world/wit/deps/fermyon-spin",
    world: "redis-v1-guest",
});

use exports::fermyon::spin::inbound_redis::Guest;
use fermyon::spin::redis;
use fermyon::spin::redis_types::{Error, RedisParameter, RedisResult};

struct Component;

impl Guest for Component {
    fn handle_message(message: Vec<u8>) -> Result<(), Error> {
        let text = String::from_utf8(message).map_err(|_| Error::Error)?;
        let mut lines = text.lines();
        let (Some(log), Some(target), Some(key)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(Error::Error);
        };
        let counter = format!("{key}:n");
        let set = format!("{key}:set");
        let outcome = [
            format!("set={:?}", redis::set(target, key, b"v1")),
            format!("get={:?}", redis::get(target, key).map(|v| String::from_utf8_lossy(&v).into_owned())),
            format!("incr={:?}", redis::incr(target, &counter)),
            format!("sadd={:?}", redis::sadd(target, &set, &["a".into(), "b".into()])),
            format!("smembers={:?}", redis::smembers(target, &set).map(|mut m| { m.sort(); m })),
            format!("srem={:?}", redis::srem(target, &set, &["a".into()])),
            format!("execute={:?}", redis::execute(target, "PING", &[]).map(|r| r.into_iter().map(describe).collect::<Vec<_>>())),
            format!("publish={:?}", redis::publish(target, &format!("{key}:channel"), b"hi")),
            format!("del={:?}", redis::del(target, &[key.to_string(), counter.clone(), set.clone()])),
        ]
        .join(" ");
        let list = format!("{key}:log");
        redis::execute(
            log,
            "RPUSH",
            &[RedisParameter::Binary(list.into_bytes()), RedisParameter::Binary(outcome.into_bytes())],
        )?;
        Ok(())
    }
}

fn describe(result: RedisResult) -> String {
    match result {
        RedisResult::Nil => "nil".into(),
        RedisResult::Status(s) => s,
        RedisResult::Int64(i) => i.to_string(),
        RedisResult::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
    }
}

export!(Component);
