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
