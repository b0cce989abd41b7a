//! The clients against raw loopback peers: exact bytes on the wire,
//! timeouts, broadcast opt-in, multicast, single-END SLIP replies.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::sync::mpsc::channel;
use std::time::Duration;

use osc_serde::framing::Framing;
use osc_serde::transport::{Server, TcpClient, UdpClient};
use osc_serde::{Dispatcher, Message, Packet};

mod common;
use common::read_messages;

const WAIT: Duration = Duration::from_secs(10);

fn pair(framing: Framing) -> (TcpClient, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpClient::connect_with(listener.local_addr().unwrap(), framing).unwrap();
    let (peer, _) = listener.accept().unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    (client, peer)
}

#[test]
fn udp_send_message_takes_one_value_or_a_sequence() {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    let mut client = UdpClient::new(peer.local_addr().unwrap()).unwrap();
    let mut buf = [0; 64];
    client.send_message("/a", &1).unwrap();
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"/a\0\0,i\0\0\0\0\0\x01");
    client.send_message("/a", &[1.0f32, 2.0]).unwrap();
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"/a\0\0,ff\0\x3f\x80\0\0\x40\0\0\0");
    client.send_message("/a", &()).unwrap();
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"/a\0\0,\0\0\0");
    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    other.set_read_timeout(Some(WAIT)).unwrap();
    client
        .send_bytes_to(other.local_addr().unwrap(), b"/b\0\0,\0\0\0")
        .unwrap();
    let (n, from) = other.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"/b\0\0,\0\0\0");
    assert_eq!(from.port(), client.local_addr().unwrap().port());
}

#[test]
fn udp_recv_times_out_with_none() {
    let mut client = UdpClient::new("127.0.0.1:9").unwrap();
    assert!(client
        .recv_from(Duration::from_millis(1))
        .unwrap()
        .is_none());
    assert!(client.recv_from(Duration::ZERO).unwrap().is_none());
}

#[test]
fn broadcast_is_opt_in() {
    let mut client = UdpClient::new("255.255.255.255:9").unwrap();
    assert!(!client.socket().broadcast().unwrap());
    // Refused by the kernel (EACCES) before anything leaves the host.
    assert!(client.send_message("/a", &()).is_err());
    client.set_broadcast(true).unwrap();
    assert!(client.socket().broadcast().unwrap());
}

/// Set in the environment of the copy of this test binary that runs inside
/// a private network namespace.
const IN_PRIVATE_NETNS: &str = "OSC_SERDE_TEST_IN_PRIVATE_NETNS";

/// Multicast sends to a group address, not to loopback, so it runs only
/// inside a network namespace of its own, whose one interface is its own
/// loopback and from which nothing can leave the machine: the test runs
/// itself again there (`unshare --net`, which needs root or user
/// namespaces) and is skipped, saying why, where no namespace can be made.
#[test]
fn multicast_group_joined_by_a_server_socket() {
    if std::env::var_os(IN_PRIVATE_NETNS).is_some() {
        return multicast_on_the_private_loopback();
    }
    let name = "multicast_group_joined_by_a_server_socket";
    let in_private_netns = |command: &[&std::ffi::OsStr]| {
        let mut unshare = std::process::Command::new("unshare");
        unshare
            .args([
                "--net",
                "sh",
                "-c",
                "ip link set lo up && exec \"$@\"",
                "sh",
            ])
            .args(command)
            .env(IN_PRIVATE_NETNS, "1");
        unshare.output()
    };
    match in_private_netns(&["true".as_ref()]) {
        Ok(probe) if probe.status.success() => {}
        Ok(probe) => {
            let why = String::from_utf8_lossy(&probe.stderr);
            return skip(
                name,
                &format!("no private network namespace: {}", why.trim()),
            );
        }
        Err(e) => return skip(name, &format!("cannot run unshare: {e}")),
    }
    let exe = std::env::current_exe().unwrap();
    let run = in_private_netns(&[
        exe.as_os_str(),
        "--exact".as_ref(),
        name.as_ref(),
        "--nocapture".as_ref(),
    ])
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success() && stdout.contains("1 passed"),
        "in a private network namespace: {}\n{stdout}\n{stderr}",
        run.status
    );
}

/// Says why a test did not run, past the test harness's output capture.
fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "{test}: skipped: {why}");
}

fn multicast_on_the_private_loopback() {
    let (tx, rx) = channel();
    let mut d = Dispatcher::new();
    d.set_default(move |m: Message| {
        let _ = tx.send(m);
    });
    let mut server = Server::new(d).unwrap();
    // Bound to the group address itself, so only that group is received;
    // joined on the loopback interface.
    let group = std::net::Ipv4Addr::new(239, 255, 42, 99);
    let addr = server.bind_udp((group, 0)).unwrap();
    server
        .join_multicast_v4(addr, group, std::net::Ipv4Addr::LOCALHOST)
        .unwrap();
    let handle = server.spawn().unwrap();
    // A client bound to 127.0.0.1 sends through the loopback interface.
    let mut client = UdpClient::bind("127.0.0.1:0", addr).unwrap();
    client.set_multicast_ttl_v4(0).unwrap();
    client.send_message("/group", &5).unwrap();
    assert_eq!(
        rx.recv_timeout(WAIT).unwrap(),
        Message::new("/group").arg(5)
    );
    drop(handle);
}

#[test]
fn tcp_client_writes_exact_frames_for_both_framings() {
    for (framing, want) in [
        (Framing::Length, &b"\0\0\0\x08/a\0\0,\0\0\0"[..]),
        (Framing::Slip, &b"\xc0/a\0\0,\0\0\0\xc0"[..]),
    ] {
        let (mut client, mut peer) = pair(framing);
        client.send_message("/a", &()).unwrap();
        let mut got = vec![0; want.len()];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(got, want, "{framing:?}");
        assert_eq!(client.framing(), framing);
        client.close().unwrap();
        assert_eq!(peer.read(&mut [0; 4]).unwrap(), 0, "closed");
    }
}

#[test]
fn tcp_client_reads_single_end_frames_arriving_in_one_read() {
    // python-osc's 1.1 reader fails on this; liblo sends single-END frames.
    let (mut client, mut peer) = pair(Framing::Slip);
    peer.write_all(b"/a\0\0,i\0\0\0\0\0\x01\xc0/b\0\0,\0\0\0\xc0")
        .unwrap();
    assert_eq!(
        client.recv(WAIT).unwrap(),
        Some(Packet::Message(Message::new("/a").arg(1)))
    );
    assert_eq!(
        client.recv(WAIT).unwrap(),
        Some(Packet::Message(Message::new("/b")))
    );
}

#[test]
fn tcp_recv_keeps_a_partial_frame_across_a_timeout() {
    let (mut client, mut peer) = pair(Framing::Length);
    peer.write_all(b"\0\0\0\x08/a\0").unwrap();
    assert_eq!(client.recv_bytes(Duration::from_millis(1)).unwrap(), None);
    peer.write_all(b"\0,\0\0\0").unwrap();
    assert_eq!(
        client.recv_bytes(WAIT).unwrap(),
        Some(&b"/a\0\0,\0\0\0"[..])
    );
    // A zero timeout still reads what has arrived (a loopback write is in
    // the receiver's buffer when it returns).
    peer.write_all(b"\0\0\0\x08/b\0\0,\0\0\0").unwrap();
    assert_eq!(
        client.recv_bytes(Duration::ZERO).unwrap(),
        Some(&b"/b\0\0,\0\0\0"[..])
    );
    drop(peer);
    let eof = client.recv_bytes(WAIT).unwrap_err();
    assert_eq!(eof.to_string(), "I/O error: unexpected end of file");
}

#[test]
fn tcp_recv_refuses_frames_over_the_limit() {
    let (mut client, mut peer) = pair(Framing::Length);
    client.set_max_frame(8);
    peer.write_all(b"\0\0\0\x0c").unwrap();
    assert_eq!(
        client.recv_bytes(WAIT).unwrap_err().to_string(),
        "frame of 12 bytes exceeds the maximum of 8"
    );
}

#[test]
fn tcp_recv_goes_on_after_a_bad_slip_frame() {
    // The bad frame and a good one arrive in one read: the error must not
    // leave the bytes it consumed to be decoded again.
    let (mut client, mut peer) = pair(Framing::Slip);
    peer.write_all(b"\xc0a\xdb\x00b\xc0\xc0/b\0\0,\0\0\0\xc0")
        .unwrap();
    assert_eq!(
        client.recv_bytes(WAIT).unwrap_err().to_string(),
        "invalid SLIP escape sequence 0xDB 0x00"
    );
    assert_eq!(
        client.recv(WAIT).unwrap(),
        Some(Packet::Message(Message::new("/b")))
    );
}

#[test]
fn tcp_recv_takes_the_longest_timeout() {
    // `Instant::now() + Duration::MAX` would panic.
    let (mut client, mut peer) = pair(Framing::Length);
    peer.write_all(b"\0\0\0\x08/a\0\0,\0\0\0").unwrap();
    assert_eq!(
        client.recv(Duration::MAX).unwrap(),
        Some(Packet::Message(Message::new("/a")))
    );
    let mut udp = UdpClient::new("127.0.0.1:9").unwrap();
    udp.send_bytes_to(udp.local_addr().unwrap(), b"/u\0\0,\0\0\0")
        .unwrap();
    let (packet, _) = udp.recv_from(Duration::MAX).unwrap().unwrap();
    assert_eq!(packet, Packet::Message(Message::new("/u")));
}

#[test]
fn tcp_drop_flushes_what_is_queued() {
    for framing in [Framing::Length, Framing::Slip] {
        let (mut client, peer) = pair(framing);
        for i in 0..10 {
            client.queue(&Message::new("/q").arg(i)).unwrap();
        }
        assert_eq!(client.queued(), 10 * client_frame_len(framing));
        drop(client);
        let got = read_messages(peer, framing);
        let want: Vec<Message> = (0..10).map(|i| Message::new("/q").arg(i)).collect();
        assert_eq!(got, want, "{framing:?}");
    }
}

/// The framed size of `/q ,i` with one int.
fn client_frame_len(framing: Framing) -> usize {
    let mut out = Vec::new();
    let packet = Message::new("/q").arg(0).to_bytes().unwrap();
    framing.encode(&packet, &mut out).unwrap();
    out.len()
}

#[test]
fn tcp_failed_flush_keeps_unwritten_bytes_for_the_next() {
    // The peer does not read, so the socket buffers fill and a write times
    // out, usually after writing part of a frame.
    let (mut client, peer) = pair(Framing::Length);
    client
        .set_write_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let filler = "x".repeat(1000);
    let mut sent: i32 = 0;
    let error = loop {
        // `queue` writes by itself every 64 KiB; an error refuses the
        // packet.
        match client.queue(&Message::new("/n").arg(sent).arg(filler.as_str())) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(
            sent < 200_000,
            "200 MB written to a peer that does not read"
        );
    };
    match &error {
        osc_serde::Error::Io(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        ),
        other => panic!("{other}"),
    }
    assert!(client.queued() > 0);
    // While the peer still does not read, new packets are refused (or,
    // when the kernel makes room, taken) but never pile up.
    let bound = 64 * 1024 + 2 * 1024;
    for _ in 0..50 {
        if client
            .queue(&Message::new("/n").arg(sent).arg(filler.as_str()))
            .is_ok()
        {
            sent += 1;
        }
        assert!(client.queued() <= bound, "{} queued", client.queued());
    }

    let reader = std::thread::spawn(move || read_messages(peer, Framing::Length));
    client.set_write_timeout(None).unwrap();
    client.flush().unwrap();
    assert_eq!(client.queued(), 0);
    client.close().unwrap();
    let got = reader.join().unwrap();
    assert_eq!(
        got.len(),
        sent as usize,
        "every queued message arrives once"
    );
    for (i, m) in got.iter().enumerate() {
        assert_eq!(*m, Message::new("/n").arg(i as i32).arg(filler.as_str()));
    }
}

#[test]
fn recv_as_decodes_borrowing_from_the_client() {
    let (mut client, mut peer) = pair(Framing::Slip);
    let mut frames = Vec::new();
    for packet in [
        osc_serde::to_vec_with_address("/reply", &(7, "seven")).unwrap(),
        osc_serde::to_vec_with_address("/reply", &("not an int",)).unwrap(),
        osc_serde::to_vec_with_address("/reply", &(8, "eight")).unwrap(),
    ] {
        Framing::Slip.encode(&packet, &mut frames).unwrap();
    }
    peer.write_all(&frames).unwrap();
    let got: Option<(i32, &str)> = client.recv_as(WAIT).unwrap();
    assert_eq!(got, Some((7, "seven")));
    // A mismatch is the error, and that packet is gone.
    let mismatch = client.recv_as::<(i32, &str)>(WAIT).unwrap_err();
    assert!(
        matches!(mismatch, osc_serde::Error::TypeMismatch { index: 0, .. }),
        "{mismatch}"
    );
    assert_eq!(client.recv_as(WAIT).unwrap(), Some((8, "eight")));
    assert_eq!(
        client
            .recv_as::<(i32, &str)>(Duration::from_millis(1))
            .unwrap(),
        None
    );

    let mut udp = UdpClient::new("127.0.0.1:9").unwrap();
    let me = udp.local_addr().unwrap();
    let packet = osc_serde::to_vec_with_address("/reply", &(1.5f32, "x")).unwrap();
    udp.send_bytes_to(me, &packet).unwrap();
    let got: (f32, &str) = udp.recv_as(WAIT).unwrap().expect("a datagram");
    assert_eq!(got, (1.5, "x"));
    assert_eq!(
        udp.recv_as::<(f32, &str)>(Duration::from_millis(1))
            .unwrap(),
        None
    );
}
