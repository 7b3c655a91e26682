use spin_sdk::redis_component;

/// Runs once for every message published on the subscribed channel.
#[redis_component]
fn on_message(message: bytes::Bytes) -> anyhow::Result<()> {
    println!("received: {}", String::from_utf8_lossy(&message));
    Ok(())
}
