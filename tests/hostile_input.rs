//! Hostile input against a live server on loopback: random and mutated
//! packets, lying length prefixes, endless SLIP frames, stalled half
//! frames, deep nesting, pathological patterns, and a peer flooding faster
//! than its packets are handled.
//!
//! After each, a second client's well-formed message must still be
//! dispatched, and the server's buffers ([`Stats`]) must hold what the
//! limits allow and no more. Synchronisation is by replies and by the
//! server's counters, with a generous bound (`WAIT`) only so that a broken
//! build fails instead of hanging. A panicking handler has its own binary
//! (tests/hostile_panic.rs), since it replaces the process's panic hook.

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::Duration;

use osc_serde::dispatch::Reply;
use osc_serde::framing::{Framing, DEFAULT_MAX_FRAME};
use osc_serde::transport::{Limits, Server, ServerHandle, Stats, TcpClient, UdpClient};
use osc_serde::{Blob, Bundle, Dispatcher, Message, Packet, TimeTag, MAX_DEPTH};

const WAIT: Duration = Duration::from_secs(20);

/// A test server: UDP, and TCP listeners detecting the framing, fixed to
/// the length prefix and fixed to SLIP. `/ping i` answers `/pong i`;
/// `/spin i` burns CPU (a slow handler), `/slow i` far more; every error goes, as its `Debug`
/// text, to `errors`; every unmatched message to `messages`.
struct Target {
    handle: ServerHandle,
    udp: SocketAddr,
    detect: SocketAddr,
    length: SocketAddr,
    slip: SocketAddr,
    errors: Receiver<String>,
    messages: Receiver<Message>,
    pings: Arc<AtomicU64>,
}

/// A slow handler's work: `rounds` steps the optimiser cannot remove.
fn burn_cpu(seed: i32, rounds: u64) {
    let mut x = seed as u64;
    for i in 0..rounds {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    std::hint::black_box(x);
}

fn start(limits: Limits) -> Target {
    let (etx, errors) = channel();
    let (mtx, messages) = channel();
    let pings = Arc::new(AtomicU64::new(0));
    let mut d = Dispatcher::new();
    let p = pings.clone();
    d.map("/ping", move |n: i32| {
        p.fetch_add(1, Ordering::SeqCst);
        Reply::to("/pong", n)
    })
    .unwrap();
    d.map("/spin", |n: i32| burn_cpu(n, 2_000)).unwrap();
    // Far slower than any sender: a flood of these keeps the server behind.
    d.map("/slow", |n: i32| burn_cpu(n, 50_000)).unwrap();
    d.map(
        "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
        |(): ()| (),
    )
    .unwrap();
    d.set_default(move |m: Message| {
        let _ = mtx.send(m);
    });
    d.on_error(move |report| {
        let _ = etx.send(format!("{:?}", report.error));
    });
    let mut server = Server::new(d).unwrap();
    server.set_limits(limits);
    let udp = server.bind_udp("127.0.0.1:0").unwrap();
    let detect = server.listen_tcp("127.0.0.1:0").unwrap();
    let length = server
        .listen_tcp_with("127.0.0.1:0", Framing::Length)
        .unwrap();
    let slip = server
        .listen_tcp_with("127.0.0.1:0", Framing::Slip)
        .unwrap();
    Target {
        handle: server.spawn().unwrap(),
        udp,
        detect,
        length,
        slip,
        errors,
        messages,
        pings,
    }
}

impl Target {
    /// A second, well-behaved client on each transport and framing is
    /// answered.
    fn assert_serving(&self, n: i32) {
        let pong = Packet::Message(Message::new("/pong").arg(n));
        let mut udp = UdpClient::new(self.udp).unwrap();
        udp.send_message("/ping", &n).unwrap();
        let (reply, _) = udp.recv_from(WAIT).unwrap().expect("a UDP reply");
        assert_eq!(reply, pong);
        for (addr, framing) in [
            (self.length, Framing::Length),
            (self.slip, Framing::Slip),
            (self.detect, Framing::Slip),
        ] {
            let mut tcp = TcpClient::connect_with(addr, framing).unwrap();
            tcp.send_message("/ping", &n).unwrap();
            assert_eq!(tcp.recv(WAIT).unwrap().expect("a TCP reply"), pong);
        }
    }

    /// Waits (bounded) until the server's counters satisfy `ready`, and
    /// returns them; fails with the last ones seen.
    fn stats_until(&self, what: &str, ready: impl Fn(&Stats) -> bool) -> Stats {
        common::stats_until(|| self.handle.stats(), WAIT, what, ready)
    }

    fn next_error(&self) -> String {
        self.errors.recv_timeout(WAIT).expect("an error report")
    }

    /// Nothing is held for connections that are gone.
    fn assert_idle(&self) {
        self.stats_until("no connection left", |s| s.connections == 0);
        let s = self.handle.stats();
        assert_eq!((s.buffered_input, s.pending_output), (0, 0), "{s:?}");
    }
}

/// xorshift64*: a seeded generator, so that every run sends the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Valid packets to mutate: messages of every kind and bundles.
fn valid_packets() -> Vec<Vec<u8>> {
    let messages = [
        Message::new("/ping").arg(1),
        Message::new("/a/b/c")
            .arg(1.5f32)
            .arg("text")
            .arg(Blob(vec![1, 2, 3])),
        Message::new("/mixer/*/gain").arg(0.5f32),
        Message::new("/x")
            .arg(i64::MAX)
            .arg(2.5f64)
            .arg(true)
            .arg(false),
        Message::new("/arr").arg(vec![osc_serde::Value::Int(1), osc_serde::Value::Nil]),
    ];
    let mut packets: Vec<Vec<u8>> = messages.iter().map(|m| m.to_bytes().unwrap()).collect();
    let bundle = messages
        .iter()
        .fold(Bundle::new(TimeTag::IMMEDIATE), |b, m| b.message(m.clone()));
    let nested = Bundle::new(TimeTag::IMMEDIATE)
        .bundle(bundle.clone())
        .message(Message::new("/after"));
    packets.push(bundle.to_bytes().unwrap());
    packets.push(nested.to_bytes().unwrap());
    packets
}

/// A random packet: pure noise, or a valid packet with bits flipped,
/// bytes overwritten, inserted or removed, a length field changed, or cut.
fn hostile_packet(rng: &mut Rng, valid: &[Vec<u8>]) -> Vec<u8> {
    if rng.below(4) == 0 {
        let len = rng.below(200);
        return (0..len).map(|_| rng.next() as u8).collect();
    }
    let mut p = valid[rng.below(valid.len())].clone();
    for _ in 0..1 + rng.below(4) {
        if p.is_empty() {
            break;
        }
        let at = rng.below(p.len());
        match rng.below(6) {
            0 => p[at] ^= 1 << rng.below(8),
            1 => p[at] = rng.next() as u8,
            2 => p.insert(at, rng.next() as u8),
            3 => {
                p.remove(at);
            }
            4 => {
                // A word (a bundle element size, a blob size...) set to an
                // extreme.
                let at = at & !3;
                let word: [u8; 4] = match rng.below(3) {
                    0 => 0x7fff_ffffu32.to_be_bytes(),
                    1 => 0x8000_0000u32.to_be_bytes(),
                    _ => (rng.below(64) as u32).to_be_bytes(),
                };
                for (i, b) in word.into_iter().enumerate() {
                    if let Some(slot) = p.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
            _ => p.truncate(at),
        }
    }
    p
}

#[test]
fn random_and_mutated_packets() {
    let t = start(Limits::default());
    let valid = valid_packets();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let sent = 4000;

    // Over UDP: every 50 datagrams a ping round trip, so that the socket's
    // receive buffer never overflows and every datagram reaches the server.
    let mut udp = UdpClient::new(t.udp).unwrap();
    for i in 0..sent {
        udp.send_bytes(&hostile_packet(&mut rng, &valid)).unwrap();
        if i % 50 == 49 {
            udp.send_message("/ping", &(i as i32)).unwrap();
            // Mutated pings may be answered too: skip their pongs.
            let expected = Packet::Message(Message::new("/pong").arg(i as i32));
            loop {
                let (reply, _) = udp
                    .recv_from(WAIT)
                    .unwrap()
                    .expect("a pong between datagrams");
                if reply == expected {
                    break;
                }
            }
        }
    }
    let pings = (sent / 50) as u64;
    // Over TCP, well framed: bad packets are reported, the connection stays.
    // (An empty packet is no SLIP frame at all: END END.)
    let mut frames = 0;
    for framing in [Framing::Length, Framing::Slip] {
        let mut tcp = TcpClient::connect_with(t.detect, framing).unwrap();
        for _ in 0..sent / 4 {
            let packet = hostile_packet(&mut rng, &valid);
            frames += usize::from(framing == Framing::Length || !packet.is_empty());
            tcp.send_bytes(&packet).unwrap();
        }
        tcp.send_message("/ping", &-1).unwrap();
        let expected = Packet::Message(Message::new("/pong").arg(-1));
        while tcp.recv(WAIT).unwrap().expect("a pong after the noise") != expected {}
    }
    t.assert_serving(7);

    // Every datagram and frame, the pings, and assert_serving's four.
    let expected = (sent + frames) as u64 + pings + 2 + 4;
    let s = t.stats_until("every packet counted", |s| s.packets >= expected);
    assert_eq!(s.packets, expected);
    // Mutated `/ping 1` may also reach the handler; nothing was lost.
    assert!(t.pings.load(Ordering::SeqCst) >= pings + 2 + 4);
    assert_eq!(s.dropped_connections, 0, "{s:?}");
    assert_eq!(s.dropped_datagrams, 0, "{s:?}");
    let errors: Vec<String> = t.errors.try_iter().collect();
    assert!(errors.len() > sent / 2, "only {} errors", errors.len());
    assert_eq!(s.errors as usize, errors.len());
    t.assert_idle();
}

#[test]
fn tcp_peer_claiming_a_2_gib_frame() {
    let t = start(Limits::default());
    for (addr, prefix, size) in [
        (t.length, 0x7fff_ffffu32, 0x7fff_ffffusize),
        // Detected as length-prefixed (first byte not END); negative as i32.
        (t.detect, 0x8000_0000, 0x8000_0000),
    ] {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(&prefix.to_be_bytes()).unwrap();
        let _ = stream.write_all(&[0x2f; 1000]);
        common::assert_closed_by_server(&mut stream, WAIT);
        assert_eq!(
            t.next_error(),
            format!("FrameTooLarge {{ size: {size}, max: {DEFAULT_MAX_FRAME} }}")
        );
    }
    let s = t.stats_until("both closed", |s| s.dropped_connections == 2);
    assert_eq!(s.buffered_input, 0, "nothing of the claimed frame is kept");
    t.assert_serving(1);
    t.assert_idle();
}

#[test]
fn slip_stream_without_end() {
    let t = start(Limits::default());
    let mut stream = TcpStream::connect(t.slip).unwrap();
    // An opening END, then four times the frame limit with no END.
    let _ = stream.write_all(&[0xC0]);
    let chunk = [b'x'; 4096];
    for _ in 0..(4 * DEFAULT_MAX_FRAME) / chunk.len() {
        // The server may close (and reset) before all of it is written.
        if stream.write_all(&chunk).is_err() {
            break;
        }
    }
    common::assert_closed_by_server(&mut stream, WAIT);
    let error = t.next_error();
    assert!(
        error.starts_with("FrameTooLarge {")
            && error.ends_with(&format!("max: {DEFAULT_MAX_FRAME} }}")),
        "{error}"
    );
    t.stats_until("closed", |s| s.dropped_connections == 1);
    t.assert_serving(2);
    t.assert_idle();
}

#[test]
fn half_frames_that_stall() {
    let t = start(Limits::default());
    // A frame of exactly 100 bytes, for the default handler.
    let packet = Message::new("/half")
        .arg(Blob(vec![7; 84]))
        .to_bytes()
        .unwrap();
    assert_eq!(packet.len(), 100);
    let mut framed = Vec::new();
    Framing::Length.encode(&packet, &mut framed).unwrap();
    let mut slip = Vec::new();
    Framing::Slip.encode(&packet, &mut slip).unwrap();

    // Fifty connections each send half a frame and stall.
    let mut stalled = Vec::new();
    for i in 0..50 {
        let (addr, bytes) = if i % 2 == 0 {
            (t.length, &framed[..54])
        } else {
            (t.slip, &slip[..51])
        };
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(bytes).unwrap();
        stalled.push(stream);
    }
    // 25 × (4-byte prefix + 50 bytes) + 25 × 50 bytes (the END is no data).
    let s = t.stats_until("all half frames held", |s| {
        s.connections == 50 && s.buffered_input == 25 * 54 + 25 * 50
    });
    assert_eq!(s.packets, 0);
    // The server is not blocked on them.
    t.assert_serving(3);

    // The stalled peers finish their frames: each is dispatched.
    for (i, stream) in stalled.iter_mut().enumerate() {
        let rest = if i % 2 == 0 {
            &framed[54..]
        } else {
            &slip[51..]
        };
        stream.write_all(rest).unwrap();
    }
    for _ in 0..50 {
        let m = t.messages.recv_timeout(WAIT).expect("a finished frame");
        assert_eq!(m.to_bytes().unwrap(), packet);
    }
    t.stats_until("nothing held", |s| s.buffered_input == 0);
    drop(stalled);
    t.assert_idle();
    assert!(t.errors.try_iter().next().is_none());
}

/// A bundle holding a bundle ... `levels` deep, with a message inside.
fn nested_bundles(levels: usize) -> Vec<u8> {
    common::in_bundles(Message::new("/deep").to_bytes().unwrap(), levels)
}

/// A message whose type tags open `levels` arrays.
fn nested_arrays(levels: usize) -> Vec<u8> {
    let mut tags = String::from(",");
    tags.push_str(&"[".repeat(levels));
    tags.push_str(&"]".repeat(levels));
    let mut bytes = b"/deep\0\0\0".to_vec();
    bytes.extend_from_slice(tags.as_bytes());
    bytes.resize(bytes.len() + 4 - tags.len() % 4, 0);
    bytes
}

#[test]
fn deep_nesting() {
    let t = start(Limits::default());
    let mut udp = UdpClient::new(t.udp).unwrap();
    let too_deep = format!("TooDeep {{ max: {MAX_DEPTH} }}");

    // At the limit: dispatched.
    udp.send_bytes(&nested_bundles(MAX_DEPTH)).unwrap();
    let m = t
        .messages
        .recv_timeout(WAIT)
        .expect("the deepest allowed message");
    assert_eq!(m, Message::new("/deep"));
    udp.send_bytes(&nested_arrays(MAX_DEPTH)).unwrap();
    let m = t
        .messages
        .recv_timeout(WAIT)
        .expect("the deepest allowed arrays");
    assert_eq!(m.address, "/deep");

    // Beyond it (and far beyond, in a frame of the largest size): refused.
    for bytes in [
        nested_bundles(MAX_DEPTH + 1),
        nested_bundles(3000),
        nested_arrays(MAX_DEPTH + 1),
        nested_arrays(20_000),
    ] {
        udp.send_bytes(&bytes).unwrap();
        assert_eq!(t.next_error(), too_deep);
    }
    let mut tcp = TcpClient::connect_with(t.length, Framing::Length).unwrap();
    tcp.send_bytes(&nested_bundles(3000)).unwrap();
    assert_eq!(t.next_error(), too_deep);
    t.assert_serving(4);
    assert!(t.messages.try_iter().next().is_none());
    let s = t.handle.stats();
    assert_eq!(s.dropped_connections, 0);
}

#[test]
fn pathological_incoming_patterns() {
    let t = start(Limits::default());
    let mut udp = UdpClient::new(t.udp).unwrap();
    let long = "a".repeat(45);
    let many_alternatives = format!(
        "/{{{}}}",
        (0..60)
            .map(|i| format!("a{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let too_many = format!(
        "/{{{}}}",
        (0..2000)
            .map(|i| format!("x{i}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    // (incoming address, whether it reaches the mapped 45 a's + b).
    let matching = [
        ("/*a*a*a*a*a*a*b".to_string(), true),
        (format!("/*{}*a*a*a*a*a*a*c", long), false),
        (format!("/{}", "*a".repeat(100) + "*b"), false),
        ("//b".to_string(), false),
        ("//*b".to_string(), true),
        (format!("/{}", "*/".repeat(1000) + "*"), false),
        (format!("/{}b", "?".repeat(45)), true),
        (format!("/[a]{}b", "[!b]".repeat(44)), true),
        (many_alternatives, false),
    ];
    for (pattern, hit) in &matching {
        udp.send_message(pattern, &()).unwrap();
        if !hit {
            // Nothing matched: the default handler gets it.
            let m = t.messages.recv_timeout(WAIT).expect("the default handler");
            assert_eq!(&m.address, pattern);
        }
    }
    // Invalid patterns are reported, not matched.
    for pattern in [too_many.as_str(), "/[a", "/a///b", "/{a,{b}}"] {
        udp.send_message(pattern, &()).unwrap();
        let error = t.next_error();
        assert!(error.starts_with("InvalidPattern {"), "{pattern}: {error}");
    }
    t.assert_serving(5);
    // The hits reached the mapped handler, not the default one.
    let s = t.stats_until("all counted", |s| {
        s.packets as usize >= matching.len() + 4 + 4
    });
    assert_eq!(s.errors, 4);
    assert!(t.messages.try_iter().next().is_none());
}

/// A peer that sends faster than its packets are handled cannot starve
/// another: the server reads each source up to `Limits::read_budget` per
/// turn. The flood stops as soon as the other client is answered, or after
/// `FLOOD` messages (the failure case: the answer came only after the
/// flood).
#[test]
fn a_flooding_connection_does_not_starve_others() {
    const FLOOD: usize = 2_000_000;
    // A small budget: a turn of the flooding connection is then short even
    // in an unoptimised build (a turn costs the budget's packets' handling).
    let t = start(Limits::default().with_read_budget(4096));
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        let addr = t.length;
        std::thread::spawn(move || {
            let mut tcp = TcpClient::connect_with(addr, Framing::Length).unwrap();
            let mut sent = 0;
            while sent < FLOOD && !stop.load(Ordering::SeqCst) {
                for _ in 0..64 {
                    tcp.queue(&Message::new("/spin").arg(sent as i32)).unwrap();
                    sent += 1;
                }
                tcp.flush().unwrap();
            }
            sent
        })
    };
    // The flood is under way: the server has handled some of it.
    t.stats_until("flood started", |s| s.packets >= 1000);
    let mut udp = UdpClient::new(t.udp).unwrap();
    udp.send_message("/ping", &9).unwrap();
    let (reply, _) = udp
        .recv_from(WAIT)
        .unwrap()
        .expect("a reply during the flood");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(9)));
    let mut tcp = TcpClient::connect_with(t.slip, Framing::Slip).unwrap();
    tcp.send_message("/ping", &10).unwrap();
    let reply = tcp
        .recv(WAIT)
        .unwrap()
        .expect("a TCP reply during the flood");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(10)));
    stop.store(true, Ordering::SeqCst);
    let sent = flood.join().unwrap();
    assert!(
        sent < FLOOD,
        "the others were answered only after the flood"
    );
    let s = t.stats_until("the flood is handled", |s| s.packets as usize >= sent + 2);
    assert_eq!(s.dropped_connections, 0);
}

/// A datagram over the limit is dropped and counted.
#[test]
fn oversized_datagrams_are_counted() {
    let t = start(Limits::default().with_max_datagram(100));
    let mut udp = UdpClient::new(t.udp).unwrap();
    for size in [101, 1000, 65_000] {
        udp.send_bytes(&vec![0x2f; size]).unwrap();
        assert_eq!(
            t.next_error(),
            format!("FrameTooLarge {{ size: {size}, max: 100 }}")
        );
    }
    let s = t.stats_until("counted", |s| s.dropped_datagrams == 3);
    assert_eq!(s.packets, 0);
    t.assert_serving(6);
}

/// The smallest read budget still reads: one read per source per turn,
/// nothing lost, order kept.
#[test]
fn a_zero_read_budget_still_serves_everything() {
    let t = start(Limits::default().with_read_budget(0));
    let mut tcp = TcpClient::connect_with(t.length, Framing::Length).unwrap();
    for n in 0..1000 {
        tcp.queue(&Message::new("/ping").arg(n)).unwrap();
    }
    tcp.flush().unwrap();
    for n in 0..1000 {
        let reply = tcp.recv(WAIT).unwrap().expect("a pong");
        assert_eq!(reply, Packet::Message(Message::new("/pong").arg(n)));
    }
    t.assert_serving(8);
    assert_eq!(t.handle.stats().errors, 0);
}

/// Stopping returns while a peer is still flooding: the drain reads what
/// had arrived, within a bounded number of read budgets, not forever.
#[test]
fn stop_returns_while_a_peer_floods() {
    let t = start(Limits::default().with_read_budget(256));
    let flooding = Arc::new(AtomicBool::new(true));
    let flood = {
        let flooding = flooding.clone();
        let addr = t.udp;
        std::thread::spawn(move || {
            // UDP never waits for the receiver, and a slow handler keeps the
            // server behind: before the bound, draining never ended.
            let mut udp = UdpClient::new(addr).unwrap();
            let slow = Message::new("/slow").arg(1);
            while flooding.load(Ordering::SeqCst) {
                // Refused sends (ICMP from a closed port) are fine here.
                let _ = udp.send(&slow);
            }
        })
    };
    t.stats_until("flood started", |s| s.packets >= 10);
    t.handle.stopper().stop().unwrap();
    let (done, joined) = channel();
    let handle = t.handle;
    std::thread::spawn(move || {
        let _ = done.send(handle.join().map(|server| server.stats()));
    });
    let stats = joined
        .recv_timeout(WAIT * 3)
        .expect("stop() returned while the peer was still sending")
        .unwrap();
    assert!(
        flooding.load(Ordering::SeqCst),
        "the flood was still on when the server stopped"
    );
    assert!(stats.packets >= 10, "{stats:?}");
    assert_eq!(stats.errors, 0, "{stats:?}");
    flooding.store(false, Ordering::SeqCst);
    flood.join().unwrap();
}
