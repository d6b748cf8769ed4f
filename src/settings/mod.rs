//! Settings: the values and where they are stored, the form and its validation, where API
//! calls go (direct or through the proxy), the shared reactive store, and the settings drawer.

pub mod devices;
pub mod fields;
pub mod form;
pub mod key_field;
pub mod keys_section;
pub mod memory_fields;
pub mod panel;
pub mod proxy_detect;
pub mod routing;
pub mod store;
pub mod values;

pub use panel::SettingsPanel;
pub use routing::Mode;
pub use store::{use_settings, SettingsStore};
pub use values::{Keys, MemoryService, Settings};
