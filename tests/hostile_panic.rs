//! A handler that panics, on a live server: the panic reaches the error
//! hook as `Error::HandlerPanicked`, and the server keeps serving, on the
//! loop thread and on a worker pool.
//!
//! Its own test binary because it silences the panic hook, which is
//! process-wide.

use std::sync::mpsc::channel;
use std::time::Duration;

use osc_serde::dispatch::Reply;
use osc_serde::framing::Framing;
use osc_serde::transport::{Server, TcpClient, UdpClient};
use osc_serde::{Dispatcher, Error, Message, Packet};

const WAIT: Duration = Duration::from_secs(20);

fn dispatcher() -> Dispatcher {
    let mut d = Dispatcher::new();
    d.map("/panic", |n: i32| -> () {
        panic!("handler panicked on {n}")
    })
    .unwrap();
    d.map("/ping", |n: i32| Reply::to("/pong", n)).unwrap();
    d
}

#[test]
fn a_panicking_handler_is_reported_and_the_server_goes_on() {
    // The default hook would print every expected panic; others (a
    // failing assertion) still go to it.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let expected = info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|s| s.starts_with("handler panicked on"));
        if !expected {
            default_hook(info);
        }
    }));
    for workers in [0, 2] {
        let (tx, errors) = channel();
        let mut d = dispatcher();
        let hook = tx.clone();
        d.on_error(move |r| {
            let _ = hook
                .send(matches!(r.error, Error::HandlerPanicked(_)).then(|| r.error.to_string()));
        });
        let mut server = Server::new(d).unwrap();
        if workers > 0 {
            server
                .set_workers(workers, || {
                    let mut d = dispatcher();
                    let hook = tx.clone();
                    d.on_error(move |r| {
                        let _ = hook.send(
                            matches!(r.error, Error::HandlerPanicked(_))
                                .then(|| r.error.to_string()),
                        );
                    });
                    d
                })
                .unwrap();
        }
        let udp_addr = server.bind_udp("127.0.0.1:0").unwrap();
        let tcp_addr = server.listen_tcp("127.0.0.1:0").unwrap();
        let handle = server.spawn().unwrap();

        let mut udp = UdpClient::new(udp_addr).unwrap();
        let mut tcp = TcpClient::connect_with(tcp_addr, Framing::Slip).unwrap();
        for n in 0..10 {
            udp.send_message("/panic", &n).unwrap();
            tcp.send_message("/panic", &(100 + n)).unwrap();
            // The same clients, right after: answered.
            udp.send_message("/ping", &n).unwrap();
            tcp.send_message("/ping", &n).unwrap();
            let pong = Packet::Message(Message::new("/pong").arg(n));
            assert_eq!(udp.recv_from(WAIT).unwrap().expect("a UDP pong").0, pong);
            assert_eq!(tcp.recv(WAIT).unwrap().expect("a TCP pong"), pong);
        }
        let mut reported: Vec<String> = (0..20)
            .map(|_| {
                errors
                    .recv_timeout(WAIT)
                    .expect("a report")
                    .expect("a HandlerPanicked report")
            })
            .collect();
        reported.sort();
        let mut expected: Vec<String> = (0..10)
            .flat_map(|n| [n, 100 + n])
            .map(|n| format!("handler panicked: handler panicked on {n}"))
            .collect();
        expected.sort();
        assert_eq!(reported, expected, "workers: {workers}");
        handle.stop().unwrap();
        let server = handle.join().unwrap();
        let stats = server.stats();
        assert_eq!(
            (stats.packets, stats.errors),
            (40, 20),
            "workers: {workers}"
        );
        assert_eq!(stats.dropped_connections, 0);
    }
}
