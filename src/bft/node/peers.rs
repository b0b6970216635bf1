//! One sender per peer: connects (and reconnects), sends what the peer may have missed —
//! recent certificates and our latest votes for subjects still open — then streams from a
//! queue bounded in bytes. A peer too slow for its queue loses frames and catches up on
//! its next reconnect.

use super::{lock, Node};
use crate::bft::frames::{CertificateFrame, Frame};
use crate::bft::message::Certificate;
use crate::bft::wire;
use std::collections::VecDeque;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Bytes queued for one peer at most.
pub const QUEUE_BYTES: usize = 8 << 20;
/// Certificates sent to one peer per second at most in answer to its late votes.
const CERTIFICATES_PER_SECOND: u32 = 50;

#[derive(Default)]
struct Queue {
    frames: VecDeque<Arc<Vec<u8>>>,
    bytes: usize,
}

#[derive(Default)]
pub struct Peer {
    queue: Mutex<Queue>,
    ready: Condvar,
    up: AtomicBool,
    /// (start of the current second, certificates sent in it).
    answered: Mutex<Option<(Instant, u32)>>,
    /// When the connection to it last went down (ms since the epoch); None before the
    /// first connection of this process.
    pub(super) down_at: Mutex<Option<crate::clock::Millis>>,
    /// A catch-up from it is running (sync.rs).
    pub(super) syncing: AtomicBool,
}

impl Peer {
    /// Marks the connection down, remembering when it went.
    fn went_down(&self) {
        if self.up.swap(false, Ordering::Relaxed) {
            *lock(&self.down_at) = Some(crate::clock::Clock::system().now);
        }
    }

    fn push(&self, frame: Arc<Vec<u8>>) {
        let mut q = lock(&self.queue);
        if q.bytes + frame.len() > QUEUE_BYTES {
            return;
        }
        q.bytes += frame.len();
        q.frames.push_back(frame);
        self.ready.notify_one();
    }

    fn pop(&self, wait: Duration) -> Option<Arc<Vec<u8>>> {
        let mut q = lock(&self.queue);
        if q.frames.is_empty() {
            q = self
                .ready
                .wait_timeout(q, wait)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        let f = q.frames.pop_front()?;
        q.bytes -= f.len();
        Some(f)
    }
}

/// Every other validator.
pub struct Peers(pub(super) Vec<Option<Peer>>);

impl Peers {
    pub fn new(n: usize, me: usize) -> Self {
        Peers((0..n).map(|i| (i != me).then(Peer::default)).collect())
    }

    /// Queues a frame for every peer (encoded once).
    pub fn broadcast(&self, frame: &Frame) {
        let Ok(bytes) = wire::encode(frame) else { return };
        let bytes = Arc::new(bytes);
        for p in self.0.iter().flatten() {
            p.push(Arc::clone(&bytes));
        }
    }

    /// Sends a certificate to one peer that still votes on its subject, at most
    /// `CERTIFICATES_PER_SECOND` a second.
    pub fn certificate_to(&self, i: usize, cert: &Certificate) {
        let Some(Some(p)) = self.0.get(i) else { return };
        {
            let mut a = lock(&p.answered);
            let now = Instant::now();
            match a.as_mut() {
                Some((since, n)) if now.duration_since(*since) < Duration::from_secs(1) => {
                    if *n >= CERTIFICATES_PER_SECOND {
                        return;
                    }
                    *n += 1;
                }
                _ => *a = Some((now, 1)),
            }
        }
        if let Ok(bytes) = wire::encode(&Frame::Certificate(CertificateFrame::new(cert))) {
            p.push(Arc::new(bytes));
        }
    }

    /// How many peers are connected.
    pub fn up(&self) -> usize {
        self.0
            .iter()
            .flatten()
            .filter(|p| p.up.load(Ordering::Relaxed))
            .count()
    }

    /// Whether peer `i` is connected (this validator counts as up).
    pub fn is_up(&self, i: usize) -> bool {
        match self.0.get(i) {
            Some(Some(p)) => p.up.load(Ordering::Relaxed),
            _ => true,
        }
    }
}

impl Node {
    /// Peer `i`'s sender.
    pub(super) fn sender(self: &Arc<Self>, i: usize) {
        let addr = self.cfg.set.validators[i].address;
        let Some(Some(peer)) = self.peers.0.get(i) else {
            return;
        };
        let mut backoff = Duration::from_millis(50);
        loop {
            let mut stream = match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
                Ok(s) => s,
                Err(_) => {
                    peer.went_down();
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
            backoff = Duration::from_millis(50);
            if !peer.up.swap(true, Ordering::Relaxed) {
                tracing::debug!(peer = %self.cfg.set.validators[i].name, %addr, "peer up");
                // Back in touch: what it decided while we could not hear it.
                self.start_sync(i, *lock(&peer.down_at));
            }
            let catch_up = self.catch_up_frames();
            if catch_up
                .iter()
                .any(|f| wire::write_frame(&mut stream, f).is_err())
            {
                peer.went_down();
                continue;
            }
            loop {
                match peer.pop(Duration::from_millis(500)) {
                    Some(frame) => {
                        if stream.write_all(&frame).is_err() {
                            break;
                        }
                    }
                    None => {
                        // Notice a peer that went away even when idle.
                        let mut probe = [0u8; 1];
                        let _ = stream.set_nonblocking(true);
                        let gone = matches!(std::io::Read::read(&mut stream, &mut probe), Ok(0));
                        let _ = stream.set_nonblocking(false);
                        if gone {
                            break;
                        }
                    }
                }
            }
            peer.went_down();
            tracing::debug!(peer = %self.cfg.set.validators[i].name, %addr, "peer down");
        }
    }

    /// What a (re)connected peer is sent first: the certificates in memory, and our
    /// latest votes for subjects still open.
    fn catch_up_frames(&self) -> Vec<Frame> {
        let st = lock(&self.state);
        let mut out = Vec::new();
        for s in st.subjects.values() {
            match &s.decided {
                Some(c) => out.push(Frame::Certificate(CertificateFrame::new(c))),
                None => out.extend(s.own.iter().cloned().map(Frame::Vote)),
            }
        }
        out
    }
}
