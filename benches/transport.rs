//! Transport throughput and latency on loopback, side by side in one run.
//!
//! Run: `cargo bench --bench transport` (add `-- quick` for shorter
//! windows; add `udp`, `tcp` or `ping` to run only those sections, e.g.
//! `cargo bench --bench transport -- quick udp`). Printed figures:
//!
//! - UDP receive: the time per datagram of four receivers draining the
//!   same bursts of queued datagrams: a raw `std::net::UdpSocket` loop doing
//!   no OSC work (the ceiling), rosc decoding on `std::net`, and this
//!   crate's `Server` (receive + decode + typed dispatch to a handler
//!   borrowing its arguments, `(i32, f32, &str)`, one `poll_once`),
//!   and the same `Server` with a sink that only counts packets (what the
//!   transport alone adds, without decoding and dispatch); then what each
//!   adds to the raw loop per datagram, and ours as a share of rosc's (the
//!   issue's target: at most half);
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
use osc_serde::transport::{PacketSink, Server, TcpClient, UdpClient};
use osc_serde::{Dispatcher, Origin, Responder};

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
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let sections = ["udp", "tcp", "ping"];
    let chosen: Vec<&str> = sections
        .into_iter()
        .filter(|s| args.iter().any(|a| a == s))
        .collect();
    let run = |section: &str| chosen.is_empty() || chosen.contains(&section);
    let settings = if quick {
        Settings {
            rounds: 2_000,
            tcp_messages: 300_000,
            pings: 2_000,
        }
    } else {
        Settings {
            rounds: 10_000,
            tcp_messages: 3_000_000,
            pings: 20_000,
        }
    };
    let packet = osc_serde::to_vec(&FREQ).expect("encodes");
    println!("message: /synth/1/freq ifs ({} bytes)", packet.len());

    if run("udp") {
        udp_report(&packet, settings.rounds);
    }
    if run("tcp") {
        tcp_report(settings.tcp_messages);
    }
    if run("ping") {
        ping_report(settings.pings);
    }
}

fn udp_report(packet: &[u8], rounds: usize) {
    println!(
        "\nUDP receive: {rounds} rounds of {BURST} queued datagrams drained by each receiver in turn (medians over rounds)"
    );
    let [raw, rosc, ours, transport] = udp_drain(packet, rounds);
    let rate = |ns: f64| 1e9 / ns;
    println!(
        "  raw std::net recv loop (ceiling) {:>7.1} ns/datagram {:>10.0} msg/s",
        raw.per_datagram,
        rate(raw.per_datagram)
    );
    for (name, r) in [
        ("rosc + std::net", &rosc),
        ("osc_serde Server", &ours),
        ("  of which the Server alone", &transport),
    ] {
        println!(
            "  {name:<32} {:>7.1} ns/datagram {:>10.0} msg/s  {:5.1}% of ceiling, adds {:>6.1} ns",
            r.per_datagram,
            rate(r.per_datagram),
            100.0 * raw.per_datagram / r.per_datagram,
            r.added
        );
    }
    println!(
        "  osc_serde adds {:.0}% of what rosc adds (target: at most 50%)",
        100.0 * ours.added / rosc.added
    );
}

fn tcp_report(messages: u64) {
    println!("\nTCP throughput, one connection, {messages} messages");
    for framing in [Framing::Length, Framing::Slip] {
        let rate = tcp_server(framing, messages);
        println!("  {:<6} {:>12.0} msg/s", format!("{framing:?}"), rate);
    }
}

fn ping_report(pings: usize) {
    println!("\nPing-pong round trip, {pings} pings");
    let (p50, p99) = ping_pong_udp(pings);
    println!("  UDP          p50 {:>6.1} µs  p99 {:>6.1} µs", p50, p99);
    for framing in [Framing::Length, Framing::Slip] {
        let (p50, p99) = ping_pong_tcp(framing, pings);
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

/// One receiver's figures, in nanoseconds per datagram.
struct UdpFigures {
    /// Median over rounds of the time to drain a burst, per datagram.
    per_datagram: f64,
    /// Median over rounds of this receiver's time minus the raw loop's
    /// in the same round, per datagram (0 for the raw loop itself).
    added: f64,
}

/// Per-datagram receive time of the receivers. Each round queues
/// `BURST` datagrams in each receiver's socket in turn and times how long
/// that receiver takes to take them all (until its socket is empty), so
/// no sender competes with the receiver. All of them run in every round,
/// one after the other (the order rotates), so the load of other
/// processes falls on all alike; the added cost is the median of
/// the per-round differences to the raw loop, which cancels load that
/// lasts longer than a round.
fn udp_drain(packet: &[u8], rounds: usize) -> [UdpFigures; RECEIVERS] {
    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");

    let raw = UdpSocket::bind("127.0.0.1:0").expect("bind");
    raw.set_nonblocking(true).expect("nonblocking");
    let rosc = UdpSocket::bind("127.0.0.1:0").expect("bind");
    rosc.set_nonblocking(true).expect("nonblocking");

    let count = Arc::new(AtomicU64::new(0));
    let mut d = Dispatcher::new();
    let c = count.clone();
    // The handler borrows its string from the packet (no allocation).
    d.map_ref(
        "/synth/1/freq",
        move |(hz, _amp, _wave): (i32, f32, &str)| {
            if hz == 440 {
                c.fetch_add(1, Ordering::Relaxed);
            }
        },
    )
    .expect("map");
    let mut server = Server::new(d).expect("server");
    let server_addr = server.bind_udp("127.0.0.1:0").expect("bind");
    let mut bare = Server::new(Counter(0)).expect("server");
    let bare_addr = bare.bind_udp("127.0.0.1:0").expect("bind");

    let mut buf = vec![0u8; 65_536];
    // Nanoseconds per datagram, per receiver and round.
    let mut times: [Vec<f64>; RECEIVERS] = Default::default();
    // One unmeasured round first warms the caches and the allocator.
    for round in 0..=rounds {
        let mut this_round = [0.0; RECEIVERS];
        for turn in 0..RECEIVERS {
            let r = (round + turn) % RECEIVERS;
            let target = match r {
                0 => raw.local_addr(),
                1 => rosc.local_addr(),
                2 => Ok(server_addr),
                _ => Ok(bare_addr),
            }
            .expect("addr");
            for _ in 0..BURST {
                sender.send_to(packet, target).expect("send");
            }
            let before = count.load(Ordering::Relaxed);
            let start = Instant::now();
            let n = match r {
                0 => drain(&raw, &mut buf, |_| true),
                1 => drain(&rosc, &mut buf, rosc_accepts),
                2 => {
                    server.poll_once(Some(Duration::ZERO)).expect("poll");
                    count.load(Ordering::Relaxed) - before
                }
                _ => {
                    let before = bare.sink_mut().0;
                    bare.poll_once(Some(Duration::ZERO)).expect("poll");
                    bare.sink_mut().0 - before
                }
            };
            let elapsed = start.elapsed();
            // A datagram lost on loopback (full buffer) spoils the round.
            assert_eq!(n, BURST as u64, "receiver {r} took every datagram");
            this_round[r] = elapsed.as_nanos() as f64 / BURST as f64;
        }
        if round > 0 {
            for (r, t) in this_round.into_iter().enumerate() {
                times[r].push(t);
            }
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let added = |r: usize| {
        median(
            times[r]
                .iter()
                .zip(&times[0])
                .map(|(t, raw)| t - raw)
                .collect(),
        )
    };
    std::array::from_fn(|r| UdpFigures {
        per_datagram: median(times[r].clone()),
        added: added(r),
    })
}

/// Receivers in [`udp_drain`]: raw, rosc, ours, our transport alone.
const RECEIVERS: usize = 4;

/// A sink that counts packets and nothing else.
struct Counter(u64);

impl PacketSink for Counter {
    fn packet(&mut self, _packet: &[u8], _origin: Origin, _responder: &mut dyn Responder) {
        self.0 += 1;
    }

    fn report_error(&mut self, error: &osc_serde::Error, _origin: Option<&Origin>) {
        panic!("unexpected error {error}");
    }

    fn error_count(&self) -> u64 {
        0
    }
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
    d.map_ref(
        "/synth/1/freq",
        move |(hz, _amp, _wave): (i32, f32, &str)| {
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
