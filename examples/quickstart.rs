//! The tour: a derived struct becomes an OSC message and back, then the same
//! through the dynamic `Message` and `Bundle` types.
//!
//! Run it with `cargo run --example quickstart`.

use osc_serde::{Bundle, Message, Packet, PacketRef, TimeTag, Value};
use serde::{Deserialize, Serialize};

/// A typed message: the serde name is the OSC address, the fields are the
/// arguments in order.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename = "/synth/1/freq")]
struct Freq<'a> {
    hz: i32,
    amp: f32,
    /// Borrowed: decoding points into the received bytes.
    wave: &'a str,
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .chunks(4)
        .map(|word| word.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> osc_serde::Result<()> {
    // 1. serde: struct -> bytes -> struct.
    let freq = Freq {
        hz: 440,
        amp: 0.5,
        wave: "sine",
    };
    let bytes = osc_serde::to_vec(&freq)?;
    println!("encoded {freq:?}");
    println!("  {} bytes: {}", bytes.len(), hex(&bytes));
    let back: Freq = osc_serde::from_slice(&bytes)?;
    println!("decoded {back:?}");

    // 2. The dynamic builder, like python-osc's OscMessageBuilder.
    let msg = Message::new("/mixer/channel/3")
        .arg(0.8f32)
        .arg("stereo")
        .arg(true)
        .arg(Value::Array(vec![1.into(), 2.into()]));
    let bytes = msg.to_bytes()?;
    println!("\nmessage {msg}");
    println!("  {} bytes: {}", bytes.len(), hex(&bytes));
    println!("decoded {:?}", Message::from_bytes(&bytes)?);

    // 3. A bundle holding a typed message and a dynamic one, to be applied
    //    half a second from now.
    let bundle = Bundle::new(TimeTag::after(std::time::Duration::from_millis(500)))
        .message(Message::from_bytes(&osc_serde::to_vec(&freq)?)?)
        .message(msg);
    let bytes = bundle.to_bytes()?;
    println!(
        "\nbundle at {} with {} elements",
        bundle.timetag,
        bundle.content.len()
    );
    println!("  {} bytes: {}", bytes.len(), hex(&bytes));

    // Decoding it borrowed, without allocating, element by element.
    if let PacketRef::Bundle(b) = PacketRef::from_bytes(&bytes)? {
        for element in b.elements() {
            if let PacketRef::Message(m) = element? {
                println!("  element {} ,{}", m.address(), m.type_tags());
            }
        }
    }
    assert_eq!(Packet::from_bytes(&bytes)?, Packet::Bundle(bundle));
    Ok(())
}
