//! Care in a crisis: the curated table of help lines by country (`lines`) and the local matcher
//! that notices crisis language in a message (`crisis`). Pure logic with native tests; nothing
//! here sends anything anywhere.

pub mod crisis;
pub mod lines;
