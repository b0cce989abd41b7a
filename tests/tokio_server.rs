//! The async server on loopback with every async client and framing:
//! delivery, order, replies, timed bundles, many connections, the codec
//! on a live connection, and graceful stop.
//!
//! Synchronisation is by channels from the handlers and by replies, with a
//! generous bound (`WAIT`) only so that a broken build fails instead of
//! hanging.
#![cfg(feature = "tokio")]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use osc_serde::dispatch::{Context, Reply};
use osc_serde::framing::Framing;
use osc_serde::tokio::{OscCodec, Server, ServerHandle, TcpClient, UdpClient};
use osc_serde::transport::Limits;
use osc_serde::{Bundle, Dispatcher, Message, Packet, TimeTag};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::timeout;
use tokio_util::codec::Framed;

const WAIT: Duration = Duration::from_secs(10);

#[derive(serde::Serialize)]
#[serde(rename = "/typed")]
struct Typed<'a> {
    n: i32,
    s: &'a str,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(rename = "/pong")]
struct Pong(i32);

/// A UDP socket and TCP listeners detecting the framing, fixed to length
/// prefix, and fixed to SLIP.
struct Addrs {
    udp: SocketAddr,
    detect: SocketAddr,
    length: SocketAddr,
    slip: SocketAddr,
}

/// A server that answers `/ping i` with `/pong i` and sends every other
/// message, with the time it was dispatched, to the returned channel.
async fn start(limits: Limits) -> (ServerHandle, Addrs, UnboundedReceiver<(Message, Instant)>) {
    let (tx, messages) = unbounded_channel();
    let mut d = Dispatcher::new();
    d.map("/ping", |n: i32| Reply::to("/pong", n)).unwrap();
    d.set_default(move |m: Message| {
        let _ = tx.send((m, Instant::now()));
    });
    let mut server = Server::new(d);
    server.set_limits(limits);
    let addrs = Addrs {
        udp: server.bind_udp("127.0.0.1:0").await.unwrap(),
        detect: server.listen_tcp("127.0.0.1:0").await.unwrap(),
        length: server
            .listen_tcp_with("127.0.0.1:0", Framing::Length)
            .await
            .unwrap(),
        slip: server
            .listen_tcp_with("127.0.0.1:0", Framing::Slip)
            .await
            .unwrap(),
    };
    (server.spawn(), addrs, messages)
}

async fn next(messages: &mut UnboundedReceiver<(Message, Instant)>) -> Message {
    timeout(WAIT, messages.recv())
        .await
        .expect("a message in time")
        .expect("the server is up")
        .0
}

/// The four ways to send, as the server's default handler sees them.
fn expected() -> Vec<Message> {
    vec![
        Message::new("/typed").arg(1).arg("one"),
        Message::new("/args").arg(2).arg(2.5f32),
        Message::new("/packet").arg("p"),
        Message::new("/in/bundle").arg(true),
    ]
}

fn bundle() -> Bundle {
    Bundle::new(TimeTag::IMMEDIATE).message(Message::new("/in/bundle").arg(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_and_framing_delivers_and_gets_replies() {
    let (server, addrs, mut messages) = start(Limits::default()).await;

    let mut udp = UdpClient::new(addrs.udp).await.unwrap();
    udp.send(&Typed { n: 1, s: "one" }).await.unwrap();
    udp.send_message("/args", &(2, 2.5f32)).await.unwrap();
    udp.send_packet(&Packet::Message(Message::new("/packet").arg("p")))
        .await
        .unwrap();
    udp.send_bundle(&bundle()).await.unwrap();
    for want in expected() {
        assert_eq!(next(&mut messages).await, want);
    }
    udp.send_message("/ping", &5).await.unwrap();
    let pong: Pong = udp.recv_as(WAIT).await.unwrap().expect("a reply");
    assert_eq!(pong, Pong(5));
    udp.send_message("/ping", &6).await.unwrap();
    let (reply, from) = udp.recv_from(WAIT).await.unwrap().expect("a reply");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(6)));
    assert_eq!(from, addrs.udp);

    for (addr, framing) in [
        (addrs.detect, Framing::Length),
        (addrs.detect, Framing::Slip),
        (addrs.length, Framing::Length),
        (addrs.slip, Framing::Slip),
    ] {
        let mut tcp = TcpClient::connect_with(addr, framing).await.unwrap();
        tcp.send(&Typed { n: 1, s: "one" }).await.unwrap();
        tcp.send_message("/args", &(2, 2.5f32)).await.unwrap();
        tcp.send_packet(&Packet::Message(Message::new("/packet").arg("p")))
            .await
            .unwrap();
        tcp.send_bundle(&bundle()).await.unwrap();
        for want in expected() {
            assert_eq!(next(&mut messages).await, want, "{framing:?} to {addr}");
        }
        tcp.send_message("/ping", &6).await.unwrap();
        // The reply comes back in the client's framing.
        let reply = tcp.recv(WAIT).await.unwrap().expect("a reply");
        assert_eq!(reply, Packet::Message(Message::new("/pong").arg(6)));
        tcp.close().await.unwrap();
    }
    server.stop();
    let dispatcher = server.join().await.unwrap();
    assert_eq!(dispatcher.error_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_tcp_messages_arrive_in_order_in_both_framings() {
    let (server, addrs, mut messages) = start(Limits::default()).await;
    for framing in [Framing::Length, Framing::Slip] {
        let mut tcp = TcpClient::connect_with(addrs.detect, framing)
            .await
            .unwrap();
        for i in 0..10_000 {
            tcp.queue(&Message::new("/seq").arg(i)).await.unwrap();
        }
        tcp.flush().await.unwrap();
        for i in 0..10_000 {
            assert_eq!(
                next(&mut messages).await,
                Message::new("/seq").arg(i),
                "{framing:?}"
            );
        }
        tcp.close().await.unwrap();
    }
    // The counters are published after each read's batch of dispatches.
    let deadline = Instant::now() + WAIT;
    while server.stats().packets != 20_000 {
        assert!(Instant::now() < deadline, "{:?}", server.stats());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_writing_one_byte_at_a_time_is_understood() {
    let (server, addrs, mut messages) = start(Limits::default()).await;
    for framing in [Framing::Length, Framing::Slip] {
        let mut stream = TcpStream::connect(addrs.detect).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let mut bytes = Vec::new();
        for i in 0..3 {
            let packet = Message::new("/byte")
                .arg(i)
                .arg("\u{c0}\u{db}")
                .to_bytes()
                .unwrap();
            framing.encode(&packet, &mut bytes).unwrap();
        }
        for byte in bytes {
            stream.write_all(&[byte]).await.unwrap();
            stream.flush().await.unwrap();
        }
        for i in 0..3 {
            assert_eq!(
                next(&mut messages).await,
                Message::new("/byte").arg(i).arg("\u{c0}\u{db}"),
                "{framing:?}"
            );
        }
    }
    assert_eq!(server.stats().errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn future_bundles_are_dispatched_on_time_by_the_timer() {
    let (server, addrs, mut messages) = start(Limits::default()).await;
    let mut udp = UdpClient::new(addrs.udp).await.unwrap();
    let mut tcp = TcpClient::connect(addrs.slip).await.unwrap();
    let sent = Instant::now();
    // The later one first: the timer must be re-armed for the earlier.
    let late = Bundle::new(TimeTag::after(Duration::from_millis(600)))
        .message(Message::new("/late"))
        .message(Message::new("/ping").arg(2));
    let early = Bundle::new(TimeTag::after(Duration::from_millis(300)))
        .message(Message::new("/early"))
        .message(Message::new("/ping").arg(1));
    udp.send_bundle(&late).await.unwrap();
    tcp.send_bundle(&early).await.unwrap();

    let (first, at) = timeout(WAIT, messages.recv()).await.unwrap().unwrap();
    assert_eq!(first, Message::new("/early"));
    let waited = at - sent;
    assert!(
        waited >= Duration::from_millis(250),
        "early after {waited:?}"
    );
    let (second, at) = timeout(WAIT, messages.recv()).await.unwrap().unwrap();
    assert_eq!(second, Message::new("/late"));
    let waited = at - sent;
    assert!(
        waited >= Duration::from_millis(550),
        "late after {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "late after {waited:?}");

    // Their replies go back to each sender, over its own transport.
    let reply = tcp.recv(WAIT).await.unwrap().expect("a TCP reply");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(1)));
    let (reply, _) = udp.recv_from(WAIT).await.unwrap().expect("a UDP reply");
    assert_eq!(reply, Packet::Message(Message::new("/pong").arg(2)));
    assert_eq!(server.stats().errors, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_connections_are_served_at_once() {
    let (server, addrs, _messages) = start(Limits::default()).await;
    let mut clients = Vec::new();
    for i in 0..200 {
        let framing = if i % 2 == 0 {
            Framing::Slip
        } else {
            Framing::Length
        };
        clients.push(
            TcpClient::connect_with(addrs.detect, framing)
                .await
                .unwrap(),
        );
    }
    for (i, client) in clients.iter_mut().enumerate() {
        client.send_message("/ping", &(i as i32)).await.unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate() {
        let reply = client.recv(WAIT).await.unwrap().expect("a reply");
        assert_eq!(reply, Packet::Message(Message::new("/pong").arg(i as i32)));
    }
    let stats = server.stats();
    assert_eq!((stats.connections, stats.packets), (200, 200));
    drop(clients);
    let deadline = Instant::now() + WAIT;
    while server.stats().connections != 0 {
        assert!(Instant::now() < deadline, "{:?}", server.stats());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.stats().dropped_connections, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_codec_talks_to_the_server_through_framed() {
    let (_server, addrs, mut messages) = start(Limits::default()).await;
    for framing in [Framing::Length, Framing::Slip] {
        let stream = TcpStream::connect(addrs.detect).await.unwrap();
        let mut framed = Framed::new(stream, OscCodec::new(framing));
        framed.send(&Typed { n: 3, s: "three" }).await.unwrap();
        framed.send(&bundle()).await.unwrap();
        framed
            .send(&Packet::Message(Message::new("/ping").arg(9)))
            .await
            .unwrap();
        assert_eq!(
            next(&mut messages).await,
            Message::new("/typed").arg(3).arg("three")
        );
        assert_eq!(
            next(&mut messages).await,
            Message::new("/in/bundle").arg(true)
        );
        let reply = timeout(WAIT, framed.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(reply, Packet::Message(Message::new("/pong").arg(9)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_dispatches_everything_already_received() {
    let (server, addrs, mut messages) = start(Limits::default()).await;
    let mut udp = UdpClient::new(addrs.udp).await.unwrap();
    let mut tcp = TcpClient::connect(addrs.slip).await.unwrap();
    // Make sure the connection is accepted before the burst.
    tcp.send_message("/ping", &0).await.unwrap();
    tcp.recv(WAIT).await.unwrap().expect("a reply");
    // Fewer datagrams than a default socket buffer holds even if the
    // server does not read meanwhile: the kernel would drop the rest.
    for i in 0..100 {
        udp.send_message("/udp", &i).await.unwrap();
        tcp.queue(&Message::new("/tcp").arg(i)).await.unwrap();
    }
    tcp.flush().await.unwrap();
    // Give the kernel the bytes, then stop at once.
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.stop();
    let dispatcher = timeout(WAIT, server.join()).await.unwrap().unwrap();
    assert_eq!(dispatcher.error_count(), 0);
    let (mut udp_seen, mut tcp_seen) = (0, 0);
    while let Ok((m, _)) = messages.try_recv() {
        match m.address.as_str() {
            "/udp" => udp_seen += 1,
            "/tcp" => tcp_seen += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((udp_seen, tcp_seen), (100, 100));
}

#[tokio::test(flavor = "current_thread")]
async fn run_until_a_future_stops_the_server() {
    let mut server = Server::new(Dispatcher::new());
    let addr = server.bind_udp("127.0.0.1:0").await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async {
        let _ = rx.await;
    }));
    let mut udp = UdpClient::new(addr).await.unwrap();
    udp.send_message("/nobody", &()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    tx.send(()).unwrap();
    let dispatcher = timeout(WAIT, serving).await.unwrap().unwrap().unwrap();
    assert_eq!(dispatcher.error_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_may_reply_through_its_context() {
    let mut d = Dispatcher::new();
    d.map_with_context("/echo", |ctx: &Context, s: String| {
        ctx.reply_to("/echoed", &s).unwrap();
        ctx.reply_to("/again", &s).unwrap();
    })
    .unwrap();
    let mut server = Server::new(d);
    let addr = server.listen_tcp("127.0.0.1:0").await.unwrap();
    let _handle = server.spawn();
    let mut tcp = TcpClient::connect_with(addr, Framing::Length)
        .await
        .unwrap();
    tcp.send_message("/echo", &"hi").await.unwrap();
    let first: (&str,) = tcp.recv_as(WAIT).await.unwrap().expect("a reply");
    assert_eq!(first, ("hi",));
    let second = tcp.recv(WAIT).await.unwrap().expect("a reply");
    assert_eq!(second, Packet::Message(Message::new("/again").arg("hi")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_handlers_reply_when_their_futures_complete() {
    let (tx, mut errors) = unbounded_channel();
    let mut server = Server::new(Dispatcher::new());
    let d = server.dispatcher_mut();
    d.map("/fast", |n: i32| Reply::to("/fast", n)).unwrap();
    d.on_error(move |report| {
        let _ = tx.send(report.error.to_string());
    });
    server
        .map_async("/slow", |n: i32| async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Reply::to("/slow", n)
        })
        .unwrap();
    server
        .map_async("/panics", |(): ()| async move {
            if true {
                panic!("boom");
            }
        })
        .unwrap();
    let tcp = server.listen_tcp("127.0.0.1:0").await.unwrap();
    let udp = server.bind_udp("127.0.0.1:0").await.unwrap();
    let handle = server.spawn();

    // The slow reply leaves after the fast one sent after it.
    let mut client = TcpClient::connect(tcp).await.unwrap();
    let sent = Instant::now();
    client.send_message("/slow", &1).await.unwrap();
    client.send_message("/fast", &2).await.unwrap();
    let first = client.recv(WAIT).await.unwrap().expect("a reply");
    assert_eq!(first, Packet::Message(Message::new("/fast").arg(2)));
    let second = client.recv(WAIT).await.unwrap().expect("a reply");
    assert_eq!(second, Packet::Message(Message::new("/slow").arg(1)));
    assert!(sent.elapsed() >= Duration::from_millis(190));

    let mut client = UdpClient::new(udp).await.unwrap();
    client.send_message("/slow", &3).await.unwrap();
    let (reply, from) = client.recv_from(WAIT).await.unwrap().expect("a reply");
    assert_eq!(
        (reply, from),
        (Packet::Message(Message::new("/slow").arg(3)), udp)
    );

    client.send_message("/panics", &()).await.unwrap();
    let report = timeout(WAIT, errors.recv()).await.unwrap().unwrap();
    assert!(report.contains("async handler failed"), "{report}");
    handle.stop();
    let dispatcher = handle.join().await.unwrap();
    assert_eq!(dispatcher.error_count(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn joining_a_group_on_a_socket_the_server_lacks_is_an_error() {
    let server = Server::new(Dispatcher::new());
    let error = server
        .join_multicast_v4(
            "127.0.0.1:9".parse().unwrap(),
            std::net::Ipv4Addr::new(239, 0, 0, 1),
            std::net::Ipv4Addr::UNSPECIFIED,
        )
        .unwrap_err();
    assert!(matches!(error, osc_serde::Error::NoUdpSocketAt), "{error}");
}
