//! The async TCP client's queue contract, against a raw loopback peer: a
//! packet `queue` accepted is queued and one it refused is not; what waits
//! stays bounded while the peer does not read, whatever is cut short; once
//! the peer reads, every accepted packet arrives exactly once, in order;
//! drop writes what the socket takes at once. Also the resolve error of
//! the UDP client (the TCP client tries every address, as tokio's
//! `connect` does, and reports tokio's error when there is none).
//!
//! Waits are bounded (`WAIT`) only so that a broken build fails instead of
//! hanging; the short timeouts cut writes to a peer that does not read.
#![cfg(feature = "tokio")]

use std::time::Duration;

use osc_serde::framing::Framing;
use osc_serde::tokio::TcpClient;
use osc_serde::{Error, Message};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

mod common;

const WAIT: Duration = Duration::from_secs(10);

/// What may wait: 64 KiB and one packet (a packet here is about 1 KiB).
const BOUND: usize = 64 * 1024 + 2 * 1024;

/// A client and the peer's end of its connection.
async fn pair(framing: Framing) -> (TcpClient, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpClient::connect_with(listener.local_addr().unwrap(), framing)
        .await
        .unwrap();
    let (peer, _) = listener.accept().await.unwrap();
    (client, peer)
}

/// Reads frames until EOF on a blocking thread and returns the messages.
async fn read_messages(peer: TcpStream, framing: Framing) -> Vec<Message> {
    let peer = peer.into_std().unwrap();
    peer.set_nonblocking(false).unwrap();
    tokio::task::spawn_blocking(move || common::read_messages(peer, framing))
        .await
        .unwrap()
}

fn numbered(n: i32, filler: &str) -> Message {
    Message::new("/n").arg(n).arg(filler)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_stays_bounded_for_a_peer_that_does_not_read_and_loses_nothing() {
    for framing in [Framing::Length, Framing::Slip] {
        let (mut client, peer) = pair(framing).await;
        let filler = "x".repeat(1000);
        let mut accepted: i32 = 0;
        let mut next: i32 = 0;
        let mut cut_short = 0;
        // The peer does not read: the socket buffers fill, then a write
        // waits, and the timeout cuts it short (often after part of a
        // frame was written). A packet whose `queue` was cut short is not
        // queued, so it gets no number: numbers stay those accepted.
        while cut_short < 20 {
            let queued = timeout(
                Duration::from_millis(20),
                client.queue(&numbered(next, &filler)),
            )
            .await;
            match queued {
                Ok(result) => {
                    result.unwrap();
                    accepted += 1;
                    next += 1;
                }
                Err(_elapsed) => cut_short += 1,
            }
            assert!(client.queued() <= BOUND, "{} queued", client.queued());
            assert!(
                accepted < 200_000,
                "200 MB written to a peer that does not read"
            );
        }
        assert!(client.queued() > 0);

        // A `send` cut short while writing keeps its packet queued.
        let before = client.queued();
        let sent = timeout(
            Duration::from_millis(20),
            client.send(&numbered(next, &filler)),
        )
        .await;
        assert!(sent.is_err(), "a peer that does not read took a packet");
        if client.queued() != before {
            // Queued (the wait was in writing it, not in making room).
            assert!(client.queued() > before);
            accepted += 1;
        }
        assert!(client.queued() <= BOUND, "{} queued", client.queued());

        let reader = tokio::spawn(read_messages(peer, framing));
        timeout(WAIT, client.flush()).await.unwrap().unwrap();
        assert_eq!(client.queued(), 0);
        client.close().await.unwrap();
        let messages = timeout(WAIT, reader).await.unwrap().unwrap();
        let expected: Vec<Message> = (0..accepted).map(|n| numbered(n, &filler)).collect();
        assert_eq!(messages.len(), expected.len(), "{framing:?}");
        assert!(
            messages == expected,
            "{framing:?}: lost or repeated packets"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_packet_is_not_queued_and_the_queue_stays_bounded() {
    let (mut client, peer) = pair(Framing::Length).await;
    drop(peer);
    let filler = "x".repeat(1000);
    // The peer is gone: writes fail (reset, broken pipe) once the kernel
    // notices, and every packet from then on is refused.
    let mut refused = 0;
    for n in 0..100_000 {
        let before = client.queued();
        match timeout(WAIT, client.queue(&numbered(n, &filler)))
            .await
            .unwrap()
        {
            // Queued; below 64 KiB waiting, without writing first.
            Ok(()) => assert!(client.queued() > before || before >= 64 * 1024),
            Err(Error::Io(_)) => {
                // Not queued: what waits did not grow.
                assert!(client.queued() <= before);
                refused += 1;
                if refused == 10 {
                    break;
                }
            }
            Err(other) => panic!("{other}"),
        }
        assert!(client.queued() <= BOUND, "{} queued", client.queued());
    }
    assert_eq!(refused, 10, "writes to a closed peer never failed");
}

#[tokio::test(flavor = "current_thread")]
async fn a_packet_that_does_not_encode_is_not_queued() {
    let (mut client, peer) = pair(Framing::Slip).await;
    client.queue(&Message::new("/q").arg(1)).await.unwrap();
    let before = client.queued();
    // A bare integer has no address to be a message.
    let error = client.queue(&42).await.unwrap_err();
    assert!(!matches!(error, Error::Io(_)), "{error}");
    assert_eq!(client.queued(), before);
    client.queue(&Message::new("/q").arg(2)).await.unwrap();
    client.close().await.unwrap();
    let messages = timeout(WAIT, read_messages(peer, Framing::Slip))
        .await
        .unwrap();
    assert_eq!(
        messages,
        [Message::new("/q").arg(1), Message::new("/q").arg(2)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_writes_what_the_socket_takes_at_once() {
    for framing in [Framing::Length, Framing::Slip] {
        let (mut client, peer) = pair(framing).await;
        for n in 0..10 {
            client.queue(&Message::new("/q").arg(n)).await.unwrap();
        }
        assert!(client.queued() > 0);
        drop(client);
        let messages = timeout(WAIT, read_messages(peer, framing)).await.unwrap();
        let expected: Vec<Message> = (0..10).map(|n| Message::new("/q").arg(n)).collect();
        assert_eq!(messages, expected);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn close_reports_a_failed_flush() {
    let (mut client, peer) = pair(Framing::Slip).await;
    drop(peer);
    let filler = "x".repeat(1000);
    // Enough to overflow the kernel's buffers of a connection already
    // reset: some write fails.
    let mut failed = false;
    for n in 0..100_000 {
        if client.queue(&numbered(n, &filler)).await.is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed);
    assert!(matches!(client.close().await, Err(Error::Io(_))));
}

#[tokio::test(flavor = "current_thread")]
async fn an_address_resolving_to_nothing_is_its_own_error() {
    let nothing: &[std::net::SocketAddr] = &[];
    assert!(matches!(
        osc_serde::tokio::UdpClient::new(nothing).await,
        Err(Error::AddressResolvedToNothing)
    ));
}
