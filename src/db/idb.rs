//! Rust side of `idb.js`: IndexedDB (records whose `data` is JSON), change announcements between
//! tabs (BroadcastChannel) and locks across tabs (Web Locks), as futures and typed errors.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/db/idb.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = open)]
    fn js_open() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = get)]
    fn js_get(db: &JsValue, store: &str, key: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = getAll)]
    fn js_get_all(db: &JsValue, store: &str, lower: &JsValue, upper: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = write)]
    fn js_write(db: &JsValue, stores: &Array, ops: &Array) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = update)]
    fn js_update(
        db: &JsValue,
        store: &str,
        key: &JsValue,
        fields: &Object,
        change: &Function,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = persist)]
    fn js_persist() -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = estimate)]
    fn js_estimate() -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = announce)]
    fn js_announce(message: &str);
    #[wasm_bindgen(js_name = listen)]
    fn js_listen(on_message: &Function);
    #[wasm_bindgen(catch, js_name = withLock)]
    fn js_with_lock(name: &str, if_available: bool, work: &Function) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = vaultRecord)]
    fn js_vault_record(db: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = unlock)]
    fn js_unlock(db: &JsValue, passcode: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = rekey)]
    fn js_rekey(db: &JsValue, passcode: Option<String>, iterations: u32) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = sealText)]
    fn js_seal_text(text: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_name = openText)]
    fn js_open_text(text: &str) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = isSealing)]
    fn js_is_sealing() -> bool;
    #[wasm_bindgen(catch, js_name = erase)]
    fn js_erase(db: &JsValue) -> Result<Promise, JsValue>;
}

/// Why the browser did not store or read something.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The browser's storage for this site is full.
    #[error("the browser's storage for this site is full")]
    Full,
    /// IndexedDB is switched off or missing (some private modes, some embedded browsers).
    #[error("this browser does not let the site store data")]
    Unavailable,
    /// Anything else the browser said.
    #[error("the browser could not store the data ({0})")]
    Other(String),
}

fn storage_error(err: JsValue) -> StorageError {
    let name = Reflect::get(&err, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
    match name.as_str() {
        "QuotaExceededError" => StorageError::Full,
        "InvalidStateError" | "SecurityError" | "UnknownError" | "NotAllowedError" => StorageError::Unavailable,
        _ => StorageError::Other(if name.is_empty() { "unknown".into() } else { name }),
    }
}

/// A call into `idb.js`: it may throw at once, or its promise may reject.
async fn wait(promise: Result<Promise, JsValue>) -> Result<JsValue, StorageError> {
    JsFuture::from(promise.map_err(storage_error)?).await.map_err(storage_error)
}

/// A record: key fields beside its JSON `data`.
pub struct Record {
    object: Object,
}

impl Record {
    pub fn new(data: &str) -> Self {
        let record = Self { object: Object::new() };
        record.field("data", data.into())
    }

    pub fn field(self, name: &str, value: JsValue) -> Self {
        let _ = Reflect::set(&self.object, &name.into(), &value);
        self
    }
}

/// The `data` of a record read back (`None`: no such record, or no data).
pub fn data_of(record: &JsValue) -> Option<String> {
    Reflect::get(record, &"data".into()).ok()?.as_string()
}

/// A field of a record read back.
pub fn field_of(record: &JsValue, name: &str) -> JsValue {
    Reflect::get(record, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Writes to one transaction, all or nothing, applied in the order they were added (a put
/// after a delete of the same key stays).
#[derive(Default)]
pub struct Batch {
    stores: Vec<&'static str>,
    ops: Vec<Op>,
}

enum Op {
    Put(&'static str, Record),
    /// Deletes a key, or every key between the two (both included).
    Delete(&'static str, JsValue, JsValue),
}

impl Batch {
    fn touch(&mut self, store: &'static str) {
        if !self.stores.contains(&store) {
            self.stores.push(store);
        }
    }

    pub fn put(mut self, store: &'static str, record: Record) -> Self {
        self.touch(store);
        self.ops.push(Op::Put(store, record));
        self
    }

    pub fn delete(mut self, store: &'static str, key: JsValue) -> Self {
        self.touch(store);
        self.ops.push(Op::Delete(store, key, JsValue::UNDEFINED));
        self
    }

    /// Deletes every record whose key lies between `lower` and `upper` (both included).
    pub fn delete_range(mut self, store: &'static str, lower: JsValue, upper: JsValue) -> Self {
        self.touch(store);
        self.ops.push(Op::Delete(store, lower, upper));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.stores.is_empty()
    }
}

/// An open database.
#[derive(Clone)]
pub struct Db(JsValue);

impl Db {
    pub async fn open() -> Result<Db, StorageError> {
        wait(js_open()).await.map(Db)
    }

    pub async fn get(&self, store: &str, key: &JsValue) -> Result<Option<JsValue>, StorageError> {
        let value = wait(js_get(&self.0, store, key)).await?;
        Ok((!value.is_undefined()).then_some(value))
    }

    /// Every record of `store` (`range`: only keys between the two, both included).
    pub async fn get_all(&self, store: &str, range: Option<(JsValue, JsValue)>) -> Result<Array, StorageError> {
        let (lower, upper) = range.unwrap_or((JsValue::UNDEFINED, JsValue::UNDEFINED));
        Ok(wait(js_get_all(&self.0, store, &lower, &upper)).await?.unchecked_into())
    }

    pub async fn write(&self, batch: Batch) -> Result<(), StorageError> {
        if batch.is_empty() {
            return Ok(());
        }
        let stores: Array = batch.stores.iter().map(|s| JsValue::from_str(s)).collect();
        // [store, record] puts and [store, key, upper] deletes, in order.
        let ops: Array = batch
            .ops
            .into_iter()
            .map(|op| match op {
                Op::Put(s, r) => Array::of2(&s.into(), &r.object),
                Op::Delete(s, l, u) => Array::of3(&s.into(), &l, &u),
            })
            .collect();
        wait(js_write(&self.0, &stores, &ops)).await.map(drop)
    }

    /// Changes one record atomically (across tabs): `change` gets its data (if any) and returns
    /// the new data, or `None` to leave it. `key_fields` are the record's key fields.
    pub async fn update(
        &self,
        store: &str,
        key: &JsValue,
        key_fields: Record,
        change: impl FnOnce(Option<String>) -> Option<String> + 'static,
    ) -> Result<(), StorageError> {
        let mut change = Some(change);
        let callback = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |data: JsValue| {
            let change = change.take().expect("one change per update");
            change(data.as_string()).map(JsValue::from).unwrap_or(JsValue::UNDEFINED)
        });
        let result = wait(js_update(&self.0, store, key, &key_fields.object, callback.as_ref().unchecked_ref())).await;
        drop(callback);
        result.map(drop)
    }

    /// Whether a passcode protects the stored data.
    pub async fn has_passcode(&self) -> Result<bool, StorageError> {
        Ok(!wait(js_vault_record(&self.0)).await?.is_undefined())
    }

    /// Whether `passcode` opens the stored data; if it does, records are read and written with
    /// its key from now on. A wrong passcode decrypts nothing.
    pub async fn unlock(&self, passcode: &str) -> Result<bool, StorageError> {
        Ok(wait(js_unlock(&self.0, passcode)).await?.as_bool().unwrap_or(false))
    }

    /// Seals every record again under a new passcode (`Some`) or stores them in the clear
    /// (`None`), all in one transaction. The current passcode, if any, must have unlocked it.
    pub async fn rekey(&self, passcode: Option<&str>, iterations: u32) -> Result<(), StorageError> {
        wait(js_rekey(&self.0, passcode.map(str::to_owned), iterations)).await.map(drop)
    }

    /// Deletes the whole database (every session, draft and waiting memory write).
    pub async fn erase(&self) -> Result<(), StorageError> {
        wait(js_erase(&self.0)).await.map(drop)
    }
}

/// A short value sealed with the passcode's key, as text; as it is when there is no passcode.
pub async fn seal_text(text: &str) -> Result<String, StorageError> {
    Ok(wait(js_seal_text(text)).await?.as_string().unwrap_or_default())
}

/// A value from [`seal_text`], opened; an error when it cannot be (locked, another key).
pub async fn open_text(text: &str) -> Result<String, StorageError> {
    Ok(wait(js_open_text(text)).await?.as_string().unwrap_or_default())
}

/// Whether records are being sealed (a passcode is set and was entered).
pub fn is_sealing() -> bool {
    js_is_sealing()
}

/// Asks the browser not to evict this site's data under storage pressure; whether it agreed.
pub async fn persist() -> bool {
    wait(js_persist()).await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

/// (bytes used, bytes available) for this site, as the browser estimates them.
pub async fn estimate() -> Option<(f64, f64)> {
    let pair: Array = wait(js_estimate()).await.ok()?.unchecked_into();
    Some((pair.get(0).as_f64()?, pair.get(1).as_f64()?))
}

/// What hears this tab's announcements.
type Hearer = Box<dyn Fn(&str)>;

thread_local! {
    /// Who in this tab hears what it announces (sync: a change to send). A plain callback rather
    /// than context: announcements are made from tasks, outside any reactive owner.
    static HERE: std::cell::RefCell<Option<Hearer>> = const { std::cell::RefCell::new(None) };
}

/// Tells the other tabs of this site something changed (a JSON message), and this tab's
/// listener set by [`announced_here`].
pub fn announce(message: &str) {
    js_announce(message);
    HERE.with_borrow(|here| here.as_ref().map(|hear| hear(message)));
}

/// Calls `hear` with what this tab announces, for the life of the page.
pub fn announced_here(hear: impl Fn(&str) + 'static) {
    HERE.with_borrow_mut(|here| *here = Some(Box::new(hear)));
}

/// Calls `on_message` with what other tabs announce, for the life of the page.
pub fn listen(on_message: impl FnMut(String) + 'static) {
    let mut on_message = on_message;
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |data: JsValue| {
        if let Some(text) = data.as_string() {
            on_message(text);
        }
    });
    js_listen(callback.as_ref().unchecked_ref());
    callback.forget(); // lives as long as the page
}

/// Runs `work` holding the lock `name` across every tab of this site; with `if_available`,
/// returns `false` at once (without running it) when another tab holds the lock.
pub async fn with_lock<F>(name: &str, if_available: bool, work: impl FnOnce() -> F + 'static) -> bool
where
    F: std::future::Future<Output = ()> + 'static,
{
    let mut work = Some(work);
    let callback = Closure::<dyn FnMut() -> Promise>::new(move || {
        let future = work.take().map(|w| w());
        wasm_bindgen_futures::future_to_promise(async move {
            if let Some(future) = future {
                future.await;
            }
            Ok(JsValue::UNDEFINED)
        })
    });
    let ran = wait(js_with_lock(name, if_available, callback.as_ref().unchecked_ref())).await;
    drop(callback);
    ran.ok().and_then(|v| v.as_bool()).unwrap_or(false)
}
