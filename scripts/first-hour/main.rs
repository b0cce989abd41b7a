//! The first hour of a new user, as a program: built by scripts/first-hour.sh
//! in a throwaway project whose only dependency is the README's install line
//! (`osc-serde = "0.1"`, patched to the packaged crate). It uses what the
//! README and the crate docs show: derives through `osc_serde::serde`, a
//! server with a dispatcher, a typed UDP client, a TCP client in both
//! framings, replies, and the message a type mistake gives.

use std::sync::mpsc;
use std::time::Duration;

use osc_serde::framing::Framing;
use osc_serde::transport::{Server, TcpClient, UdpClient};
use osc_serde::{Context, Deserialize, Dispatcher, Message, Serialize};

const WAIT: Duration = Duration::from_secs(10);

/// A typed message: the serde name is the address, the fields the arguments.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "osc_serde::serde")]
#[serde(rename = "/synth/freq")]
struct Freq {
    hz: f32,
    wave: String,
}

/// The server's reply, decoded straight into a type.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(crate = "osc_serde::serde")]
#[serde(rename = "/pong")]
struct Pong(i32, bool);

fn main() -> osc_serde::Result<()> {
    let (freqs, got_freq) = mpsc::channel();
    let (volumes, got_volume) = mpsc::channel();
    let (errors, got_error) = mpsc::channel();

    let mut dispatcher = Dispatcher::new();
    dispatcher.map("/synth/freq", move |f: Freq| freqs.send(f).unwrap())?;
    dispatcher.map("/mixer/*/volume", move |v: f32| volumes.send(v).unwrap())?;
    dispatcher.map_with_context("/ping", |ctx: &Context, (n,): (i32,)| {
        Message::new("/pong").arg(n + 1).arg(ctx.peer().is_some())
    })?;
    dispatcher.on_error(move |report| {
        eprintln!("first-hour: the server reported: {report}");
        errors.send(report.to_string()).unwrap();
    });

    let mut server = Server::new(dispatcher)?;
    let udp = server.bind_udp("127.0.0.1:0")?;
    let tcp = server.listen_tcp("127.0.0.1:0")?;
    let handle = server.spawn()?;

    // A typed UDP client.
    let mut client = UdpClient::new(udp)?;
    let freq = Freq {
        hz: 440.0,
        wave: "sine".into(),
    };
    client.send(&freq)?;
    assert_eq!(got_freq.recv_timeout(WAIT).unwrap(), freq);
    client.send_message("/mixer/2/volume", &0.25f32)?;
    assert_eq!(got_volume.recv_timeout(WAIT).unwrap(), 0.25);

    // A reply, over UDP and over TCP in both framings.
    client.send_message("/ping", &(1,))?;
    assert_eq!(client.recv_as::<Pong>(WAIT)?, Some(Pong(2, true)));
    for (n, framing) in [(10, Framing::Length), (20, Framing::Slip)] {
        let mut tcp_client = TcpClient::connect_with(tcp, framing)?;
        tcp_client.send_message("/ping", &(n,))?;
        assert_eq!(tcp_client.recv_as::<Pong>(WAIT)?, Some(Pong(n + 1, true)));
        tcp_client.close()?;
    }

    // A type mistake: a string where the handler takes an f32. Nothing is
    // dispatched, and the error hook gets a message naming the address and
    // what was expected and found.
    client.send_message("/mixer/2/volume", &"loud")?;
    let report = got_error.recv_timeout(WAIT).unwrap();
    assert!(report.starts_with("/mixer/2/volume: argument 0: "), "{report}");
    assert!(report.contains("found type tag 's'"), "{report}");
    assert!(got_volume.try_recv().is_err());

    // The same mistake when decoding by hand is an error, never a panic.
    let bytes = osc_serde::to_vec(&freq)?;
    let wrong = osc_serde::from_slice::<(i32, String)>(&bytes).unwrap_err();
    println!("first-hour: decoding /synth/freq as (i32, String): {wrong}");
    assert!(wrong.to_string().contains("found type tag 'f'"), "{wrong}");

    handle.stop()?;
    let stats = handle.join()?.stats();
    assert_eq!(stats.errors, 1, "{stats:?}");
    println!("first-hour: all checks passed");
    Ok(())
}
