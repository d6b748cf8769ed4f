//! Open client connections, so the accept loop can make room when the cap is reached: the
//! oldest connection with no request in flight (first those that never sent a request, as a
//! slow-loris client's do) is asked to close. A request counts as in flight until its
//! response body has been sent or dropped, so open streams are never closed this way. The same
//! choice, among one client address's connections, keeps an address within its own cap.

use std::collections::HashMap;
use std::net::IpAddr;
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
    peer: IpAddr,
    in_flight: AtomicUsize,
    served: AtomicU64,
    closing: AtomicBool,
    /// Notified when the connection should close (eviction).
    pub close: Notify,
}

impl ConnEntry {
    /// Whether no request is in flight on the connection.
    pub fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }
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

    /// Registers a new connection from `peer`.
    pub fn open(self: &Arc<Self>, peer: IpAddr) -> ConnHandle {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Arc::new(ConnEntry {
            opened: Instant::now(),
            peer,
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

    /// How many connections `peer` has open (counting those asked to close but not yet gone).
    pub fn count_from(&self, peer: IpAddr) -> usize {
        self.lock().values().filter(|e| e.peer == peer && !e.closing.load(Ordering::Relaxed)).count()
    }

    /// Asks the best candidate among the connections with no request in flight to close:
    /// one that never sent a request, from the address holding the most, else the oldest.
    /// Returns whether one was found.
    pub fn evict_one_idle(&self) -> bool {
        self.evict(|_| true)
    }

    /// [`Self::evict_one_idle`] among `peer`'s connections only.
    pub fn evict_one_idle_from(&self, peer: IpAddr) -> bool {
        self.evict(|e| e.peer == peer)
    }

    fn evict(&self, among: impl Fn(&ConnEntry) -> bool) -> bool {
        let conns = self.lock();
        let mut per_peer: HashMap<IpAddr, usize> = HashMap::new();
        for e in conns.values() {
            *per_peer.entry(e.peer).or_default() += 1;
        }
        // Never-served first, then the address holding the most (an address re-opening
        // connections makes room from its own), then the oldest.
        let victim = conns
            .values()
            .filter(|e| among(e) && e.in_flight.load(Ordering::Acquire) == 0 && !e.closing.load(Ordering::Relaxed))
            .min_by_key(|e| (e.served.load(Ordering::Relaxed) > 0, std::cmp::Reverse(per_peer[&e.peer]), e.opened));
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

    const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn one_address_is_kept_within_its_cap_by_closing_its_own_idle_connections() {
        let t = Arc::new(ConnTracker::default());
        let (a, b): (IpAddr, IpAddr) = ("203.0.113.1".parse().unwrap(), "198.51.100.2".parse().unwrap());
        let a_busy = t.open(a);
        let _req = InFlight::start(&a_busy.entry);
        let a_silent = t.open(a);
        let b_silent = t.open(b);
        assert_eq!((t.count_from(a), t.count_from(b)), (2, 1));
        assert!(t.evict_one_idle_from(a));
        assert!(futures_util::FutureExt::now_or_never(a_silent.entry.close.notified()).is_some());
        assert!(
            futures_util::FutureExt::now_or_never(b_silent.entry.close.notified()).is_none(),
            "another address is untouched"
        );
        assert_eq!(t.count_from(a), 1, "one asked to close no longer counts");
        assert!(!t.evict_one_idle_from(a), "a's last one is busy");
    }

    #[test]
    fn at_the_cap_the_address_holding_the_most_makes_room() {
        let t = Arc::new(ConnTracker::default());
        let (many, one): (IpAddr, IpAddr) = ("203.0.113.1".parse().unwrap(), "198.51.100.2".parse().unwrap());
        let lone = t.open(one); // the oldest
        let crowd: Vec<_> = (0..3).map(|_| t.open(many)).collect();
        assert!(t.evict_one_idle());
        assert!(futures_util::FutureExt::now_or_never(lone.entry.close.notified()).is_none(), "the lone one stays");
        assert!(futures_util::FutureExt::now_or_never(crowd[0].entry.close.notified()).is_some(), "the crowd's oldest");
    }

    #[test]
    fn idle_connections_are_evicted_never_busy_ones() {
        let t = Arc::new(ConnTracker::default());
        let busy = t.open(HERE);
        let _req = InFlight::start(&busy.entry);
        assert!(!t.evict_one_idle(), "a connection with a request in flight is never chosen");
        let served = t.open(HERE);
        drop(InFlight::start(&served.entry));
        let silent = t.open(HERE);
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
