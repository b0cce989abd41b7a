//! [`Bundle`] and [`Packet`] (owned), [`BundleRef`] and [`PacketRef`]
//! (borrowed views that parse lazily and allocate nothing).
//!
//! A bundle is `#bundle\0`, a time tag, then elements, each an int32 size
//! followed by a message or a nested bundle of that size.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;
#[cfg(feature = "alloc")]
use core::fmt;

use crate::args::MAX_DEPTH;
#[cfg(feature = "alloc")]
use crate::error::Unsupported;
use crate::error::{count, Error, Result};
use crate::message::MessageRef;
#[cfg(feature = "alloc")]
use crate::message::{encode_helpers, Message};
use crate::timetag::TimeTag;
use crate::wire;

/// The 8 bytes that start every bundle.
pub const BUNDLE_TAG: &[u8; 8] = b"#bundle\0";

#[cfg(feature = "alloc")]
/// One OSC packet: a message or a bundle.
///
/// ```
/// use osc_serde::{Bundle, Message, Packet, TimeTag};
///
/// let packet = Packet::from(
///     Bundle::new(TimeTag::IMMEDIATE)
///         .message(Message::new("/a").arg(1))
///         .bundle(Bundle::new(TimeTag::new(3_900_000_000, 0)).message(Message::new("/b"))),
/// );
/// let bytes = packet.to_bytes()?;
/// assert_eq!(&bytes[..8], b"#bundle\0");
/// assert_eq!(Packet::from_bytes(&bytes)?, packet);
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// A single message.
    Message(Message),
    /// A bundle of packets with a time tag.
    Bundle(Bundle),
}

#[cfg(feature = "alloc")]
/// A time-tagged group of packets, to be applied together.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bundle {
    /// When the contents take effect ([`TimeTag::IMMEDIATE`] for now).
    pub timetag: TimeTag,
    /// The elements, in order.
    pub content: Vec<Packet>,
}

#[cfg(feature = "alloc")]
impl Bundle {
    /// An empty bundle with this time tag.
    pub fn new(timetag: TimeTag) -> Self {
        Bundle {
            timetag,
            content: Vec::new(),
        }
    }

    /// Appends a message (builder style).
    #[must_use]
    pub fn message(mut self, message: Message) -> Self {
        self.content.push(Packet::Message(message));
        self
    }

    /// Appends a nested bundle (builder style).
    #[must_use]
    pub fn bundle(mut self, bundle: Bundle) -> Self {
        self.content.push(Packet::Bundle(bundle));
        self
    }

    /// Appends a packet in place.
    pub fn push(&mut self, packet: impl Into<Packet>) {
        self.content.push(packet.into());
    }

    /// Decodes a bundle (not a bare message).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        // Refuse a message from its first byte, before decoding any of it.
        match PacketRef::from_bytes(bytes)? {
            PacketRef::Bundle(b) => b.to_bundle(),
            PacketRef::Message(_) => Err(Error::NotABundle),
        }
    }

    /// Appends the encoded bundle to `out`. On error `out` is unchanged.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        let result = self.encode_at_depth(out, 1);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn encode_at_depth(&self, out: &mut Vec<u8>, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep { max: MAX_DEPTH });
        }
        out.extend_from_slice(BUNDLE_TAG);
        wire::write_timetag(out, self.timetag);
        for element in &self.content {
            let size_at = out.len();
            out.extend_from_slice(&[0; 4]);
            match element {
                Packet::Message(m) => m.encode_into(out)?,
                Packet::Bundle(b) => b.encode_at_depth(out, depth + 1)?,
            }
            let size = i32::try_from(out.len() - size_at - 4)
                .map_err(|_| Error::Unsupported(Unsupported::HugeElement))?;
            out[size_at..size_at + 4].copy_from_slice(&size.to_be_bytes());
        }
        Ok(())
    }
}

#[cfg(feature = "alloc")]
impl Packet {
    /// Decodes a packet: a message or a bundle, nested bundles included.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        PacketRef::from_bytes(bytes)?.to_packet()
    }

    /// Appends the encoded packet to `out` (reuse the buffer to encode
    /// without allocating). On error `out` is unchanged.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        match self {
            Packet::Message(m) => m.encode_into(out),
            Packet::Bundle(b) => b.encode_into(out),
        }
    }
}

#[cfg(feature = "alloc")]
encode_helpers!(Bundle, "bundle");
#[cfg(feature = "alloc")]
encode_helpers!(Packet, "packet");

#[cfg(feature = "alloc")]
impl From<Message> for Packet {
    fn from(m: Message) -> Packet {
        Packet::Message(m)
    }
}

#[cfg(feature = "alloc")]
impl From<Bundle> for Packet {
    fn from(b: Bundle) -> Packet {
        Packet::Bundle(b)
    }
}

#[cfg(feature = "alloc")]
impl fmt::Display for Packet {
    /// A message as [`Message`]'s `Display` prints it; a bundle as
    /// `#bundle TIMETAG [ELEMENT, ELEMENT, …]`.
    ///
    /// ```
    /// use osc_serde::{Bundle, Message, Packet, TimeTag};
    ///
    /// let packet = Packet::from(
    ///     Bundle::new(TimeTag::IMMEDIATE)
    ///         .message(Message::new("/a").arg(1))
    ///         .bundle(Bundle::new(TimeTag::new(5, 0)).message(Message::new("/b").arg("x"))),
    /// );
    /// assert_eq!(
    ///     packet.to_string(),
    ///     "#bundle 00000000.00000001 [/a i 1, #bundle 00000005.00000000 [/b s \"x\"]]"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Packet::Message(message) => message.fmt(f),
            Packet::Bundle(bundle) => bundle.fmt(f),
        }
    }
}

#[cfg(feature = "alloc")]
impl fmt::Display for Bundle {
    /// `#bundle TIMETAG [ELEMENT, ELEMENT, …]`, the elements as
    /// [`Packet`]'s `Display` prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#bundle {} [", self.timetag)?;
        for (i, element) in self.content.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            element.fmt(f)?;
        }
        f.write_str("]")
    }
}

/// A borrowed view of a received packet.
///
/// ```
/// use osc_serde::{Bundle, Message, PacketRef, TimeTag};
///
/// let bytes = Bundle::new(TimeTag::IMMEDIATE)
///     .message(Message::new("/a").arg(1))
///     .message(Message::new("/b").arg("x"))
///     .to_bytes()?;
/// let PacketRef::Bundle(bundle) = PacketRef::from_bytes(&bytes)? else { unreachable!() };
/// let addresses: Vec<&str> = bundle
///     .elements()
///     .map(|e| match e? {
///         PacketRef::Message(m) => Ok(m.address()),
///         PacketRef::Bundle(_) => Ok("bundle"),
///     })
///     .collect::<osc_serde::Result<_>>()?;
/// assert_eq!(addresses, ["/a", "/b"]);
/// # Ok::<(), osc_serde::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketRef<'a> {
    /// A message.
    Message(MessageRef<'a>),
    /// A bundle.
    Bundle(BundleRef<'a>),
}

impl<'a> PacketRef<'a> {
    /// Parses a packet's header (a message's address and tags, or a
    /// bundle's time tag). Bundle elements are parsed as they are iterated.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self> {
        Self::at_depth(bytes, 1)
    }

    #[inline]
    fn at_depth(bytes: &'a [u8], depth: usize) -> Result<Self> {
        match bytes.first() {
            Some(b'/') => MessageRef::from_bytes(bytes).map(PacketRef::Message),
            Some(b'#') => BundleRef::at_depth(bytes, depth).map(PacketRef::Bundle),
            _ => Err(Error::NotAPacket),
        }
    }

    /// An owned copy, with every element and argument checked.
    #[cfg(feature = "alloc")]
    pub fn to_packet(&self) -> Result<Packet> {
        Ok(match self {
            PacketRef::Message(m) => Packet::Message(m.to_message()?),
            PacketRef::Bundle(b) => Packet::Bundle(b.to_bundle()?),
        })
    }
}

/// A borrowed view of a bundle: its time tag, and its elements read lazily.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleRef<'a> {
    /// The whole bundle, header included.
    bytes: &'a [u8],
    timetag: TimeTag,
    elements: &'a [u8],
    depth: usize,
}

impl<'a> BundleRef<'a> {
    /// Parses a bundle's header.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self> {
        Self::at_depth(bytes, 1)
    }

    /// Parses a bundle's header, as nested at `depth` (1 at the top).
    pub(crate) fn at_depth(bytes: &'a [u8], depth: usize) -> Result<Self> {
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep { max: MAX_DEPTH });
        }
        if bytes.first() == Some(&b'/') {
            return Err(Error::NotABundle);
        }
        let mut rest = bytes;
        if wire::take(&mut rest, 8)? != BUNDLE_TAG {
            return Err(Error::NotAPacket);
        }
        let timetag = wire::read_timetag(&mut rest)?;
        Ok(BundleRef {
            bytes,
            timetag,
            elements: rest,
            depth,
        })
    }

    /// The bundle's time tag.
    pub fn timetag(&self) -> TimeTag {
        self.timetag
    }

    /// The whole bundle as received (header and elements), e.g. to keep
    /// it for later without re-encoding.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// How deep this bundle is nested (1 for a top-level bundle).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// An owned copy, with every element and argument checked.
    #[cfg(feature = "alloc")]
    fn to_bundle(self) -> Result<Bundle> {
        let mut content = Vec::with_capacity(count_elements(self.elements));
        for element in self.elements() {
            content.push(element?.to_packet()?);
        }
        Ok(Bundle {
            timetag: self.timetag,
            content,
        })
    }

    /// The elements, in order. An element whose size is negative, not a
    /// multiple of 4 or larger than what remains, or that does not parse,
    /// is yielded as an error and ends the iteration.
    pub fn elements(&self) -> Elements<'a> {
        Elements {
            rest: self.elements,
            depth: self.depth,
        }
    }
}

#[cfg(feature = "alloc")]
/// How many elements the size prefixes of `elements` mark out, stopping
/// at the first that does not fit: a capacity for owned decoding that is
/// bounded by the input (at most one element per 4 bytes).
fn count_elements(mut elements: &[u8]) -> usize {
    let mut n = 0;
    while let Ok(size) = wire::read_i32(&mut elements) {
        match usize::try_from(size) {
            Ok(len) if len <= elements.len() => elements = &elements[len..],
            _ => break,
        }
        n += 1;
    }
    n
}

/// Iterator over a bundle's elements; see [`BundleRef::elements`].
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    rest: &'a [u8],
    depth: usize,
}

impl<'a> Elements<'a> {
    fn next_element(&mut self) -> Result<PacketRef<'a>> {
        let size = wire::read_i32(&mut self.rest)?;
        // Not `ok_or`: building the error eagerly costs on every element.
        let Some(len) = usize::try_from(size).ok().filter(|&n| n <= self.rest.len()) else {
            return Err(Error::BadLength {
                length: size,
                remaining: count(self.rest.len()),
            });
        };
        if len % 4 != 0 {
            return Err(Error::MisalignedElement(size));
        }
        let bytes = wire::take(&mut self.rest, len)?;
        PacketRef::at_depth(bytes, self.depth + 1)
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<PacketRef<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let item = self.next_element();
        if item.is_err() {
            self.rest = &[];
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::count_elements;

    #[test]
    fn count_elements_stops_at_the_first_size_that_does_not_fit() {
        assert_eq!(count_elements(&[]), 0);
        // Two empty elements, then one of 4 bytes.
        assert_eq!(
            count_elements(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]),
            3
        );
        // A size larger than what remains, a negative size, a short prefix.
        assert_eq!(count_elements(&[0, 0, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4]), 1);
        assert_eq!(count_elements(&[0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0]), 0);
        assert_eq!(count_elements(&[0, 0, 0, 0, 0, 0]), 1);
    }
}
