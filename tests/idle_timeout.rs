//! The server's defences against peers that hold connections: the idle
//! timeout ([`Limits::idle_timeout`]) closes TCP connections that stall,
//! and the frame timeout ([`Limits::frame_timeout`]) those that trickle a
//! frame too slowly, so that such peers cannot keep others out; the
//! accept budget takes a burst of connects in slices.
//!
//! The timeouts are short (hundreds of milliseconds); the tests wait for
//! the server's own signals (a connection closed, the counters), each
//! bounded by `WAIT` only so that a broken build fails instead of hanging.
//! Nothing asserts how soon a connection is closed, only that it is.

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

use osc_serde::dispatch::Reply;
use osc_serde::framing::Framing;
use osc_serde::transport::{Limits, Server, ServerHandle, Stats, TcpClient};
use osc_serde::{Dispatcher, Message, Packet};

const WAIT: Duration = Duration::from_secs(20);

/// A server whose `/ping i` answers `/pong i`, reporting every error's
/// `Debug` text to the receiver; not yet running.
fn server(limits: Limits) -> (Server, SocketAddr, Receiver<String>) {
    let (tx, errors) = channel();
    let mut d = Dispatcher::new();
    d.map("/ping", |n: i32| Reply::to("/pong", n)).unwrap();
    d.on_error(move |report| {
        let _ = tx.send(format!("{:?}", report.error));
    });
    let mut server = Server::new(d).unwrap();
    server.set_limits(limits);
    let addr = server.listen_tcp("127.0.0.1:0").unwrap();
    (server, addr, errors)
}

fn with_idle_timeout(millis: u64) -> Limits {
    Limits::default().with_idle_timeout(Some(Duration::from_millis(millis)))
}

/// Waits (bounded) until the counters satisfy `ready`, and returns them.
fn stats_until(handle: &ServerHandle, what: &str, ready: impl Fn(&Stats) -> bool) -> Stats {
    common::stats_until(|| handle.stats(), WAIT, what, ready)
}

fn assert_closed_by_server(stream: &mut TcpStream) {
    common::assert_closed_by_server(stream, WAIT);
}

fn ping(tcp: &mut TcpClient, n: i32) {
    tcp.send_message("/ping", &n).unwrap();
    let reply = tcp.recv(WAIT).unwrap().expect("a reply");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(n)));
}

/// Half of a length-prefixed `/ping 1`.
fn half_frame(framing: Framing) -> Vec<u8> {
    let packet = Message::new("/ping").arg(1).to_bytes().unwrap();
    let mut framed = Vec::new();
    framing.encode(&packet, &mut framed).unwrap();
    framed.truncate(framed.len() / 2);
    framed
}

fn assert_idle_reports(errors: &Receiver<String>, count: usize) {
    assert_timeout_reports(errors, "IdleTimeout", count);
}

/// Exactly `count` reports of the `variant` timeout, and no other.
fn assert_timeout_reports(errors: &Receiver<String>, variant: &str, count: usize) {
    for _ in 0..count {
        let e = errors.recv_timeout(WAIT).expect("a timeout report");
        assert!(
            e.starts_with(&format!("{variant} {{ limit_ms: ")),
            "not a {variant} report: {e}"
        );
    }
    assert_eq!(errors.try_iter().collect::<Vec<_>>(), Vec::<String>::new());
}

/// A length-prefixed `/ping n`.
fn ping_frame(n: i32) -> Vec<u8> {
    let packet = Message::new("/ping").arg(n).to_bytes().unwrap();
    let mut framed = Vec::new();
    Framing::Length.encode(&packet, &mut framed).unwrap();
    framed
}

/// The gap between the bytes a trickling peer sends.
const TRICKLE: Duration = Duration::from_millis(50);

/// Connects and sends `bytes` one at a time, `TRICKLE` apart, from another
/// thread until they run out or a write fails (the server closed the
/// connection). Returns a handle on the same connection for reading, and
/// the thread, which gives back how many bytes were written.
fn trickle(addr: SocketAddr, bytes: Vec<u8>) -> (TcpStream, std::thread::JoinHandle<usize>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let reader = stream.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for (sent, byte) in bytes.iter().enumerate() {
            if stream.write_all(std::slice::from_ref(byte)).is_err() {
                return sent;
            }
            std::thread::sleep(TRICKLE);
        }
        bytes.len()
    });
    (reader, writer)
}

fn with_frame_timeout(millis: Option<u64>) -> Limits {
    Limits::default().with_frame_timeout(millis.map(Duration::from_millis))
}

#[test]
fn stalled_connections_are_closed_and_an_active_one_stays() {
    let (server, addr, errors) = server(with_idle_timeout(300));
    let handle = server.spawn().unwrap();

    // One client keeps talking (a ping every 20 ms, far below the timeout)
    // for as long as the stalled ones are open.
    let active_done = Arc::new(AtomicBool::new(false));
    let mut active = TcpClient::connect_with(addr, Framing::Length).unwrap();
    let chatter = {
        let done = active_done.clone();
        std::thread::spawn(move || {
            let mut n: u64 = 0;
            while !done.load(Ordering::SeqCst) {
                ping(&mut active, n as i32);
                n += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            (active, n)
        })
    };

    // Half a length-prefixed frame, half a SLIP frame, and nothing at all.
    let mut stalled = Vec::new();
    for bytes in [half_frame(Framing::Length), half_frame(Framing::Slip)] {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(&bytes).unwrap();
        stalled.push(stream);
    }
    stalled.push(TcpStream::connect(addr).unwrap());
    for stream in &mut stalled {
        assert_closed_by_server(stream);
    }
    let s = stats_until(&handle, "the stalled ones dropped", |s| {
        s.dropped_connections == 3
    });
    assert_eq!((s.connections, s.buffered_input), (1, 0), "{s:?}");

    active_done.store(true, Ordering::SeqCst);
    let (mut active, sent) = chatter.join().unwrap();
    assert!(sent > 0);
    // Still open and served.
    ping(&mut active, -1);
    // Every packet came from the active client: the stalled ones never
    // finished a frame.
    let s = stats_until(&handle, "all pings counted", |s| s.packets == sent + 1);
    assert_eq!((s.connections, s.dropped_connections), (1, 3), "{s:?}");
    assert_idle_reports(&errors, 3);
}

#[test]
fn stalled_peers_at_the_connection_limit_give_way() {
    // A longer timeout here: the fifth client must first be refused while
    // the stalled peers still hold every slot.
    let limits = with_idle_timeout(3000).with_max_connections(4);
    let (server, addr, errors) = server(limits);
    let handle = server.spawn().unwrap();

    let mut stalled = Vec::new();
    for i in 0..4 {
        let mut stream = TcpStream::connect(addr).unwrap();
        if i % 2 == 0 {
            stream.write_all(&half_frame(Framing::Length)).unwrap();
        }
        stalled.push(stream);
    }
    stats_until(&handle, "four stalled", |s| s.connections == 4);

    // No slot: the fifth is accepted and closed at once.
    let mut refused = TcpStream::connect(addr).unwrap();
    assert_closed_by_server(&mut refused);
    let s = stats_until(&handle, "the fifth refused", |s| s.dropped_connections == 1);
    assert_eq!(s.connections, 4);

    // The idle timeout frees the slots; then a fifth client is served.
    for stream in &mut stalled {
        assert_closed_by_server(stream);
    }
    stats_until(&handle, "the stalled ones dropped", |s| {
        s.connections == 0 && s.dropped_connections == 5
    });
    let mut fifth = TcpClient::connect_with(addr, Framing::Length).unwrap();
    ping(&mut fifth, 5);
    assert_idle_reports(&errors, 4);
}

#[test]
fn no_idle_timeout_keeps_stalled_connections() {
    let limits = Limits::default()
        .with_idle_timeout(None)
        .with_frame_timeout(None);
    let (mut server, addr, errors) = server(limits);
    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled.write_all(&half_frame(Framing::Length)).unwrap();
    // Without timeouts and without input, the loop has nothing to wake
    // for: a bounded poll returns with the connection still open.
    let deadline = Instant::now() + WAIT;
    while server.stats().connections == 0 || server.stats().buffered_input == 0 {
        assert!(Instant::now() < deadline, "{:?}", server.stats());
        server.poll_once(Some(Duration::from_millis(10))).unwrap();
    }
    server.poll_once(Some(Duration::from_millis(50))).unwrap();
    let s = server.stats();
    assert_eq!((s.connections, s.dropped_connections), (1, 0), "{s:?}");
    // The peer finishes its frame later: it is dispatched and answered.
    let packet = Message::new("/ping").arg(1).to_bytes().unwrap();
    let mut framed = Vec::new();
    Framing::Length.encode(&packet, &mut framed).unwrap();
    let half = half_frame(Framing::Length).len();
    stalled.write_all(&framed[half..]).unwrap();
    let mut tcp = TcpClient::from_stream(stalled, Framing::Length).unwrap();
    let handle = server.spawn().unwrap();
    let reply = tcp.recv(WAIT).unwrap().expect("a reply");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(1)));
    drop(handle);
    assert!(errors.try_iter().next().is_none());
}

#[test]
fn a_queue_of_connects_is_accepted_in_slices() {
    // The listener's backlog is 128 (mio's, as the standard library's):
    // that many connects complete in the kernel's accept queue before the
    // server looks. One turn then accepts one budget's worth (64), and the
    // rest follow on the next turn without a new readiness event.
    const CLIENTS: usize = 128;
    let (mut server, addr, errors) = server(Limits::default());
    let streams: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    let mut accepted = Vec::new();
    for _ in 0..2 {
        server.poll_once(Some(WAIT)).unwrap();
        accepted.push(server.stats().connections);
    }
    assert_eq!(accepted, [64, 128]);

    let handle = server.spawn().unwrap();
    let mut clients: Vec<TcpClient> = streams
        .into_iter()
        .map(|s| TcpClient::from_stream(s, Framing::Length).unwrap())
        .collect();
    for (n, tcp) in clients.iter_mut().enumerate() {
        tcp.send_message("/ping", &(n as i32)).unwrap();
    }
    for (n, tcp) in clients.iter_mut().enumerate() {
        let reply = tcp.recv(WAIT).unwrap().expect("a reply");
        assert_eq!(reply, Packet::Message(Message::new("/pong").arg(n as i32)));
    }
    let s = stats_until(&handle, "all counted", |s| s.packets == CLIENTS as u64);
    assert_eq!((s.connections, s.dropped_connections), (128, 0), "{s:?}");
    assert!(errors.try_iter().next().is_none());
}

#[test]
fn a_burst_of_connects_is_all_served() {
    const THREADS: usize = 10;
    const EACH: usize = 30;
    let (server, addr, errors) = server(Limits::default());
    let handle = server.spawn().unwrap();
    // 300 connects at once from ten threads; each client then pings.
    let clients: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut clients: Vec<TcpClient> = (0..EACH)
                    .map(|_| TcpClient::connect_with(addr, Framing::Length).unwrap())
                    .collect();
                for (i, tcp) in clients.iter_mut().enumerate() {
                    ping(tcp, (t * EACH + i) as i32);
                }
                clients
            })
        })
        .collect();
    let clients: Vec<TcpClient> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert_eq!(clients.len(), THREADS * EACH);
    let s = stats_until(&handle, "all counted", |s| {
        s.packets == (THREADS * EACH) as u64
    });
    assert_eq!((s.connections, s.dropped_connections), (300, 0), "{s:?}");
    assert!(errors.try_iter().next().is_none());
}

#[test]
fn trickling_peers_are_closed_after_the_frame_timeout() {
    // The idle timeout stays at its default (120 s): a byte every 50 ms
    // keeps a connection active, only the frame timeout closes it.
    const FRAME_TIMEOUT: Duration = Duration::from_millis(300);
    let (server, addr, errors) = server(with_frame_timeout(Some(300)));
    let handle = server.spawn().unwrap();
    let mut normal = TcpClient::connect_with(addr, Framing::Length).unwrap();
    ping(&mut normal, 0);

    // 400 bytes at 50 ms (20 s) if nothing cut them off: a length prefix
    // claiming 396 bytes, and a SLIP frame that never ends.
    let mut length = (396u32).to_be_bytes().to_vec();
    length.resize(400, 0);
    let mut slip = vec![0xC0];
    slip.resize(400, b'a');
    let started = Instant::now();
    let tricklers: Vec<_> = [length, slip]
        .into_iter()
        .map(|bytes| trickle(addr, bytes))
        .collect();
    // The normal client is served while the tricklers hold their slots.
    for n in 1..=3 {
        ping(&mut normal, n);
    }
    for (mut reader, writer) in tricklers {
        assert_closed_by_server(&mut reader);
        // Not before the timeout: the bytes kept the connection active.
        assert!(started.elapsed() >= FRAME_TIMEOUT);
        let sent = writer.join().unwrap();
        assert!(sent < 400, "never cut off: {sent} bytes sent");
    }
    let s = stats_until(&handle, "the tricklers dropped", |s| {
        s.dropped_connections == 2
    });
    assert_eq!((s.connections, s.buffered_input), (1, 0), "{s:?}");
    ping(&mut normal, 4);
    let s = stats_until(&handle, "all pings counted", |s| s.packets == 5);
    assert_eq!((s.connections, s.dropped_connections), (1, 2), "{s:?}");
    assert_timeout_reports(&errors, "FrameTimeout", 2);
}

#[test]
fn whole_frames_sent_slowly_are_not_cut_off() {
    // A frame timeout of 1 s; every partial frame below is finished within
    // 250 ms, while the whole exchange takes over 3 s.
    const STEP: Duration = Duration::from_millis(250);
    let (server, addr, errors) = server(with_frame_timeout(Some(1000)));
    let handle = server.spawn().unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut tcp = TcpClient::from_stream(stream.try_clone().unwrap(), Framing::Length).unwrap();

    // Eight pings, each split in half, sent as: head 0, tail 0 + head 1,
    // tail 1 + head 2, ...: the connection always holds part of a frame
    // (for 2 s, longer than the timeout), but each part is finished within
    // a step.
    const PINGS: i32 = 8;
    let frames: Vec<Vec<u8>> = (0..PINGS).map(ping_frame).collect();
    let half = frames[0].len() / 2;
    stream.write_all(&frames[0][..half]).unwrap();
    for n in 0..PINGS as usize {
        std::thread::sleep(STEP);
        let mut chunk = frames[n][half..].to_vec();
        if let Some(next) = frames.get(n + 1) {
            chunk.extend_from_slice(&next[..half]);
        }
        stream.write_all(&chunk).unwrap();
    }
    // Then a pause longer than the timeout with nothing buffered, and a
    // whole frame.
    std::thread::sleep(Duration::from_millis(1200));
    stream.write_all(&ping_frame(PINGS)).unwrap();

    for n in 0..=PINGS {
        let reply = tcp.recv(WAIT).unwrap().expect("a reply");
        assert_eq!(reply, Packet::Message(Message::new("/pong").arg(n)));
    }
    let s = stats_until(&handle, "all pings counted", |s| {
        s.packets == PINGS as u64 + 1
    });
    assert_eq!(
        (s.connections, s.dropped_connections, s.buffered_input),
        (1, 0, 0),
        "{s:?}"
    );
    assert!(errors.try_iter().next().is_none());
}

#[test]
fn no_frame_timeout_leaves_a_trickler_alone() {
    let (server, addr, errors) = server(with_frame_timeout(None));
    let handle = server.spawn().unwrap();
    // All but the last byte of a ping, 50 ms apart (about 1 s, three times
    // the timeout the first test closes tricklers with).
    let frame = ping_frame(7);
    let last = frame.len() - 1;
    let (reader, writer) = trickle(addr, frame[..last].to_vec());
    assert_eq!(writer.join().unwrap(), last);
    let s = stats_until(&handle, "the partial frame held", |s| {
        s.buffered_input == last as u64
    });
    assert_eq!((s.connections, s.dropped_connections), (1, 0), "{s:?}");
    // Still open: the last byte completes the frame, which is answered.
    let mut stream = reader.try_clone().unwrap();
    let mut tcp = TcpClient::from_stream(reader, Framing::Length).unwrap();
    stream.write_all(&frame[last..]).unwrap();
    let reply = tcp.recv(WAIT).unwrap().expect("a reply");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(7)));
    assert_eq!(handle.stats().dropped_connections, 0);
    assert!(errors.try_iter().next().is_none());
}
