//! Who is waiting to hear that an account's sync records changed: [`SyncHub`] keeps one
//! `watch` of the account's latest sequence number per account somebody listens to (made on
//! demand, dropped with the last listener). This instance's pushes feed it directly; on
//! PostgreSQL, [`listen_postgres`] feeds it every instance's pushes (`LISTEN` on
//! [`NOTIFY_CHANNEL`]), so a push through one instance reaches a browser connected to another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::sync::{self, NOTIFY_CHANNEL};
use crate::db::Db;

/// Longest wait between two attempts to reconnect the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The accounts somebody listens to, each with its latest known sequence number.
#[derive(Debug, Default)]
pub struct SyncHub {
    watches: Mutex<HashMap<i64, watch::Sender<i64>>>,
}

/// One listener of one account's sequence number; leaves the hub when dropped.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<SyncHub>,
    account: i64,
    rx: Option<watch::Receiver<i64>>,
}

impl SyncHub {
    /// Listens to `account`.
    pub fn subscribe(self: &Arc<Self>, account: i64) -> Subscription {
        let mut watches = self.watches.lock().unwrap_or_else(|e| e.into_inner());
        let rx = watches.entry(account).or_insert_with(|| watch::channel(0).0).subscribe();
        Subscription { hub: self.clone(), account, rx: Some(rx) }
    }

    /// Tells `account`'s listeners that its sequence number is `seq` (when it is newer than the
    /// one they know; nothing when nobody listens).
    pub fn publish(&self, account: i64, seq: i64) {
        let watches = self.watches.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = watches.get(&account) {
            tx.send_if_modified(|known| {
                let newer = seq > *known;
                if newer {
                    *known = seq;
                }
                newer
            });
        }
    }

    /// The accounts somebody listens to.
    pub fn accounts(&self) -> Vec<i64> {
        self.watches.lock().unwrap_or_else(|e| e.into_inner()).keys().copied().collect()
    }
}

impl Subscription {
    /// The latest sequence number known, marked as seen.
    pub fn latest(&mut self) -> i64 {
        *self.rx.as_mut().expect("until dropped").borrow_and_update()
    }

    /// Waits until a newer sequence number than the last seen one is known, and returns it.
    pub async fn changed(&mut self) -> i64 {
        let rx = self.rx.as_mut().expect("until dropped");
        // The hub keeps the sender while this receiver lives: it never closes.
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        *rx.borrow_and_update()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.rx.take());
        // Under the lock, so a subscriber arriving meanwhile keeps the watch.
        let mut watches = self.hub.watches.lock().unwrap_or_else(|e| e.into_inner());
        if watches.get(&self.account).is_some_and(|tx| tx.receiver_count() == 0) {
            watches.remove(&self.account);
        }
    }
}

/// Feeds `hub` with the notifications of every instance's pushes (PostgreSQL): connects a
/// listener to `url`, and reconnects with a growing pause (up to [`MAX_BACKOFF`]) whenever the
/// connection drops; after a reconnection, the accounts listened to are read afresh, for what
/// was pushed while nobody listened. `ready` is sent once the first `LISTEN` is in place (or
/// has failed). Ends when the hub is dropped or `db` is closed (shutdown).
pub async fn listen_postgres(url: String, db: Db, hub: Weak<SyncHub>, ready: tokio::sync::oneshot::Sender<()>) {
    let mut ready = Some(ready);
    let mut backoff = Duration::from_secs(1);
    let mut reconnecting = false;
    loop {
        let connected = async {
            let mut listener = PgListener::connect(&url).await?;
            listener.eager_reconnect(false);
            listener.listen(NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let listener = tokio::select! {
            connected = connected => connected,
            () = db.pool().close_event() => return,
        };
        if let Some(ready) = ready.take() {
            let _ = ready.send(());
        }
        match listener {
            Ok(mut listener) => {
                backoff = Duration::from_secs(1);
                if reconnecting {
                    tracing::info!("listening for other instances' sync pushes again");
                    let Some(hub) = hub.upgrade() else { return };
                    catch_up(&db, &hub).await;
                }
                loop {
                    let next = tokio::select! {
                        next = listener.try_recv() => next,
                        () = db.pool().close_event() => return,
                    };
                    match next {
                        Ok(Some(note)) => {
                            let Some(hub) = hub.upgrade() else { return };
                            match parse_payload(note.payload()) {
                                Some((account, seq)) => hub.publish(account, seq),
                                None => tracing::warn!("ignored a malformed sync notification"),
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("lost the connection that listens for other instances' sync pushes");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "listening for other instances' sync pushes failed");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                let retry_in_secs = backoff.as_secs();
                tracing::warn!(error = %e, retry_in_secs, "cannot listen for other instances' sync pushes");
            }
        }
        reconnecting = true;
        if hub.strong_count() == 0 {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = db.pool().close_event() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Tells the hub every listened-to account's latest sequence number, read from the database.
async fn catch_up(db: &Db, hub: &SyncHub) {
    for account in hub.accounts() {
        match sync::latest_seq(db, account).await {
            Ok(seq) => hub.publish(account, seq),
            Err(e) => tracing::warn!(error = %e, "cannot read an account's sync sequence number"),
        }
    }
}

/// `account:seq` of a notification.
fn parse_payload(payload: &str) -> Option<(i64, i64)> {
    let (account, seq) = payload.split_once(':')?;
    Some((account.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listeners_hear_newer_numbers_and_leave_nothing_behind() {
        let hub = Arc::new(SyncHub::default());
        hub.publish(1, 5);
        assert!(hub.accounts().is_empty(), "nobody listens: nothing kept");
        let mut a = hub.subscribe(1);
        let mut b = hub.subscribe(1);
        assert_eq!(a.latest(), 0);
        hub.publish(1, 3);
        assert_eq!(a.changed().await, 3);
        hub.publish(1, 2);
        hub.publish(2, 9);
        assert_eq!(b.latest(), 3, "an older number is not news");
        let waited = tokio::time::timeout(Duration::from_millis(50), a.changed()).await;
        assert!(waited.is_err(), "nothing newer than 3");
        drop(a);
        assert_eq!(hub.accounts(), vec![1]);
        drop(b);
        assert!(hub.accounts().is_empty(), "the last listener took the watch with it");
    }

    #[test]
    fn notification_payloads() {
        assert_eq!(parse_payload("12:345"), Some((12, 345)));
        assert_eq!(parse_payload("12"), None);
        assert_eq!(parse_payload("a:1"), None);
    }
}
