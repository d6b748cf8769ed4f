//! Open client connections, so the accept loop can make room when the cap is reached: the
//! oldest connection with no request in flight (first those that never sent a request, as a
//! slow-loris client's do) is asked to close. A request counts as in flight until its
//! response body has been sent or dropped, so open streams are never closed this way.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use tokio::sync::Notify;

/// What the tracker knows about one connection.
#[derive(Debug)]
pub struct ConnEntry {
    opened: Instant,
    in_flight: AtomicUsize,
    served: AtomicU64,
    closing: AtomicBool,
    /// Notified when the connection should close (eviction).
    pub close: Notify,
}

/// All open connections.
#[derive(Debug, Default)]
pub struct ConnTracker {
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<ConnEntry>>>,
}

/// A registered connection; unregisters itself when dropped.
#[derive(Debug)]
pub struct ConnHandle {
    id: u64,
    tracker: Arc<ConnTracker>,
    /// The shared entry.
    pub entry: Arc<ConnEntry>,
}

impl Drop for ConnHandle {
    fn drop(&mut self) {
        self.tracker.lock().remove(&self.id);
    }
}

impl ConnTracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnEntry>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new connection.
    pub fn open(self: &Arc<Self>) -> ConnHandle {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(ConnEntry {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.lock().insert(id, entry.clone());
        ConnHandle { id, tracker: self.clone(), entry }
    }

    /// Number of open connections.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Asks the best candidate among the connections with no request in flight to close:
    /// one that never sent a request, else the oldest. Returns whether one was found.
    pub fn evict_one_idle(&self) -> bool {
        let conns = self.lock();
        let victim = conns
            .values()
            .filter(|e| e.in_flight.load(Ordering::Acquire) == 0 && !e.closing.load(Ordering::Relaxed))
            .min_by_key(|e| (e.served.load(Ordering::Relaxed) > 0, e.opened));
        match victim {
            Some(e) => {
                e.closing.store(true, Ordering::Relaxed);
                // `notify_one` stores a permit, so a connection between polls still sees it.
                e.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Marks a request in flight on its connection until dropped.
#[derive(Debug)]
pub struct InFlight(Arc<ConnEntry>);

impl InFlight {
    /// Starts tracking one request.
    pub fn start(entry: &Arc<ConnEntry>) -> Self {
        entry.in_flight.fetch_add(1, Ordering::AcqRel);
        entry.served.fetch_add(1, Ordering::Relaxed);
        Self(entry.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in flight until it ends or is dropped.
pub struct TrackedBody {
    inner: Body,
    _in_flight: InFlight,
}

impl TrackedBody {
    /// Wraps `inner`.
    pub fn new(inner: Body, in_flight: InFlight) -> Self {
        Self { inner, _in_flight: in_flight }
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_connections_are_evicted_never_busy_ones() {
        let t = Arc::new(ConnTracker::default());
        let busy = t.open();
        let _req = InFlight::start(&busy.entry);
        assert!(!t.evict_one_idle(), "a connection with a request in flight is never chosen");
        let served = t.open();
        drop(InFlight::start(&served.entry));
        let silent = t.open();
        assert_eq!(t.len(), 3);
        assert!(t.evict_one_idle());
        // The silent one (never sent a request) goes first, though it is the newest.
        assert!(futures_util::FutureExt::now_or_never(silent.entry.close.notified()).is_some());
        assert!(futures_util::FutureExt::now_or_never(served.entry.close.notified()).is_none());
        // Already asked to close: not chosen again.
        assert!(t.evict_one_idle());
        assert!(futures_util::FutureExt::now_or_never(served.entry.close.notified()).is_some());
        drop(silent);
        assert!(!t.evict_one_idle());
        drop(served);
        drop(busy);
        assert!(t.is_empty());
    }
}
