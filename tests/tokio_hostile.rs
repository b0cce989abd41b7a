//! Hostile input against a live async server: huge length prefixes, SLIP
//! without `END`, stalled half frames, idle and surplus connections,
//! peers that never read, random and oversized datagrams. Each must close
//! at most the offending connection (or drop the datagram), be reported
//! and counted, and leave the server answering others.
#![cfg(feature = "tokio")]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use osc_serde::dispatch::Reply;
use osc_serde::framing::Framing;
use osc_serde::tokio::{Server, ServerHandle, TcpClient, UdpClient};
use osc_serde::transport::{Limits, Stats};
use osc_serde::{Blob, Dispatcher, Message, Packet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(10);

/// A server answering `/ping i` with `/pong i` and `/big i` with a blob of
/// `i` bytes, listening on UDP and TCP (detecting), whose error reports
/// go to the returned channel.
async fn start(
    limits: Limits,
) -> (
    ServerHandle,
    SocketAddr,
    SocketAddr,
    UnboundedReceiver<String>,
) {
    let (tx, errors) = unbounded_channel();
    let mut d = Dispatcher::new();
    d.map("/ping", |n: i32| Reply::to("/pong", n)).unwrap();
    d.map("/big", |n: i32| {
        Reply::to("/blob", Blob(vec![7; n as usize]))
    })
    .unwrap();
    d.on_error(move |report| {
        let _ = tx.send(report.error.to_string());
    });
    let mut server = Server::new(d);
    server.set_limits(limits);
    let udp = server.bind_udp("127.0.0.1:0").await.unwrap();
    let tcp = server.listen_tcp("127.0.0.1:0").await.unwrap();
    (server.spawn(), udp, tcp, errors)
}

/// Reads until the server closes the connection; fails if it has not
/// within `WAIT`. Returns when it did.
async fn closed_by_server(stream: &mut TcpStream) -> Instant {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match timeout(WAIT, stream.read(&mut buf)).await {
            Err(_) => panic!("the server did not close the connection"),
            Ok(Ok(0)) | Ok(Err(_)) => return Instant::now(),
            Ok(Ok(_)) => {}
        }
    }
}

async fn error(errors: &mut UnboundedReceiver<String>) -> String {
    timeout(WAIT, errors.recv())
        .await
        .expect("an error report")
        .unwrap()
}

async fn stats_until(server: &ServerHandle, what: &str, ready: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = server.stats();
        if ready(&stats) {
            return stats;
        }
        assert!(Instant::now() < deadline, "{what}: {stats:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The server still answers a new client over TCP and UDP.
async fn still_serving(tcp: SocketAddr, udp: SocketAddr) {
    let mut client = TcpClient::connect(tcp).await.unwrap();
    client.send_message("/ping", &1).await.unwrap();
    let reply = client.recv(WAIT).await.unwrap().expect("a TCP reply");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(1)));
    let mut client = UdpClient::new(udp).await.unwrap();
    client.send_message("/ping", &2).await.unwrap();
    let (reply, _) = client.recv_from(WAIT).await.unwrap().expect("a UDP reply");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2_gib_length_prefix_closes_the_connection_at_once() {
    let (server, udp, tcp, mut errors) = start(Limits::default()).await;
    let mut stream = TcpStream::connect(tcp).await.unwrap();
    stream
        .write_all(&[0x7f, 0xff, 0xff, 0xff, b'/', b'a'])
        .await
        .unwrap();
    closed_by_server(&mut stream).await;
    assert!(error(&mut errors).await.contains("2147483647"));
    let stats = stats_until(&server, "dropped", |s| s.dropped_connections == 1).await;
    assert_eq!(stats.buffered_input, 0, "nothing of the frame is held");
    still_serving(tcp, udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slip_without_end_is_cut_at_the_frame_bound() {
    let limits = Limits::default().with_max_frame(4096);
    let (server, udp, tcp, mut errors) = start(limits).await;
    let mut stream = TcpStream::connect(tcp).await.unwrap();
    stream.write_all(&[0xc0]).await.unwrap();
    // Far more than the bound, never an END; the server may close while
    // this is still being written.
    let _ = stream.write_all(&vec![b'a'; 64 * 1024]).await;
    closed_by_server(&mut stream).await;
    assert!(error(&mut errors).await.contains("4096"));
    let stats = stats_until(&server, "dropped", |s| s.dropped_connections == 1).await;
    assert_eq!(stats.buffered_input, 0);
    still_serving(tcp, udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_half_frame_is_closed_by_the_frame_timeout() {
    let limits = Limits::default()
        .with_idle_timeout(Some(Duration::from_secs(5)))
        .with_frame_timeout(Some(Duration::from_millis(300)));
    let (server, udp, tcp, mut errors) = start(limits).await;
    let mut stream = TcpStream::connect(tcp).await.unwrap();
    let started = Instant::now();
    stream.write_all(&[0, 0, 0, 100]).await.unwrap();
    // A byte every 50 ms keeps the connection from being idle, never
    // finishing the frame.
    let trickle = async {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if stream.write_all(b"x").await.is_err() {
                break;
            }
        }
    };
    let _ = timeout(Duration::from_secs(3), trickle).await;
    let closed = closed_by_server(&mut stream).await - started;
    assert!(
        closed >= Duration::from_millis(250),
        "closed after {closed:?}"
    );
    assert!(error(&mut errors).await.contains("frame_timeout"));
    let stats = stats_until(&server, "dropped", |s| s.dropped_connections == 1).await;
    assert_eq!((stats.buffered_input, stats.connections), (0, 0));
    still_serving(tcp, udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_by_the_idle_timeout() {
    let limits = Limits::default().with_idle_timeout(Some(Duration::from_millis(300)));
    let (server, udp, tcp, mut errors) = start(limits).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(tcp).await.unwrap();
    let closed = closed_by_server(&mut stream).await - started;
    assert!(
        closed >= Duration::from_millis(250),
        "closed after {closed:?}"
    );
    assert!(error(&mut errors).await.contains("idle_timeout"));
    stats_until(&server, "dropped", |s| s.dropped_connections == 1).await;
    still_serving(tcp, udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_closed_at_once() {
    let limits = Limits::default().with_max_connections(2);
    let (server, _udp, tcp, _errors) = start(limits).await;
    let mut kept = Vec::new();
    for i in 0..2 {
        let mut client = TcpClient::connect_with(tcp, Framing::Length).await.unwrap();
        client.send_message("/ping", &i).await.unwrap();
        client.recv(WAIT).await.unwrap().expect("a reply");
        kept.push(client);
    }
    let mut third = TcpStream::connect(tcp).await.unwrap();
    closed_by_server(&mut third).await;
    let stats = stats_until(&server, "refused", |s| s.dropped_connections == 1).await;
    assert_eq!(stats.connections, 2);
    // The two kept are still served.
    for client in &mut kept {
        client.send_message("/ping", &9).await.unwrap();
        assert!(client.recv(WAIT).await.unwrap().is_some());
    }
}

/// Listeners accept on their own tasks, at once: the limit holds across
/// them (each accept reserves its slot in one atomic step).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_limit_holds_across_listeners_accepting_at_once() {
    let mut server = Server::new(Dispatcher::new());
    server.set_limits(Limits::default().with_max_connections(3));
    let mut listeners = Vec::new();
    for _ in 0..4 {
        listeners.push(server.listen_tcp("127.0.0.1:0").await.unwrap());
    }
    let server = server.spawn();
    let connects = (0..40).map(|i| TcpStream::connect(listeners[i % 4]));
    let streams: Vec<TcpStream> = futures_join_all(connects).await;
    let stats = stats_until(&server, "all accepted", |s| {
        s.connections + s.dropped_connections == 40
    })
    .await;
    assert_eq!((stats.connections, stats.dropped_connections), (3, 37));
    drop(streams);
    stats_until(&server, "all closed", |s| s.connections == 0).await;
}

/// Runs the futures concurrently, in spawned tasks, and collects their
/// results in order.
async fn futures_join_all(
    futures: impl Iterator<
        Item = impl std::future::Future<Output = std::io::Result<TcpStream>> + Send + 'static,
    >,
) -> Vec<TcpStream> {
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap().unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_reads_its_replies_is_closed() {
    let limits = Limits::default().with_max_pending_output(256 * 1024);
    let (server, udp, tcp, mut errors) = start(limits).await;
    let mut stream = TcpStream::connect(tcp).await.unwrap();
    let mut requests = Vec::new();
    for _ in 0..4000 {
        let packet = Message::new("/big").arg(32 * 1024).to_bytes().unwrap();
        Framing::Length.encode(&packet, &mut requests).unwrap();
    }
    // 128 MiB of replies asked for, none read: the kernel's buffers take
    // a few MiB, then the server's pending output passes the limit.
    let _ = timeout(WAIT, stream.write_all(&requests)).await;
    let mut report = error(&mut errors).await;
    while !report.contains("does not read") {
        report = error(&mut errors).await;
    }
    let stats = stats_until(&server, "dropped", |s| s.dropped_connections == 1).await;
    assert_eq!(stats.pending_output, 0);
    still_serving(tcp, udp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_oversized_datagrams_are_reported_and_dropped() {
    let limits = Limits::default().with_max_datagram(1024);
    let (server, udp, tcp, _errors) = start(limits).await;
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    // A fixed linear congruential sequence: random-looking, repeatable.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    for sent in 0..300u64 {
        if sent % 50 == 0 {
            // Pace the burst: the kernel drops datagrams a full socket
            // buffer cannot take, and the server never sees those.
            stats_until(&server, "caught up", |s| s.packets == sent).await;
        }
        let len = random() as usize % 200;
        let mut datagram: Vec<u8> = (0..len).map(|_| random() as u8).collect();
        if len > 0 && random() % 2 == 0 {
            datagram[0] = b'/'; // looks like a message, mostly is not
        }
        socket.send_to(&datagram, udp).await.unwrap();
    }
    socket.send_to(&[0u8; 2000], udp).await.unwrap();
    let stats = stats_until(&server, "all seen", |s| {
        s.packets + s.dropped_datagrams == 301
    })
    .await;
    assert_eq!(stats.dropped_datagrams, 1);
    assert!(stats.errors >= 250, "{stats:?}");
    still_serving(tcp, udp).await;
}
