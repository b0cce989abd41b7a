//! The server on loopback with every client and framing: delivery, order,
//! replies, limits, faults, stop and join.
//!
//! Synchronisation is by channels from the handlers and by replies, with a
//! generous bound (`WAIT`) only so that a broken build fails instead of
//! hanging.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use osc_serde::dispatch::{Context, Reply};
use osc_serde::framing::Framing;
use osc_serde::transport::{Limits, PacketSink, Server, ServerHandle, TcpClient, UdpClient};
use osc_serde::{Blob, Bundle, Dispatcher, Message, Origin, Packet, Responder, TimeTag, Value};

const WAIT: Duration = Duration::from_secs(10);

#[derive(serde::Serialize)]
#[serde(rename = "/typed")]
struct Typed<'a> {
    n: i32,
    s: &'a str,
}

/// Addresses of a test server: a UDP socket and TCP listeners detecting
/// the framing, fixed to length prefix, and fixed to SLIP.
struct Addrs {
    udp: SocketAddr,
    detect: SocketAddr,
    length: SocketAddr,
    slip: SocketAddr,
}

/// A dispatcher that answers `/ping i` with `/pong i`, reports `/size b`
/// blobs by their length, and sends every other message and every error
/// (as text) to the returned channels.
fn dispatcher() -> (Dispatcher, Receiver<Message>, Receiver<String>) {
    let (tx, messages) = channel();
    let (etx, errors) = channel();
    let mut d = Dispatcher::new();
    d.map("/ping", |n: i32| Reply::to("/pong", n)).unwrap();
    d.map_with_context("/size", |ctx: &Context, blob: Blob| {
        ctx.reply_to("/len", &(blob.0.len() as i32)).unwrap();
    })
    .unwrap();
    d.set_default(move |m: Message| {
        let _ = tx.send(m);
    });
    d.on_error(move |e| {
        let _ = etx.send(e.error.to_string());
    });
    (d, messages, errors)
}

fn start(limits: Limits) -> (ServerHandle, Addrs, Receiver<Message>, Receiver<String>) {
    let (d, messages, errors) = dispatcher();
    let mut server = Server::new(d).unwrap();
    server.set_limits(limits);
    let addrs = Addrs {
        udp: server.bind_udp("127.0.0.1:0").unwrap(),
        detect: server.listen_tcp("127.0.0.1:0").unwrap(),
        length: server
            .listen_tcp_with("127.0.0.1:0", Framing::Length)
            .unwrap(),
        slip: server
            .listen_tcp_with("127.0.0.1:0", Framing::Slip)
            .unwrap(),
    };
    (server.spawn().unwrap(), addrs, messages, errors)
}

fn next(rx: &Receiver<Message>) -> Message {
    rx.recv_timeout(WAIT).expect("a message within the bound")
}

fn expect_pong(reply: Option<Packet>, n: i32) {
    assert_eq!(
        reply.expect("a reply within the bound"),
        Packet::Message(Message::new("/pong").arg(n))
    );
}

/// What every client sends in `every_client_server_and_framing`, and what
/// the default handler must see.
fn expected_messages() -> Vec<Message> {
    vec![
        Message::new("/typed").arg(1).arg("one"),
        Message::new("/args").arg(1.5f32),
        Message::new("/args").arg(1).arg(2).arg(3),
        Message::new("/packet").arg(true),
        Message::new("/in/bundle").arg(Value::Nil),
    ]
}

macro_rules! send_all {
    ($client:expr) => {{
        let c = &mut $client;
        c.send(&Typed { n: 1, s: "one" }).unwrap();
        c.send_message("/args", &1.5f32).unwrap();
        c.send_message("/args", &[1, 2, 3]).unwrap();
        c.send_packet(&Packet::Message(Message::new("/packet").arg(true)))
            .unwrap();
        c.send_bundle(
            &Bundle::new(TimeTag::IMMEDIATE).message(Message::new("/in/bundle").arg(Value::Nil)),
        )
        .unwrap();
        c.send_message("/ping", &7).unwrap();
    }};
}

#[test]
fn every_client_server_and_framing() {
    let (server, addrs, messages, _) = start(Limits::default());
    let mut udp = UdpClient::new(addrs.udp).unwrap();
    send_all!(udp);
    let got: Vec<Message> = (0..5).map(|_| next(&messages)).collect();
    assert_eq!(got, expected_messages());
    let (reply, from) = udp.recv_from(WAIT).unwrap().expect("a UDP reply");
    assert_eq!(from, addrs.udp);
    expect_pong(Some(reply), 7);

    let cases = [
        (addrs.detect, Framing::Length),
        (addrs.detect, Framing::Slip),
        (addrs.length, Framing::Length),
        (addrs.slip, Framing::Slip),
    ];
    for (addr, framing) in cases {
        let mut tcp = TcpClient::connect_with(addr, framing).unwrap();
        send_all!(tcp);
        let got: Vec<Message> = (0..5).map(|_| next(&messages)).collect();
        assert_eq!(got, expected_messages(), "{framing:?} to {addr}");
        expect_pong(tcp.recv(WAIT).unwrap(), 7);
        tcp.close().unwrap();
    }
    server.stop().unwrap();
    let server = server.join().unwrap();
    let stats = server.stats();
    assert_eq!(stats.packets, 5 * 6);
    assert_eq!(stats.errors, 0);
    assert_eq!(stats.dropped_connections, 0);
}

#[test]
fn udp_over_ipv6() {
    let (d, messages, _) = dispatcher();
    let mut server = Server::new(d).unwrap();
    let Ok(addr) = server.bind_udp("[::1]:0") else {
        eprintln!("no IPv6 loopback here; skipped");
        return;
    };
    let handle = server.spawn().unwrap();
    let mut client = UdpClient::new(addr).unwrap();
    client.send_message("/v6", &"hi").unwrap();
    assert_eq!(next(&messages), Message::new("/v6").arg("hi"));
    client.send_message("/ping", &-1).unwrap();
    let (reply, from) = client.recv_from(WAIT).unwrap().expect("a reply");
    assert_eq!(from, addr);
    expect_pong(Some(reply), -1);
    handle.stop().unwrap();
    handle.join().unwrap();
}

#[test]
fn ten_thousand_tcp_messages_in_order_both_framings() {
    let (server, addrs, messages, _) = start(Limits::default());
    for framing in [Framing::Length, Framing::Slip] {
        let mut tcp = TcpClient::connect_with(addrs.detect, framing).unwrap();
        for i in 0..10_000 {
            tcp.queue(&Message::new("/n").arg(i)).unwrap();
        }
        tcp.flush().unwrap();
        for i in 0..10_000 {
            assert_eq!(next(&messages), Message::new("/n").arg(i), "{framing:?}");
        }
        tcp.close().unwrap();
    }
    drop(server);
}

#[test]
fn tcp_replies_survive_a_client_that_does_not_read() {
    let (server, addrs, _, _) = start(Limits::default());
    let mut tcp = TcpClient::connect_with(addrs.detect, Framing::Slip).unwrap();
    // 20,000 replies of 16 bytes: more than the socket buffers hold, so the
    // server must buffer and wait for WRITABLE.
    for i in 0..20_000 {
        tcp.queue(&Message::new("/ping").arg(i)).unwrap();
    }
    tcp.flush().unwrap();
    for i in 0..20_000 {
        expect_pong(tcp.recv(WAIT).unwrap(), i);
    }
    assert_eq!(server.stats().dropped_connections, 0);
}

#[test]
fn tcp_client_writing_one_byte_at_a_time() {
    let (server, addrs, messages, _) = start(Limits::default());
    for framing in [Framing::Length, Framing::Slip] {
        let mut bytes = Vec::new();
        for i in 0..3 {
            let packet = Message::new("/byte")
                .arg(i)
                .arg("\u{c0}\u{db}")
                .to_bytes()
                .unwrap();
            framing.encode(&packet, &mut bytes).unwrap();
        }
        let mut stream = TcpStream::connect(addrs.detect).unwrap();
        stream.set_nodelay(true).unwrap();
        for byte in &bytes {
            stream.write_all(std::slice::from_ref(byte)).unwrap();
        }
        for i in 0..3 {
            assert_eq!(
                next(&messages),
                Message::new("/byte").arg(i).arg("\u{c0}\u{db}")
            );
        }
    }
    drop(server);
}

#[test]
fn frames_of_every_size_up_to_the_limit() {
    let max = 4096;
    let limits = Limits::default().with_max_frame(max);
    let (server, addrs, _, errors) = start(limits);
    for framing in [Framing::Length, Framing::Slip] {
        let mut tcp = TcpClient::connect_with(addrs.detect, framing).unwrap();
        // "/size\0\0\0" ",b\0\0" size data: 16 bytes + the padded blob.
        let sizes: Vec<usize> = (0..=max - 16).step_by(4).collect();
        for &n in &sizes {
            let message = Message::new("/size").arg(Blob(vec![0xC0; n]));
            assert!(message.to_bytes().unwrap().len() <= max);
            tcp.send(&message).unwrap();
        }
        for &n in &sizes {
            let want = Packet::Message(Message::new("/len").arg(n as i32));
            assert_eq!(tcp.recv(WAIT).unwrap(), Some(want));
        }
        // One frame over the limit closes this connection only.
        let mut other = TcpClient::connect_with(addrs.detect, framing).unwrap();
        tcp.send(&Message::new("/size").arg(Blob(vec![0; max - 15])))
            .unwrap();
        let closed = tcp.recv(WAIT).unwrap_err();
        assert_eq!(closed.to_string(), "I/O error: unexpected end of file");
        assert_eq!(
            errors.recv_timeout(WAIT).unwrap(),
            format!("frame of {} bytes exceeds the maximum of {max}", max + 4)
        );
        other.send_message("/ping", &1).unwrap();
        expect_pong(other.recv(WAIT).unwrap(), 1);
    }
    server.stop().unwrap();
    let stats = server.join().unwrap().stats();
    assert_eq!(stats.dropped_connections, 2);
    assert_eq!(stats.errors, 2);
}

#[test]
fn bad_slip_escape_closes_that_connection_only() {
    let (server, addrs, messages, errors) = start(Limits::default());
    let mut bad = TcpStream::connect(addrs.detect).unwrap();
    let mut good = TcpClient::connect(addrs.detect).unwrap();
    bad.write_all(b"\xc0/a\0\0\xdb\x01\xc0").unwrap();
    assert_eq!(
        errors.recv_timeout(WAIT).unwrap(),
        "invalid SLIP escape sequence 0xDB 0x01"
    );
    bad.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(bad.read(&mut [0; 8]).unwrap(), 0, "closed by the server");
    good.send_message("/still", &()).unwrap();
    assert_eq!(next(&messages), Message::new("/still"));
    drop(server);
}

#[test]
fn malformed_and_oversized_datagrams_are_reported_and_serving_goes_on() {
    let limits = Limits::default().with_max_datagram(64);
    let (server, addrs, messages, errors) = start(limits);
    let mut udp = UdpClient::new(addrs.udp).unwrap();
    udp.send_bytes(b"garbage!").unwrap();
    assert_eq!(
        errors.recv_timeout(WAIT).unwrap(),
        "not an OSC packet: it starts with neither '/' nor \"#bundle\""
    );
    udp.send_message("/big", &Blob(vec![0; 60])).unwrap();
    assert_eq!(
        errors.recv_timeout(WAIT).unwrap(),
        "frame of 76 bytes exceeds the maximum of 64"
    );
    udp.send_message("/fine", &1).unwrap();
    assert_eq!(next(&messages), Message::new("/fine").arg(1));
    server.stop().unwrap();
    let stats = server.join().unwrap().stats();
    assert_eq!((stats.packets, stats.errors), (2, 2));
}

#[test]
fn two_hundred_concurrent_tcp_connections() {
    let (server, addrs, _, _) = start(Limits::default());
    let mut clients: Vec<TcpClient> = (0..200)
        .map(|i| {
            let framing = if i % 2 == 0 {
                Framing::Slip
            } else {
                Framing::Length
            };
            TcpClient::connect_with(addrs.detect, framing).unwrap()
        })
        .collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.send_message("/ping", &(i as i32)).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        expect_pong(c.recv(WAIT).unwrap(), i as i32);
    }
    assert_eq!(server.stats().connections, 200);
    drop(clients);
}

#[test]
fn connections_over_the_limit_are_closed_and_counted() {
    let limits = Limits::default().with_max_connections(2);
    let (server, addrs, _, _) = start(limits);
    let mut a = TcpClient::connect(addrs.detect).unwrap();
    let mut b = TcpClient::connect(addrs.detect).unwrap();
    // Replies prove both were accepted before the third connects.
    a.send_message("/ping", &1).unwrap();
    expect_pong(a.recv(WAIT).unwrap(), 1);
    b.send_message("/ping", &2).unwrap();
    expect_pong(b.recv(WAIT).unwrap(), 2);
    let mut c = TcpClient::connect(addrs.detect).unwrap();
    assert_eq!(
        c.recv(WAIT).unwrap_err().to_string(),
        "I/O error: unexpected end of file"
    );
    server.stop().unwrap();
    let stats = server.join().unwrap().stats();
    assert_eq!((stats.dropped_connections, stats.connections), (1, 2));
}

#[test]
fn stop_dispatches_everything_already_received_then_join() {
    let (server, addrs, messages, _) = start(Limits::default());
    let mut udp = UdpClient::new(addrs.udp).unwrap();
    let mut tcp = TcpClient::connect_with(addrs.length, Framing::Length).unwrap();
    // The connection is accepted (its reply came back) before the burst.
    tcp.send_message("/ping", &0).unwrap();
    expect_pong(tcp.recv(WAIT).unwrap(), 0);
    for i in 0..100 {
        udp.send_message("/udp", &i).unwrap();
        tcp.queue(&Message::new("/tcp").arg(i)).unwrap();
    }
    tcp.flush().unwrap();
    server.stop().unwrap();
    let server = server.join().unwrap();
    assert!(server.is_stopped());
    let got: Vec<Message> = messages.try_iter().collect();
    // Loopback sends complete into the server's receive buffers, so all of
    // it was "already received" when stop was asked.
    for kind in ["/udp", "/tcp"] {
        let of_kind: Vec<&Message> = got.iter().filter(|m| m.address == kind).collect();
        let want: Vec<Message> = (0..100).map(|i| Message::new(kind).arg(i)).collect();
        assert_eq!(of_kind, want.iter().collect::<Vec<_>>(), "{kind}");
    }
    assert_eq!(server.stats().packets, 201);
}

#[test]
fn poll_once_in_the_callers_loop_and_future_bundles_on_time() {
    let (d, messages, _) = dispatcher();
    let mut server = Server::new(d).unwrap();
    let addr = server.bind_udp("127.0.0.1:0").unwrap();
    let mut client = UdpClient::new(addr).unwrap();
    client.send_message("/now", &()).unwrap();
    let later =
        Bundle::new(TimeTag::after(Duration::from_millis(50))).message(Message::new("/later"));
    client.send_bundle(&later).unwrap();
    let mut got = Vec::new();
    for _ in 0..1000 {
        server.poll_once(Some(WAIT)).unwrap();
        got.extend(messages.try_iter());
        if got.len() == 2 {
            break;
        }
    }
    assert_eq!(got, [Message::new("/now"), Message::new("/later")]);
    assert_eq!(server.dispatcher_mut().queued(), 0);
}

#[test]
fn server_sends_from_its_own_port_to_any_address() {
    let (d, _, _) = dispatcher();
    let mut server = Server::new(d).unwrap();
    let addr = server.bind_udp("127.0.0.1:0").unwrap();
    let mut listener = UdpClient::bind("127.0.0.1:0", addr).unwrap();
    let packet = Message::new("/hello").to_bytes().unwrap();
    server
        .send_to(addr, listener.local_addr().unwrap(), &packet)
        .unwrap();
    let (got, from) = listener.recv_from(WAIT).unwrap().expect("a datagram");
    assert_eq!((got, from), (Packet::Message(Message::new("/hello")), addr));
    assert!(server
        .send_to("127.0.0.1:9".parse().unwrap(), addr, &packet)
        .is_err());
}

#[test]
fn worker_pool_runs_senders_in_parallel_and_keeps_each_in_order() {
    use std::sync::{Arc, Condvar, Mutex};
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let (started_tx, started) = channel::<()>();
    let (tx, messages) = channel::<(u16, i32)>();
    let mut server = Server::new(Dispatcher::new()).unwrap();
    let g = gate.clone();
    server
        .set_workers(4, move || {
            let mut d = Dispatcher::new();
            let (g, started_tx, tx) = (g.clone(), started_tx.clone(), tx.clone());
            d.map("/wait", move |(): ()| {
                started_tx.send(()).unwrap();
                let (open, cv) = &*g;
                let guard = open.lock().unwrap();
                let _ = cv.wait_timeout_while(guard, WAIT, |open| !*open).unwrap();
            })
            .unwrap();
            d.map_with_context("/n", move |ctx: &Context, n: i32| {
                tx.send((ctx.peer().unwrap().port(), n)).unwrap();
            })
            .unwrap();
            d
        })
        .unwrap();
    let addr = server.bind_udp("127.0.0.1:0").unwrap();
    let tcp = server.listen_tcp("127.0.0.1:0").unwrap();
    let handle = server.spawn().unwrap();

    // Eight senders block their workers: with four workers, at least two
    // handlers run at once (unless all eight senders hash to one worker,
    // a chance of 4 in 65,536).
    let mut blockers: Vec<UdpClient> = (0..8).map(|_| UdpClient::new(addr).unwrap()).collect();
    for c in &mut blockers {
        c.send_message("/wait", &()).unwrap();
    }
    started.recv_timeout(WAIT).unwrap();
    started.recv_timeout(WAIT).unwrap();
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();

    // TCP, so that no datagram can be dropped by a full socket buffer.
    let mut senders: Vec<TcpClient> = (0..3).map(|_| TcpClient::connect(tcp).unwrap()).collect();
    for i in 0..200 {
        for c in &mut senders {
            c.queue(&Message::new("/n").arg(i)).unwrap();
        }
    }
    for c in &mut senders {
        c.flush().unwrap();
    }
    let mut next_of = std::collections::HashMap::new();
    for _ in 0..600 {
        let (port, n) = messages.recv_timeout(WAIT).unwrap();
        let next = next_of.entry(port).or_insert(0);
        assert_eq!(n, *next, "in order per sender");
        *next += 1;
    }
    handle.stop().unwrap();
    let stats = handle.join().unwrap().stats();
    assert_eq!((stats.packets, stats.errors), (608, 0));
}

#[test]
fn running_or_spawning_a_server_without_sockets_fails_alike() {
    let mut server = Server::new(Dispatcher::new()).unwrap();
    assert!(matches!(server.run(), Err(osc_serde::Error::NoSocket)));
    assert!(!server.is_stopped());
    assert!(matches!(server.spawn(), Err(osc_serde::Error::NoSocket)));
}

/// A [`PacketSink`] that keeps every packet's bytes and origin, and
/// answers each with its length (a four-byte big-endian count, not OSC).
#[derive(Debug, Default)]
struct Recorder {
    packets: Vec<(Vec<u8>, SocketAddr)>,
    errors: Vec<String>,
}

impl PacketSink for Recorder {
    fn packet(&mut self, packet: &[u8], origin: Origin, responder: &mut dyn Responder) {
        self.packets
            .push((packet.to_vec(), origin.peer.expect("a peer")));
        responder.respond(&origin, &(packet.len() as u32).to_be_bytes());
    }

    fn report_error(&mut self, error: &osc_serde::Error, _origin: Option<&Origin>) {
        self.errors.push(error.to_string());
    }

    fn error_count(&self) -> u64 {
        self.errors.len() as u64
    }
}

#[test]
fn a_packet_sink_gets_raw_datagrams_and_frames_and_replies() {
    let mut server = Server::new(Recorder::default()).unwrap();
    server.set_limits(Limits::default().with_max_frame(64));
    let udp = server.bind_udp("127.0.0.1:0").unwrap();
    let tcp = server.listen_tcp("127.0.0.1:0").unwrap();
    let handle = server.spawn().unwrap();

    // Not OSC at all: the sink sees the bytes as sent.
    let mut client = UdpClient::new(udp).unwrap();
    client.send_bytes(b"not osc").unwrap();
    let (reply, from) = client.recv_bytes_from(WAIT).unwrap().expect("a reply");
    assert_eq!((reply, from), (&7u32.to_be_bytes()[..], udp));

    let mut tcp_client = TcpClient::connect_with(tcp, Framing::Length).unwrap();
    tcp_client.send_bytes(b"abc").unwrap();
    let reply = tcp_client.recv_bytes(WAIT).unwrap().expect("a reply");
    assert_eq!(reply, 3u32.to_be_bytes());
    // A frame over the limit goes to the sink's error report.
    tcp_client.send_bytes(&[0; 65]).unwrap();
    let gone = tcp_client.recv_bytes(WAIT);
    assert!(!matches!(gone, Ok(Some(_))), "{gone:?}");

    handle.stop().unwrap();
    let mut server = handle.join().unwrap();
    let sink = server.sink_mut();
    // The client is bound to 0.0.0.0: its port names it.
    let local = client.local_addr().unwrap().port();
    assert_eq!(sink.packets[0].0, b"not osc");
    assert_eq!(sink.packets[0].1.port(), local);
    assert_eq!(sink.packets[1].0, b"abc");
    assert_eq!(sink.packets.len(), 2);
    let too_large = osc_serde::Error::frame_too_large(65, 64);
    assert_eq!(sink.errors, [too_large.to_string()]);
    assert_eq!(server.stats().errors, 1);
    assert_eq!(server.stats().packets, 2);
}

#[test]
fn workers_can_run_any_packet_sink() {
    let mut server = Server::new(Recorder::default()).unwrap();
    // Each worker answers with the packet's length, as the loop's would.
    server.set_workers(2, Recorder::default).unwrap();
    let udp = server.bind_udp("127.0.0.1:0").unwrap();
    let handle = server.spawn().unwrap();

    let mut client = UdpClient::new(udp).unwrap();
    for packet in [&b"a"[..], b"bb", b"ccc"] {
        client.send_bytes(packet).unwrap();
        let (reply, _) = client.recv_bytes_from(WAIT).unwrap().expect("a reply");
        assert_eq!(reply, (packet.len() as u32).to_be_bytes());
    }
    handle.stop().unwrap();
    let mut server = handle.join().unwrap();
    // The loop's own sink got none of them: the workers took them all.
    assert!(server.sink_mut().packets.is_empty());
    assert_eq!(server.stats().packets, 3);
}

#[test]
fn sending_from_a_socket_the_server_lacks_is_named() {
    let mut server = Server::new(Dispatcher::new()).unwrap();
    let bound = server.bind_udp("127.0.0.1:0").unwrap();
    let elsewhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let packet = Message::new("/x").to_bytes().unwrap();
    assert!(matches!(
        server.send_to(elsewhere, bound, &packet),
        Err(osc_serde::Error::NoUdpSocketAt)
    ));
    assert!(matches!(
        server.join_multicast_v4(
            elsewhere,
            "239.255.42.99".parse().unwrap(),
            "127.0.0.1".parse().unwrap()
        ),
        Err(osc_serde::Error::NoUdpSocketAt)
    ));
}
