//! Inbound connections (docs/PROTOCOL.md §1): each one waits in the *new* pool until its
//! first frame says what it is — a peer (votes, certificates) or a client (requests) —
//! then moves to that kind's pool. Each pool has its own limit; a full pool closes the
//! connection that has been quiet the longest to make room, so whoever holds idle or
//! trickling connections cannot lock out a peer or a client that talks. A frame must
//! start within the idle limit and arrive whole within the frame limit.

use super::{lock, spawn, Node};
use crate::bft::frames::{Frame, Reply};
use crate::bft::wire::{self, ReadError};
use std::net::{IpAddr, Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Connections per pool.
pub const NEW: usize = 64;
pub const PEERS: usize = 64;
pub const CLIENTS: usize = 128;
/// A new connection's first frame must start within this.
pub const FIRST_FRAME: Duration = Duration::from_secs(5);
/// A connection with no frame starting for this long is closed.
pub const IDLE: Duration = Duration::from_secs(30);
/// A frame must arrive whole within this of its first byte.
pub const FRAME: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    New,
    Peer,
    Client,
}

struct Slot {
    id: u64,
    kind: Kind,
    /// When it last completed a frame (or connected).
    active: Instant,
    stream: TcpStream,
}

#[derive(Default)]
struct Inner {
    next: u64,
    slots: Vec<Slot>,
}

/// Frames parsed and handled at once, at most: a frame's parsed form may be many times
/// its bytes, so this bounds that memory whatever the number of connections.
pub const PERMITS: usize = 8;

/// The permits to parse and handle a frame.
pub struct Permits {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Default for Permits {
    fn default() -> Self {
        Permits {
            free: Mutex::new(PERMITS),
            freed: Condvar::new(),
        }
    }
}

pub struct Permit<'a>(&'a Permits);

impl Permits {
    pub fn acquire(&self) -> Permit<'_> {
        let mut free = lock(&self.free);
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *lock(&self.0.free) += 1;
        self.0.freed.notify_one();
    }
}

/// The connections held, by kind.
#[derive(Default)]
pub struct Pools(Mutex<Inner>);

impl Pools {
    /// Puts a connection in `kind`'s pool, closing the quietest one there if it is full.
    /// Returns whether one was closed.
    fn enter(&self, id: u64, kind: Kind, stream: Option<TcpStream>) -> bool {
        let mut p = lock(&self.0);
        let limit = match kind {
            Kind::New => NEW,
            Kind::Peer => PEERS,
            Kind::Client => CLIENTS,
        };
        let mut evicted = false;
        if p.slots.iter().filter(|s| s.kind == kind && s.id != id).count() >= limit {
            let quietest = p
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.kind == kind && s.id != id)
                .min_by_key(|(_, s)| s.active)
                .map(|(i, _)| i);
            if let Some(i) = quietest {
                let s = p.slots.swap_remove(i);
                let _ = s.stream.shutdown(Shutdown::Both);
                evicted = true;
            }
        }
        match (p.slots.iter_mut().find(|s| s.id == id), stream) {
            (Some(s), _) => {
                s.kind = kind;
                s.active = Instant::now();
            }
            (None, Some(stream)) => p.slots.push(Slot {
                id,
                kind,
                active: Instant::now(),
                stream,
            }),
            (None, None) => {}
        }
        evicted
    }

    fn admit(&self, stream: TcpStream) -> (u64, bool) {
        let id = {
            let mut p = lock(&self.0);
            p.next += 1;
            p.next
        };
        (id, self.enter(id, Kind::New, Some(stream)))
    }

    fn touch(&self, id: u64) {
        if let Some(s) = lock(&self.0).slots.iter_mut().find(|s| s.id == id) {
            s.active = Instant::now();
        }
    }

    fn leave(&self, id: u64) {
        lock(&self.0).slots.retain(|s| s.id != id);
    }

    /// Connections held.
    pub fn held(&self) -> usize {
        lock(&self.0).slots.len()
    }
}

impl Node {
    pub(super) fn accept_loop(self: &Arc<Self>, listener: TcpListener) {
        for conn in listener.incoming() {
            let Ok(stream) = conn else { continue };
            let Ok(handle) = stream.try_clone() else { continue };
            let (id, evicted) = self.conns.admit(handle);
            if evicted {
                self.metrics.evicted();
            }
            let node = Arc::clone(self);
            if spawn("connection", move || {
                node.connection(id, stream);
                node.conns.leave(id);
            })
            .is_err()
            {
                self.conns.leave(id);
            }
        }
    }

    /// One inbound connection: peer frames need no answer; client requests get one. A
    /// bad frame is answered with an error, and the connection closed.
    fn connection(&self, id: u64, mut stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        let client: IpAddr = stream.peer_addr().map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        let mut kind = Kind::New;
        loop {
            let idle = if kind == Kind::New { FIRST_FRAME } else { IDLE };
            let bytes = match wire::read_bytes_by(&mut stream, idle, FRAME) {
                Ok(Some(b)) => b,
                Ok(None) | Err(ReadError::Idle(_)) | Err(ReadError::Cut) | Err(ReadError::Io(_)) => return,
                Err(e) => return self.refuse(&mut stream, e.to_string()),
            };
            let permit = self.permits.acquire();
            let frame = match Frame::parse(&bytes) {
                Ok(f) => f,
                Err(why) => return self.refuse(&mut stream, why),
            };
            drop(bytes);
            let now = if frame.is_peer() { Kind::Peer } else { Kind::Client };
            if kind == Kind::New {
                kind = now;
                if self.conns.enter(id, kind, None) {
                    self.metrics.evicted();
                }
            } else {
                self.conns.touch(id);
            }
            match frame {
                Frame::Vote(v) => {
                    if let Err(why) = self.on_vote(v) {
                        return self.refuse(&mut stream, why);
                    }
                }
                Frame::Certificate(c) => {
                    if let Err(why) = self.on_certificate(c) {
                        return self.refuse(&mut stream, why);
                    }
                }
                request => {
                    // A query may wait for its decision: not while holding a permit.
                    if matches!(request, Frame::Query { .. }) {
                        drop(permit);
                    }
                    let reply = self.on_request(request, client);
                    let failed = matches!(reply, Reply::Error { .. });
                    if failed {
                        self.metrics.refused();
                    }
                    if wire::write_frame(&mut stream, &reply).is_err() || failed {
                        return;
                    }
                }
            }
        }
    }

    fn refuse(&self, stream: &mut TcpStream, why: String) {
        self.metrics.refused();
        tracing::debug!(peer = ?stream.peer_addr().ok(), %why, "refused a frame");
        let _ = wire::write_frame(stream, &Reply::error(why));
    }
}
