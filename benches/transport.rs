//! Transport throughput and latency on loopback, side by side in one run.
//!
//! Run: `cargo bench --bench transport` (add `-- quick` for shorter
//! windows). Printed figures:
//!
//! - UDP receive throughput (messages/s) of three receivers draining the
//!   same bursts of queued datagrams: a raw `std::net::UdpSocket` loop doing
//!   no OSC work (the ceiling), rosc decoding on `std::net`, and this
//!   crate's `Server` (receive + decode + typed dispatch, one `poll_once`);
//! - TCP throughput of one connection into the `Server`, for both framings;
//! - ping-pong round-trip latency (p50, p99) over UDP and TCP.
//!
//! Throughput through threads does not fit criterion's model, so this is a
//! plain binary (`harness = false`).

use std::net::UdpSocket;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use osc_serde::dispatch::Reply;
use osc_serde::framing::Framing;
use osc_serde::transport::{Server, TcpClient, UdpClient};
use osc_serde::Dispatcher;

#[derive(serde::Serialize)]
#[serde(rename = "/synth/1/freq")]
struct Freq<'a> {
    hz: i32,
    amp: f32,
    wave: &'a str,
}

const FREQ: Freq<'static> = Freq {
    hz: 440,
    amp: 0.5,
    wave: "sine",
};

/// Bound on any single wait, so that a broken build fails instead of hanging.
const WAIT: Duration = Duration::from_secs(5);

struct Settings {
    rounds: usize,
    tcp_messages: u64,
    pings: usize,
}

fn main() {
    // `cargo bench` passes `--bench`; other arguments select the quick mode.
    let quick = std::env::args().any(|a| a == "quick");
    let settings = if quick {
        Settings {
            rounds: 200,
            tcp_messages: 300_000,
            pings: 2_000,
        }
    } else {
        Settings {
            rounds: 2_000,
            tcp_messages: 3_000_000,
            pings: 20_000,
        }
    };
    let packet = osc_serde::to_vec(&FREQ).expect("encodes");
    println!("message: /synth/1/freq ifs ({} bytes)", packet.len());

    println!(
        "\nUDP receive throughput: {} rounds of {BURST} queued datagrams drained per receiver (median of blocks of {BLOCK})",
        settings.rounds
    );
    let [raw, rosc, ours] = udp_drain(&packet, settings.rounds);
    println!("  raw std::net recv loop (ceiling) {:>12.0} msg/s", raw);
    println!(
        "  rosc + std::net                  {:>12.0} msg/s  {:5.1}% of ceiling",
        rosc,
        100.0 * rosc / raw
    );
    println!(
        "  osc_serde Server                 {:>12.0} msg/s  {:5.1}% of ceiling",
        ours,
        100.0 * ours / raw
    );

    println!(
        "\nTCP throughput, one connection, {} messages",
        settings.tcp_messages
    );
    for framing in [Framing::Length, Framing::Slip] {
        let rate = tcp_server(framing, settings.tcp_messages);
        println!("  {:<6} {:>12.0} msg/s", format!("{framing:?}"), rate);
    }

    println!("\nPing-pong round trip, {} pings", settings.pings);
    let (p50, p99) = ping_pong_udp(settings.pings);
    println!("  UDP          p50 {:>6.1} µs  p99 {:>6.1} µs", p50, p99);
    for framing in [Framing::Length, Framing::Slip] {
        let (p50, p99) = ping_pong_tcp(framing, settings.pings);
        println!(
            "  TCP {:<8} p50 {:>6.1} µs  p99 {:>6.1} µs",
            format!("{framing:?}"),
            p50,
            p99
        );
    }
}

/// Datagrams queued per round: fewer than a default socket receive buffer
/// (212,992 bytes) holds of small datagrams.
const BURST: usize = 200;

/// Rounds one receiver runs before the next takes over.
const BLOCK: usize = 50;

/// Receive throughput of the three receivers, measured without a
/// competing sender: each round queues `BURST` datagrams in the receiving
/// socket, then times how long the receiver takes to take them all (until
/// the socket is empty). The receivers take turns in blocks of `BLOCK`
/// rounds, so load from other processes falls on all three alike while
/// each runs with warm caches; each reports its median block rate.
fn udp_drain(packet: &[u8], rounds: usize) -> [f64; 3] {
    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");

    let raw = UdpSocket::bind("127.0.0.1:0").expect("bind");
    raw.set_nonblocking(true).expect("nonblocking");
    let rosc = UdpSocket::bind("127.0.0.1:0").expect("bind");
    rosc.set_nonblocking(true).expect("nonblocking");

    let count = Arc::new(AtomicU64::new(0));
    let mut d = Dispatcher::new();
    let c = count.clone();
    d.map(
        "/synth/1/freq",
        move |(hz, _amp, _wave): (i32, f32, String)| {
            if hz == 440 {
                c.fetch_add(1, Ordering::Relaxed);
            }
        },
    )
    .expect("map");
    let mut server = Server::new(d).expect("server");
    let server_addr = server.bind_udp("127.0.0.1:0").expect("bind");

    let mut buf = vec![0u8; 65_536];
    // Each receiver's rate per block; the median over blocks resists the
    // load spikes of a shared machine.
    let mut rates: [Vec<f64>; 3] = Default::default();
    for _ in 0..rounds.div_ceil(BLOCK) {
        for (r, block_rates) in rates.iter_mut().enumerate() {
            let (mut n, mut time) = (0, Duration::ZERO);
            for _ in 0..BLOCK {
                let target = match r {
                    0 => raw.local_addr(),
                    1 => rosc.local_addr(),
                    _ => Ok(server_addr),
                }
                .expect("addr");
                for _ in 0..BURST {
                    sender.send_to(packet, target).expect("send");
                }
                let before = count.load(Ordering::Relaxed);
                let start = Instant::now();
                n += match r {
                    0 => drain(&raw, &mut buf, |_| true),
                    1 => drain(&rosc, &mut buf, rosc_accepts),
                    _ => {
                        server.poll_once(Some(Duration::ZERO)).expect("poll");
                        count.load(Ordering::Relaxed) - before
                    }
                };
                time += start.elapsed();
            }
            block_rates.push(n as f64 / time.as_secs_f64());
        }
    }
    rates.map(|mut v| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    })
}

/// Receives until the socket is empty; counts datagrams `accept` takes.
fn drain(socket: &UdpSocket, buf: &mut [u8], accept: fn(&[u8]) -> bool) -> u64 {
    let mut n = 0;
    while let Ok((len, _)) = socket.recv_from(buf) {
        n += accept(&buf[..len]) as u64;
    }
    n
}

/// Decodes with rosc and checks the message as the typed handler does.
fn rosc_accepts(bytes: &[u8]) -> bool {
    match rosc::decoder::decode_udp(bytes) {
        Ok((_, rosc::OscPacket::Message(m))) if m.addr == "/synth/1/freq" => matches!(
            m.args.as_slice(),
            [
                rosc::OscType::Int(440),
                rosc::OscType::Float(_),
                rosc::OscType::String(_)
            ]
        ),
        _ => false,
    }
}

fn tcp_server(framing: Framing, messages: u64) -> f64 {
    let (done_tx, done) = channel();
    let mut d = Dispatcher::new();
    let mut seen = 0u64;
    d.map(
        "/synth/1/freq",
        move |(hz, _amp, _wave): (i32, f32, String)| {
            seen += (hz == 440) as u64;
            if seen == messages {
                let _ = done_tx.send(());
            }
        },
    )
    .expect("map");
    let mut server = Server::new(d).expect("server");
    let addr = server
        .listen_tcp_with("127.0.0.1:0", framing)
        .expect("listen");
    let handle = server.spawn().expect("spawn");
    let mut client = TcpClient::connect_with(addr, framing).expect("connect");
    let start = Instant::now();
    for _ in 0..messages {
        client.queue(&FREQ).expect("queue");
    }
    client.flush().expect("flush");
    done.recv_timeout(Duration::from_secs(120))
        .expect("all messages dispatched");
    let rate = messages as f64 / start.elapsed().as_secs_f64();
    handle.stop().expect("stop");
    handle.join().expect("join");
    rate
}

fn ping_dispatcher() -> Dispatcher {
    let mut d = Dispatcher::new();
    d.map("/ping", |n: i32| Reply::to("/pong", n)).expect("map");
    d
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    (at(0.50), at(0.99))
}

/// Round trips of `/ping i` → `/pong i` through a server; `transport`
/// binds the server and makes a function doing one round trip.
fn ping_pong(
    pings: usize,
    transport: impl FnOnce(&mut Server) -> Box<dyn FnMut(i32)>,
) -> (f64, f64) {
    let mut server = Server::new(ping_dispatcher()).expect("server");
    let mut round_trip = transport(&mut server);
    let handle = server.spawn().expect("spawn");
    let mut samples = Vec::with_capacity(pings);
    for i in 0..pings as i32 {
        let start = Instant::now();
        round_trip(i);
        samples.push(start.elapsed());
    }
    handle.stop().expect("stop");
    handle.join().expect("join");
    percentiles(samples)
}

fn ping_pong_udp(pings: usize) -> (f64, f64) {
    ping_pong(pings, |server| {
        let addr = server.bind_udp("127.0.0.1:0").expect("bind");
        let mut client = UdpClient::new(addr).expect("client");
        Box::new(move |i| {
            client.send_message("/ping", &i).expect("send");
            client.recv_bytes_from(WAIT).expect("recv").expect("a pong");
        })
    })
}

fn ping_pong_tcp(framing: Framing, pings: usize) -> (f64, f64) {
    ping_pong(pings, |server| {
        let addr = server.listen_tcp("127.0.0.1:0").expect("listen");
        // Connecting before the server runs is fine: the kernel accepts.
        let mut client = TcpClient::connect_with(addr, framing).expect("client");
        Box::new(move |i| {
            client.send_message("/ping", &i).expect("send");
            client.recv_bytes(WAIT).expect("recv").expect("a pong");
        })
    })
}
