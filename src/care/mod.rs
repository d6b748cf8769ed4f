//! Care in a crisis, and saying plainly what wellness0 is.
//!
//! Pure logic with native tests: the curated table of help lines by country (`lines`), the local
//! matcher that notices crisis language in a message (`crisis`), links to call or text a line
//! (`links`). Components, each needing no store from context so they work on a lock screen too:
//! "Get help now" (`help_panel`, showing `help_lines`, for the country in `help_state`), the
//! crisis card above a reply (`crisis_card`), the first-run notice and "About & privacy"
//! (`notice`), and quick exit (`quick_exit`). Nothing here sends anything anywhere.

pub mod crisis;
pub mod crisis_card;
pub mod dialog;
pub mod help_lines;
pub mod help_panel;
pub mod help_state;
pub mod lines;
pub mod links;
pub mod notice;
pub mod quick_exit;

pub use crisis_card::CrisisCard;
pub use help_panel::{HelpButton, HelpPanel};
pub use notice::{AboutSection, FirstRunNotice};
pub use quick_exit::QuickExit;
