//! The one batched, parallel entry scanner: verify, the Reader Edition and export read
//! entries through it. Batches of consecutive entries are read and worked on by worker
//! threads (each with its own read-only handle on the store, or fed by the caller's thread
//! from a stream such as a bundle); their results come back to the caller's thread in
//! ledger order, where the stateful part of the work happens.

use super::store::{Access, RowRef, Store, StoreError};
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

pub type Span = Range<usize>;

/// Entries in one buffer, so that a batch costs a handful of allocations rather than
/// several per entry.
#[derive(Default)]
pub struct Batch {
    pub buf: Vec<u8>,
    pub rows: Vec<Row>,
}

/// One entry of a batch.
pub struct Row {
    pub seq: i64,
    /// None when the stored value is not a byte string (it was tampered with).
    pub body: Option<Span>,
    /// The stored index columns, when the rows come from a store.
    pub columns: Option<Columns>,
}

/// A stored row's index columns (None: not text or a blob).
pub struct Columns {
    pub id: Option<Span>,
    pub kind: Option<Span>,
    pub ts: Option<Span>,
    pub leaf: Option<Span>,
}

impl Batch {
    pub fn with_capacity(bytes: usize, rows: usize) -> Self {
        Batch {
            buf: Vec::with_capacity(bytes),
            rows: Vec::with_capacity(rows),
        }
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.rows.clear();
    }

    fn put(&mut self, bytes: Option<&[u8]>) -> Option<Span> {
        let b = bytes?;
        let start = self.buf.len();
        self.buf.extend_from_slice(b);
        Some(start..self.buf.len())
    }

    /// Adds a stored row, with its index columns or without.
    pub fn push_row(&mut self, r: RowRef<'_>, with_columns: bool) {
        let columns = with_columns.then(|| Columns {
            id: self.put(r.id),
            kind: self.put(r.kind),
            ts: self.put(r.ts),
            leaf: self.put(r.leaf),
        });
        let body = self.put(r.body);
        self.rows.push(Row {
            seq: r.seq,
            body,
            columns,
        });
    }

    /// Adds an entry that comes without index columns (from a bundle).
    pub fn push_entry(&mut self, seq: u64, body: &[u8]) {
        let body = self.put(Some(body));
        self.rows.push(Row {
            seq: i64::try_from(seq).unwrap_or(i64::MAX),
            body,
            columns: None,
        });
    }

    pub fn bytes(&self, s: &Span) -> &[u8] {
        &self.buf[s.clone()]
    }

    pub fn body(&self, row: &Row) -> Option<&[u8]> {
        row.body.as_ref().map(|s| self.bytes(s))
    }

    /// A column's bytes, or empty.
    pub fn column(&self, s: &Option<Span>) -> &[u8] {
        s.as_ref().map_or(&[][..], |s| self.bytes(s))
    }
}

/// Where batches come from.
pub enum Feed<'a, C, E> {
    /// Each worker reads its own batches of `from..to` over its own read-only handle.
    /// Entries below a size the caller read in its snapshot never change (the store is
    /// append-only), and callers check what they read against hashes.
    Store {
        store: &'a dyn Store,
        from: u64,
        to: u64,
        columns: bool,
        access: Access,
    },
    /// The caller's thread adds entries to the batch one call at a time, returning
    /// false when there are no more.
    Push(&'a mut dyn FnMut(&mut C, &mut Batch) -> Result<bool, E>),
}

/// How many worker threads: up to four, one per core.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
}

fn died<E: From<StoreError>, T>(_: T) -> E {
    E::from(StoreError::Engine("a worker thread stopped unexpectedly".into()))
}

/// Runs `work` over batches of `rows` entries on worker threads and hands each result to
/// `sink` on this thread, in ledger order. `sink` returns something the worker may reuse
/// for a later batch (an emptied list, say).
pub fn run<C, T, R, E>(
    ctx: &mut C,
    feed: Feed<'_, C, E>,
    rows: usize,
    work: &(dyn Fn(&mut Batch, R) -> T + Sync),
    sink: &mut dyn FnMut(&mut C, T) -> Result<R, E>,
) -> Result<(), E>
where
    T: Send,
    R: Send + Default,
    E: From<StoreError> + Send,
{
    let rows = rows.max(1);
    match feed {
        Feed::Store {
            store,
            from,
            to,
            columns,
            access,
        } => read_in_workers(ctx, store, from..to, columns, access, rows, work, sink),
        Feed::Push(push) => feed_workers(ctx, push, rows, work, sink),
    }
}

#[allow(clippy::too_many_arguments)]
fn read_in_workers<C, T, R, E>(
    ctx: &mut C,
    store: &dyn Store,
    range: Range<u64>,
    columns: bool,
    access: Access,
    rows: usize,
    work: &(dyn Fn(&mut Batch, R) -> T + Sync),
    sink: &mut dyn FnMut(&mut C, T) -> Result<R, E>,
) -> Result<(), E>
where
    T: Send,
    R: Send + Default,
    E: From<StoreError> + Send,
{
    let n = workers();
    let batches = (range.end.saturating_sub(range.start)).div_ceil(rows as u64);
    let mut readers = Vec::with_capacity(n);
    for _ in 0..n.min(batches.max(1) as usize) {
        readers.push(store.reader(access)?);
    }
    let n = readers.len();
    std::thread::scope(|scope| -> Result<(), E> {
        let mut from: Vec<Receiver<Result<T, StoreError>>> = Vec::new();
        let mut back: Vec<SyncSender<R>> = Vec::new();
        for (k, reader) in readers.into_iter().enumerate() {
            let (tx, rx) = sync_channel::<Result<T, StoreError>>(8);
            let (tx_back, rx_back) = sync_channel::<R>(10);
            let range = range.clone();
            scope.spawn(move || {
                let mut batch = Batch::with_capacity(rows * 640, rows);
                let mut b = k as u64;
                while b < batches {
                    let lo = range.start + b * rows as u64;
                    let hi = (lo + rows as u64).min(range.end);
                    batch.clear();
                    let read = reader.scan(lo, hi, columns, &mut |r| {
                        batch.push_row(r, columns);
                        true
                    });
                    let out = read.map(|()| work(&mut batch, rx_back.try_recv().unwrap_or_default()));
                    if tx.send(out).is_err() {
                        break;
                    }
                    b += n as u64;
                }
            });
            from.push(rx);
            back.push(tx_back);
        }
        for b in 0..batches {
            let w = (b % n as u64) as usize;
            let out = from[w].recv().map_err(died::<E, _>)??;
            let spare = sink(ctx, out)?;
            // A worker that has enough spares makes its own.
            let _ = back[w].try_send(spare);
        }
        Ok(())
    })
}

fn feed_workers<C, T, R, E>(
    ctx: &mut C,
    push: &mut dyn FnMut(&mut C, &mut Batch) -> Result<bool, E>,
    rows: usize,
    work: &(dyn Fn(&mut Batch, R) -> T + Sync),
    sink: &mut dyn FnMut(&mut C, T) -> Result<R, E>,
) -> Result<(), E>
where
    T: Send,
    R: Send + Default,
    E: From<StoreError> + Send,
{
    let n = workers();
    std::thread::scope(|scope| -> Result<(), E> {
        let mut to_workers = Vec::new();
        let mut from_workers = Vec::new();
        for _ in 0..n {
            let (tx, rx) = sync_channel::<(Batch, R)>(2);
            let (done_tx, done_rx) = sync_channel::<T>(2);
            scope.spawn(move || {
                // The batch is freed here, off the caller's thread.
                for (mut batch, spare) in rx {
                    if done_tx.send(work(&mut batch, spare)).is_err() {
                        break;
                    }
                }
            });
            to_workers.push(tx);
            from_workers.push(done_rx);
        }
        let (mut sent, mut received) = (0usize, 0usize);
        let mut spares: Vec<R> = Vec::new();
        let mut batch = Batch::default();
        loop {
            let more = push(ctx, &mut batch)?;
            if batch.rows.len() >= rows || (!more && !batch.rows.is_empty()) {
                if sent - received == 2 * n {
                    let out = from_workers[received % n].recv().map_err(died::<E, _>)?;
                    received += 1;
                    spares.push(sink(ctx, out)?);
                }
                let full = std::mem::take(&mut batch);
                let spare = spares.pop().unwrap_or_default();
                to_workers[sent % n].send((full, spare)).map_err(died::<E, _>)?;
                sent += 1;
            }
            if !more {
                break;
            }
        }
        drop(to_workers);
        while received < sent {
            let out = from_workers[received % n].recv().map_err(died::<E, _>)?;
            received += 1;
            sink(ctx, out)?;
        }
        Ok(())
    })
}
