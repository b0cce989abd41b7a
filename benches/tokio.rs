//! The async server against the mio server, side by side in one run, on
//! loopback (cargo feature `tokio`).
//!
//! Run: `cargo bench --features tokio --bench tokio` (add `-- quick` for
//! shorter runs). Printed figures:
//!
//! - UDP throughput (messages/s): bursts of datagrams sent to a running
//!   server, timed until the typed handler has seen them all, for the mio
//!   [`transport::Server`] on its thread and the async [`Server`] on a
//!   one-worker and a two-worker tokio runtime; the ratio async/mio;
//! - TCP throughput of one connection (both framings): the blocking
//!   client into the mio server and into the async server (the same
//!   client, so the servers are compared), and the async client into the
//!   async server (the all-async figure).
//!
//! Throughput through threads does not fit criterion's model, so this is a
//! plain binary (`harness = false`), like `benches/transport.rs`.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use osc_serde::framing::Framing;
use osc_serde::tokio::{Server, TcpClient as AsyncTcpClient};
use osc_serde::transport::{self, TcpClient};
use osc_serde::Dispatcher;
use tokio::runtime::Runtime;

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
const WAIT: Duration = Duration::from_secs(120);

/// Datagrams per burst: fewer than a default socket receive buffer holds.
const BURST: u64 = 200;

/// Bursts one server takes before the next takes over.
const BLOCK: usize = 25;

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (rounds, tcp_messages, tcp_runs) = if quick {
        (200, 300_000, 5)
    } else {
        (2_000, 1_000_000, 15)
    };
    let packet = osc_serde::to_vec(&FREQ).expect("encodes");
    println!("message: /synth/1/freq ifs ({} bytes)", packet.len());

    println!("\nUDP throughput: {rounds} bursts of {BURST} datagrams per server (median of blocks of {BLOCK})");
    let [mio, one, two] = udp(&packet, rounds);
    println!("  mio Server (own thread)       {mio:>12.0} msg/s");
    for (name, rate) in [("1 worker ", one), ("2 workers", two)] {
        println!(
            "  tokio Server ({name})      {rate:>12.0} msg/s  {:5.1}% of mio",
            100.0 * rate / mio
        );
    }

    println!(
        "\nTCP throughput, one connection, {tcp_messages} messages (median of {tcp_runs} runs, taking turns)"
    );
    for framing in [Framing::Length, Framing::Slip] {
        let mut rates: [Vec<f64>; 3] = Default::default();
        for _ in 0..tcp_runs {
            rates[0].push(tcp_mio(framing, tcp_messages));
            rates[1].push(tcp_async(framing, tcp_messages, false));
            rates[2].push(tcp_async(framing, tcp_messages, true));
        }
        let [mio, ours, all_async] = rates.map(median);
        println!(
            "  {:<6} mio Server {mio:>10.0} msg/s | tokio Server {ours:>10.0} msg/s ({:5.1}% of mio) | async client -> tokio Server {all_async:>10.0} msg/s",
            format!("{framing:?}"),
            100.0 * ours / mio
        );
    }
}

/// A dispatcher whose typed handler counts the messages it sees.
fn counting() -> (Dispatcher, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let mut d = Dispatcher::new();
    d.map(
        "/synth/1/freq",
        move |(hz, _amp, _wave): (i32, f32, String)| {
            if hz == 440 {
                c.fetch_add(1, Ordering::Relaxed);
            }
        },
    )
    .expect("map");
    (d, count)
}

fn runtime(workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime")
}

fn wait_for(count: &AtomicU64, target: u64) {
    let deadline = Instant::now() + WAIT;
    while count.load(Ordering::Relaxed) < target {
        assert!(Instant::now() < deadline, "messages lost");
        // Yield rather than spin: on a small machine the waiting thread
        // must not take the core the server runs on.
        std::thread::yield_now();
    }
}

/// Messages/s of each server: a burst is sent, then the time until the
/// handler saw all of it is taken. The servers take turns in blocks, so
/// load from elsewhere falls on all alike; each reports its median block.
fn udp(packet: &[u8], rounds: usize) -> [f64; 3] {
    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");

    let (d, mio_count) = counting();
    let mut mio = transport::Server::new(d).expect("server");
    let mio_addr = mio.bind_udp("127.0.0.1:0").expect("bind");
    let mio = mio.spawn().expect("spawn");

    let mut servers: Vec<(SocketAddr, Arc<AtomicU64>)> = vec![(mio_addr, mio_count)];
    let mut runtimes = Vec::new();
    for workers in [1, 2] {
        let rt = runtime(workers);
        let (d, count) = counting();
        let handle = rt.block_on(async {
            let mut server = Server::new(d);
            server.bind_udp("127.0.0.1:0").await.expect("bind");
            server.spawn()
        });
        servers.push((handle.local_addr(), count));
        runtimes.push((rt, handle));
    }

    let mut rates: [Vec<f64>; 3] = Default::default();
    for _ in 0..rounds.div_ceil(BLOCK) {
        for (r, (addr, count)) in servers.iter().enumerate() {
            let (mut n, mut time) = (0, Duration::ZERO);
            for _ in 0..BLOCK {
                let target = count.load(Ordering::Relaxed) + BURST;
                let start = Instant::now();
                for _ in 0..BURST {
                    sender.send_to(packet, addr).expect("send");
                }
                wait_for(count, target);
                time += start.elapsed();
                n += BURST;
            }
            rates[r].push(n as f64 / time.as_secs_f64());
        }
    }
    mio.stop().expect("stop");
    mio.join().expect("join");
    for (rt, handle) in runtimes {
        handle.stop();
        rt.block_on(handle.join()).expect("join");
    }
    rates.map(median)
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// The blocking client queueing `messages` into a connection to `addr`;
/// returns messages/s once the handler saw them all.
fn blocking_client(addr: SocketAddr, framing: Framing, messages: u64, count: &AtomicU64) -> f64 {
    let mut client = TcpClient::connect_with(addr, framing).expect("connect");
    let start = Instant::now();
    for _ in 0..messages {
        client.queue(&FREQ).expect("queue");
    }
    client.flush().expect("flush");
    wait_for(count, messages);
    messages as f64 / start.elapsed().as_secs_f64()
}

fn tcp_mio(framing: Framing, messages: u64) -> f64 {
    let (d, count) = counting();
    let mut server = transport::Server::new(d).expect("server");
    let addr = server
        .listen_tcp_with("127.0.0.1:0", framing)
        .expect("listen");
    let handle = server.spawn().expect("spawn");
    let rate = blocking_client(addr, framing, messages, &count);
    handle.stop().expect("stop");
    handle.join().expect("join");
    rate
}

/// Into the async server on a one-worker runtime, from the blocking client
/// on this thread or (`async_client`) the async client on a second
/// runtime.
fn tcp_async(framing: Framing, messages: u64, async_client: bool) -> f64 {
    let rt = runtime(1);
    let (d, count) = counting();
    let handle = rt.block_on(async {
        let mut server = Server::new(d);
        server
            .listen_tcp_with("127.0.0.1:0", framing)
            .await
            .expect("listen");
        server.spawn()
    });
    let addr = handle.local_addr();
    let rate = if async_client {
        let client_rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        client_rt.block_on(async {
            let mut client = AsyncTcpClient::connect_with(addr, framing)
                .await
                .expect("connect");
            let start = Instant::now();
            for _ in 0..messages {
                client.queue(&FREQ).await.expect("queue");
            }
            client.flush().await.expect("flush");
            while count.load(Ordering::Relaxed) < messages {
                tokio::time::sleep(Duration::from_micros(100)).await;
            }
            messages as f64 / start.elapsed().as_secs_f64()
        })
    } else {
        blocking_client(addr, framing, messages, &count)
    };
    handle.stop();
    rt.block_on(handle.join()).expect("join");
    rate
}
