//! The settings drawer's editable fields as signals (one per field, bound to its input), read
//! back into a [`SettingsForm`] on Save.

use super::form::SettingsForm;
use super::values::MemoryService;
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct FormFields {
    pub gemini_base_url: RwSignal<String>,
    pub model: RwSignal<String>,
    pub persona: RwSignal<String>,
    pub user_id: RwSignal<String>,
    pub remember_keys: RwSignal<bool>,
    pub memory_service: RwSignal<MemoryService>,
    pub mem0_base_url: RwSignal<String>,
    pub selfhosted_base_url: RwSignal<String>,
    pub use_memory: RwSignal<bool>,
    pub review_memories: RwSignal<bool>,
    pub memory_deadline_ms: RwSignal<String>,
}

impl FormFields {
    pub fn new(form: SettingsForm) -> Self {
        Self {
            gemini_base_url: RwSignal::new(form.gemini_base_url),
            model: RwSignal::new(form.model),
            persona: RwSignal::new(form.persona),
            user_id: RwSignal::new(form.user_id),
            remember_keys: RwSignal::new(form.remember_keys),
            memory_service: RwSignal::new(form.memory_service),
            mem0_base_url: RwSignal::new(form.mem0_base_url),
            selfhosted_base_url: RwSignal::new(form.selfhosted_base_url),
            use_memory: RwSignal::new(form.use_memory),
            review_memories: RwSignal::new(form.review_memories),
            memory_deadline_ms: RwSignal::new(form.memory_deadline_ms),
        }
    }

    /// What the fields say now.
    pub fn read(&self) -> SettingsForm {
        SettingsForm {
            gemini_base_url: self.gemini_base_url.get_untracked(),
            model: self.model.get_untracked(),
            persona: self.persona.get_untracked(),
            user_id: self.user_id.get_untracked(),
            remember_keys: self.remember_keys.get_untracked(),
            memory_service: self.memory_service.get_untracked(),
            mem0_base_url: self.mem0_base_url.get_untracked(),
            selfhosted_base_url: self.selfhosted_base_url.get_untracked(),
            use_memory: self.use_memory.get_untracked(),
            review_memories: self.review_memories.get_untracked(),
            memory_deadline_ms: self.memory_deadline_ms.get_untracked(),
        }
    }

    /// Shows the settings as saved (normalised URLs, trimmed ids).
    pub fn show(&self, form: SettingsForm) {
        self.gemini_base_url.set(form.gemini_base_url);
        self.user_id.set(form.user_id);
        self.mem0_base_url.set(form.mem0_base_url);
        self.selfhosted_base_url.set(form.selfhosted_base_url);
    }
}
