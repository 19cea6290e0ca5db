//! State shared by the module's functions and objects within one runner.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::error::Result;
use crate::history::{Registry, Version, VersionId, version_id_from_number, version_not_found};

/// A change a script made to the registry, reported as it happens.
#[derive(Debug)]
pub enum RegistryEvent<'a> {
    /// `changes:apply()` created this version (and moved head to it).
    Committed(&'a Version),
    /// `registry.apply_version` moved head to this version.
    HeadMoved(VersionId),
    /// `print` wrote this text (what the output limit kept of it), while the script runs.
    Printed(&'a str),
}

/// Receives every [`RegistryEvent`], e.g. to persist each version in its own transaction or to
/// show printed lines before the run ends.
pub type EventListener = Box<dyn FnMut(&RegistryEvent<'_>)>;

/// The registry, the time of the run in progress (it stamps new versions), and who to tell.
pub(crate) struct Context {
    pub(crate) registry: RefCell<Registry>,
    pub(crate) now_ms: Cell<i64>,
    pub(crate) listener: RefCell<Option<EventListener>>,
    /// Set while a change is to be undone rather than reported (a returned value's
    /// `__tostring`); printed text is still reported.
    pub(crate) changes_unreported: Cell<bool>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl Context {
    pub(crate) fn new(registry: Registry) -> Rc<Self> {
        Rc::new(Self {
            registry: RefCell::new(registry),
            now_ms: Cell::new(0),
            listener: RefCell::new(None),
            changes_unreported: Cell::new(false),
        })
    }

    /// Tells the listener, if any (no registry borrow is held while it runs).
    pub(crate) fn notify(&self, event: &RegistryEvent<'_>) {
        if self.changes_unreported.get() && !matches!(event, RegistryEvent::Printed(_)) {
            return;
        }
        if let Some(listener) = self.listener.borrow_mut().as_mut() {
            listener(event);
        }
    }

    /// The head version (a cheap handle; no borrow is held).
    pub(crate) fn head(&self) -> Rc<Version> {
        Rc::clone(self.registry.borrow().head())
    }

    /// The version with this id, or `version not found: N`.
    pub(crate) fn version(&self, id: VersionId) -> Result<Rc<Version>> {
        self.registry.borrow().version(id).map(Rc::clone)
    }

    /// The version a script's number names: `invalid version id ...` for a number that is not a
    /// whole number >= 0, `version not found: N` for one that names no version.
    pub(crate) fn version_numbered(&self, number: f64) -> Result<Rc<Version>> {
        version_id_from_number(number)
            .and_then(|id| self.version(id).map_err(|_| version_not_found(id)))
    }
}
