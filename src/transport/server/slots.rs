//! The slot table: every socket, listener and connection of a server, by
//! `mio` token. A token is the slot's index; a closed connection's slot is
//! reused by the next one, so an [`Origin`](crate::Origin) names its
//! connection by token and peer address together.

use mio::net::{TcpListener, UdpSocket};
use mio::{Interest, Registry, Token};

use super::conn::Conn;
use crate::framing::Framing;
use crate::Result;

/// What a slot holds.
#[derive(Debug)]
pub(super) enum Source {
    Udp(UdpSocket),
    /// A listener, and the framing of its connections (`None`: detected).
    Listener(TcpListener, Option<Framing>),
    Conn(Box<Conn>),
}

/// Sources by token, with the free slots.
#[derive(Debug, Default)]
pub(super) struct Slots {
    sources: Vec<Option<Source>>,
    free: Vec<usize>,
}

impl Slots {
    /// Registers `source` with `registry` under a free token and keeps it.
    pub(super) fn insert(
        &mut self,
        registry: &Registry,
        mut source: Source,
        interest: Interest,
    ) -> Result<usize> {
        let token = match self.free.pop() {
            Some(t) => t,
            None => {
                self.sources.push(None);
                self.sources.len() - 1
            }
        };
        let registered = match &mut source {
            Source::Udp(s) => registry.register(s, Token(token), interest),
            Source::Listener(l, _) => registry.register(l, Token(token), interest),
            Source::Conn(c) => registry.register(&mut c.stream, Token(token), interest),
        };
        if let Err(e) = registered {
            self.free.push(token);
            return Err(e.into());
        }
        self.sources[token] = Some(source);
        Ok(token)
    }

    /// Takes the connection in slot `token` out (deregistered), freeing
    /// the slot; `None` if the slot holds no connection.
    pub(super) fn remove_conn(&mut self, registry: &Registry, token: usize) -> Option<Box<Conn>> {
        let slot = self.sources.get_mut(token)?;
        match slot.take() {
            Some(Source::Conn(mut conn)) => {
                let _ = registry.deregister(&mut conn.stream);
                self.free.push(token);
                Some(conn)
            }
            other => {
                *slot = other;
                None
            }
        }
    }

    /// The source in slot `token`, if any.
    #[inline]
    pub(super) fn get(&self, token: usize) -> Option<&Source> {
        self.sources.get(token)?.as_ref()
    }

    /// The source in slot `token`, if any, to change.
    #[inline]
    pub(super) fn get_mut(&mut self, token: usize) -> Option<&mut Source> {
        self.sources.get_mut(token)?.as_mut()
    }

    /// The connection in slot `token`, if it holds one.
    #[inline]
    pub(super) fn conn_mut(&mut self, token: usize) -> Option<&mut Conn> {
        match self.get_mut(token)? {
            Source::Conn(conn) => Some(conn),
            _ => None,
        }
    }

    /// One past the highest token in use (tokens to visit in a sweep).
    pub(super) fn len(&self) -> usize {
        self.sources.len()
    }

    /// All sources, in token order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use mio::net::TcpStream;
    use mio::Poll;

    use super::*;
    use crate::transport::Limits;

    fn conn(listener: &TcpListener) -> Source {
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let peer = listener.local_addr().unwrap();
        let limits = Limits::default();
        Source::Conn(Box::new(Conn::new(
            stream,
            peer,
            None,
            &limits,
            Instant::now(),
        )))
    }

    #[test]
    fn tokens_are_slot_indexes_and_a_closed_connections_slot_is_reused() {
        let poll = Poll::new().unwrap();
        let registry = poll.registry();
        let mut slots = Slots::default();
        let udp = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let a = conn(&listener);
        let b = conn(&listener);

        let udp = slots.insert(registry, Source::Udp(udp), Interest::READABLE);
        assert_eq!(udp.unwrap(), 0);
        assert_eq!(slots.insert(registry, a, Interest::READABLE).unwrap(), 1);
        assert_eq!(slots.insert(registry, b, Interest::READABLE).unwrap(), 2);
        assert_eq!(slots.len(), 3);

        // Only connections are removed; a socket's slot stays as it is.
        assert!(slots.remove_conn(registry, 0).is_none());
        assert!(matches!(slots.get(0), Some(Source::Udp(_))));
        assert!(slots.remove_conn(registry, 7).is_none());

        let removed = slots.remove_conn(registry, 1).expect("a connection");
        assert!(slots.get(1).is_none() && slots.conn_mut(1).is_none());
        assert!(slots.remove_conn(registry, 1).is_none());
        assert_eq!(slots.iter().count(), 2);

        // The freed token names the next source; the table does not grow.
        let again = Source::Conn(removed);
        assert_eq!(
            slots.insert(registry, again, Interest::READABLE).unwrap(),
            1
        );
        assert_eq!(slots.len(), 3);
        assert!(slots.conn_mut(1).is_some());
    }
}
