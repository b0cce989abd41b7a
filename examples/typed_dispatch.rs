//! A typed dispatcher behind a UDP and TCP server: handlers take their
//! arguments as Rust types (owned, or borrowed from the packet), reply to
//! the sender, and see bundle time tags.
//!
//! Run it with `cargo run --example typed_dispatch`. It serves on loopback,
//! sends itself a few messages and a timed bundle, prints what the handlers
//! saw, and stops.

use std::sync::mpsc;
use std::time::Duration;

use osc_serde::framing::Framing;
use osc_serde::transport::{Server, TcpClient, UdpClient};
use osc_serde::{Bundle, Context, Dispatcher, Message, Packet, TimeTag};
use serde::{Deserialize, Serialize};

/// `/synth/voice i f s`: one voice's note.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename = "/synth/voice")]
struct Voice {
    note: i32,
    amplitude: f32,
    wave: String,
}

fn main() -> osc_serde::Result<()> {
    let (log, lines) = mpsc::channel::<String>();

    let mut dispatcher = Dispatcher::new();
    let l = log.clone();
    dispatcher.map_with_context("/synth/voice", move |ctx: &Context, v: Voice| {
        let when = ctx.timetag().map_or("now".into(), |t| t.to_string());
        let _ = l.send(format!("voice {v:?} at {when}"));
    })?;
    let l = log.clone();
    // A pattern: every channel's gain, one handler.
    dispatcher.map("/mixer/*/gain", move |gain: f32| {
        let _ = l.send(format!("gain {gain}"));
    })?;
    let l = log.clone();
    // Borrowed from the datagram: no String is allocated for `text`.
    dispatcher.map_ref("/log", move |(level, text): (i32, &str)| {
        let _ = l.send(format!("log level {level}: {text}"));
    })?;
    // A reply: the return value goes back to the sender.
    dispatcher.map("/ping", |(n,): (i32,)| Message::new("/pong").arg(n))?;
    let l = log.clone();
    dispatcher.on_error(move |report| {
        let _ = l.send(format!("error: {report}"));
    });

    let mut server = Server::new(dispatcher)?;
    let udp = server.bind_udp("127.0.0.1:0")?;
    let tcp = server.listen_tcp("127.0.0.1:0")?;
    let handle = server.spawn()?;
    println!("serving on udp {udp} and tcp {tcp}");

    let mut client = UdpClient::new(udp)?;
    client.send(&Voice {
        note: 60,
        amplitude: 0.5,
        wave: "saw".into(),
    })?;
    client.send_message("/mixer/2/gain", &0.75f32)?;
    client.send_message("/log", &(2, "voice started"))?;
    // Wrong argument types: reported to the error hook, nothing panics.
    client.send_message("/mixer/2/gain", &"loud")?;
    // A bundle due in 100 ms: queued by the dispatcher, not slept on.
    let later = Bundle::new(TimeTag::after(Duration::from_millis(100)))
        .message(Message::from_value("/synth/voice", &(64, 0.25f32, "sine"))?);
    client.send_bundle(&later)?;

    let mut tcp_client = TcpClient::connect_with(tcp, Framing::Slip)?;
    tcp_client.send_message("/ping", &(1,))?;
    match tcp_client.recv(Duration::from_secs(5))? {
        Some(Packet::Message(reply)) => println!("reply over TCP: {reply}"),
        other => println!("no reply: {other:?}"),
    }

    for _ in 0..5 {
        match lines.recv_timeout(Duration::from_secs(5)) {
            Ok(line) => println!("{line}"),
            Err(_) => break,
        }
    }
    handle.stop()?;
    let server = handle.join()?;
    println!("{:?}", server.stats());
    Ok(())
}
