//! Bounded load against one server on loopback: a UDP flood, and many TCP
//! clients at once in both framings.
//!
//! TCP must lose nothing and keep each connection's order. UDP may lose
//! datagrams in the kernel when the server's receive buffer is full; the
//! server cannot see those drops, so the test counts them as sent minus
//! received and prints them (with the kernel's own counter of receive
//! buffer overflows, system-wide, when /proc/net/snmp has it). Datagrams
//! the server itself drops are counted in `Stats::dropped_datagrams`.
//!
//! The sizes are small by default, so that `cargo test` stays quick on a
//! small machine: 20,000 datagrams, 8 clients × 500 messages. The full
//! load, which .ci/run sets, is `OSC_LOAD_DATAGRAMS=1000000
//! OSC_LOAD_CLIENTS=100 OSC_LOAD_MESSAGES=10000`. Run with `--nocapture` to
//! see the figures.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use osc_serde::framing::Framing;
use osc_serde::transport::{Server, TcpClient, UdpClient};
use osc_serde::Dispatcher;

const WAIT: Duration = Duration::from_secs(120);

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The kernel's count of UDP datagrams dropped for a full receive buffer
/// (all sockets of the machine), if the system exposes it.
fn kernel_udp_rcvbuf_errors() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut lines = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let names = lines.next()?;
    let values = lines.next()?;
    let at = names.split_whitespace().position(|n| n == "RcvbufErrors")?;
    values.split_whitespace().nth(at)?.parse().ok()
}

#[test]
fn udp_flood_counts_every_loss() {
    let sent = env_count("OSC_LOAD_DATAGRAMS", 20_000);
    let received = Arc::new(AtomicU64::new(0));
    let out_of_order = Arc::new(AtomicU64::new(0));
    let mut d = Dispatcher::new();
    let (r, o) = (received.clone(), out_of_order.clone());
    let mut last: i64 = -1;
    d.map("/seq", move |n: i32| {
        r.fetch_add(1, Ordering::Relaxed);
        if i64::from(n) <= last {
            o.fetch_add(1, Ordering::Relaxed);
        }
        last = n.into();
    })
    .unwrap();
    let mut server = Server::new(d).unwrap();
    let addr = server.bind_udp("127.0.0.1:0").unwrap();
    let handle = server.spawn().unwrap();

    let kernel_before = kernel_udp_rcvbuf_errors();
    let started = Instant::now();
    let mut client = UdpClient::new(addr).unwrap();
    for n in 0..sent {
        client.send_message("/seq", &(n as i32)).unwrap();
    }
    let sending = started.elapsed();
    // Stopping dispatches whatever the socket holds, then joins.
    handle.stop().unwrap();
    let stats = handle.join().unwrap().stats();
    let elapsed = started.elapsed();
    let kernel_after = kernel_udp_rcvbuf_errors();

    let received = received.load(Ordering::Relaxed);
    let lost = sent as u64 - received;
    println!(
        "udp flood: sent {sent}, received {received}, lost {lost} ({:.2}%) in {:.2?} \
         (sending {:.2?}); server: {stats:?}; kernel RcvbufErrors delta (system-wide): {}",
        lost as f64 * 100.0 / sent as f64,
        elapsed,
        sending,
        match (kernel_before, kernel_after) {
            (Some(b), Some(a)) => (a - b).to_string(),
            _ => "unknown".into(),
        }
    );
    assert!(received > 0 && received <= sent as u64);
    assert_eq!(
        stats.packets, received,
        "every datagram read was dispatched"
    );
    assert_eq!((stats.errors, stats.dropped_datagrams), (0, 0));
    // Loopback does not reorder, and one socket is dispatched in order.
    assert_eq!(out_of_order.load(Ordering::Relaxed), 0);
}

#[test]
fn many_tcp_clients_lose_nothing_and_keep_order() {
    let clients = env_count("OSC_LOAD_CLIENTS", 8);
    let messages = env_count("OSC_LOAD_MESSAGES", 500);
    // Per client: the next sequence number expected, and order breaks.
    let state = Arc::new(Mutex::new((vec![0i32; clients], 0u64)));
    let mut d = Dispatcher::new();
    let s = state.clone();
    d.map("/seq", move |(client, n): (i32, i32)| {
        let mut s = s.lock().unwrap();
        let (next, breaks) = &mut *s;
        let expected = &mut next[client as usize];
        if n != *expected {
            *breaks += 1;
        }
        *expected = n + 1;
    })
    .unwrap();
    let mut server = Server::new(d).unwrap();
    let addr = server.listen_tcp("127.0.0.1:0").unwrap();
    let handle = server.spawn().unwrap();

    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            std::thread::spawn(move || {
                let framing = if client % 2 == 0 {
                    Framing::Length
                } else {
                    Framing::Slip
                };
                let mut tcp = TcpClient::connect_with(addr, framing).unwrap();
                for n in 0..messages {
                    tcp.queue(
                        &osc_serde::Message::new("/seq")
                            .arg(client as i32)
                            .arg(n as i32),
                    )
                    .unwrap();
                    if n % 100 == 99 {
                        tcp.flush().unwrap();
                    }
                }
                tcp.close().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Every client has closed: wait (bounded) until the server has seen
    // each end of stream, which comes after all of that client's frames.
    let deadline = Instant::now() + WAIT;
    while handle.stats().connections > 0 || handle.stats().packets < (clients * messages) as u64 {
        assert!(Instant::now() < deadline, "{:?}", handle.stats());
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    handle.stop().unwrap();
    let stats = handle.join().unwrap().stats();
    println!(
        "tcp: {clients} clients × {messages} messages (half length-prefixed, half SLIP) \
         in {elapsed:.2?}; server: {stats:?}"
    );
    let (next, breaks) = &*state.lock().unwrap();
    assert_eq!(*breaks, 0, "order broken");
    assert!(next.iter().all(|&n| n == messages as i32), "lost messages");
    assert_eq!(stats.packets, (clients * messages) as u64);
    assert_eq!((stats.errors, stats.dropped_connections), (0, 0));
}
