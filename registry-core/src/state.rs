//! The registry's contents at one version: persistent maps, so a copy is O(1) and versions share
//! all the structure they have in common.

use std::convert::Infallible;
use std::ops::Bound;
use std::rc::Rc;

use imbl::ordmap::DiffItem;
use imbl::shared_ptr::RcK;

use crate::criteria::{Criteria, Special};
use crate::entry::{Entry, Op};
use crate::error::{Error, ErrorKind, Result};
use crate::id::{EntryId, IdText};

type PersistentMap<K, V> = imbl::GenericOrdMap<K, V, RcK>;

/// Entries by id, plus the same entries grouped by kind. Cloning is O(1).
#[derive(Debug, Clone, Default)]
pub struct State {
    entries: PersistentMap<EntryId, Rc<Entry>>,
    // Entries, not ids, so that find by kind reads no second map.
    by_kind: PersistentMap<Rc<str>, PersistentMap<EntryId, Rc<Entry>>>,
}

impl State {
    /// The entry with this id.
    pub fn get(&self, id: &EntryId) -> Option<&Rc<Entry>> {
        self.entries.get(id)
    }

    /// The entry with this id, or `entry not found: ns:name`.
    pub fn require(&self, id: &EntryId) -> Result<&Rc<Entry>> {
        self.get(id).ok_or_else(|| not_found(id.as_str()))
    }

    /// [`State::require`] for an id given as text, checked as [`EntryId::parse`] checks it, without
    /// making an id (`registry.get` reads one per call).
    pub fn require_text(&self, id: &str) -> Result<&Rc<Entry>> {
        let id = IdText::parse(id)?;
        self.entries.get(&id).ok_or_else(|| not_found(id.as_str()))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, sorted by namespace then name.
    pub fn entries(&self) -> impl Iterator<Item = &Rc<Entry>> {
        self.entries.values()
    }

    /// The entries of one namespace, sorted by name (a range scan, not a filter).
    pub fn namespace<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a Rc<Entry>> + 'a {
        let start = EntryId::namespace_start(ns);
        self.entries
            .range((Bound::Excluded(start), Bound::Unbounded))
            .take_while(move |(id, _)| id.ns() == ns)
            .map(|(_, entry)| entry)
    }

    /// The entries matching every criterion, sorted by id. Equality on `.id`, `.kind` or `.ns`
    /// is answered from the map or the kind index instead of a scan.
    pub fn find(&self, criteria: &Criteria) -> Vec<Rc<Entry>> {
        match self.find_checked(criteria, || Ok::<(), Infallible>(())) {
            Ok(found) => found,
            Err(never) => match never {},
        }
    }

    /// [`State::find`], calling `check` before testing each entry: its error ends the search (a
    /// caller's time limit: matching a regex against many entries takes long).
    pub fn find_checked<E>(
        &self,
        criteria: &Criteria,
        check: impl Fn() -> std::result::Result<(), E>,
    ) -> std::result::Result<Vec<Rc<Entry>>, E> {
        let matching = |entries: &mut dyn Iterator<Item = &Rc<Entry>>| {
            let mut found = Vec::new();
            for entry in entries {
                check()?;
                if criteria.matches(entry) {
                    found.push(Rc::clone(entry));
                }
            }
            Ok(found)
        };
        if let Some(id) = criteria.equality_on(Special::Id) {
            let found = IdText::parse(id).ok().and_then(|id| self.entries.get(&id));
            return matching(&mut found.into_iter());
        }
        if let Some(kind) = criteria.equality_on(Special::Kind) {
            let Some(entries) = self.by_kind.get(kind) else {
                return Ok(Vec::new());
            };
            return matching(&mut entries.values());
        }
        if let Some(ns) = criteria.equality_on(Special::Ns) {
            return matching(&mut self.namespace(ns));
        }
        matching(&mut self.entries())
    }

    /// A state holding exactly these entries; a repeated id is refused, naming its position in
    /// `list` (e.g. `to[2]: duplicate id a:x`).
    pub fn from_entries(list: &str, entries: impl IntoIterator<Item = Entry>) -> Result<Self> {
        let mut state = Self::default();
        for (position, entry) in entries.into_iter().enumerate() {
            if state.entries.contains_key(&entry.id) {
                return Err(Error::new(
                    ErrorKind::InvalidEntry,
                    format!("{list}[{}]: duplicate id {}", position + 1, entry.id),
                ));
            }
            state.insert(Rc::new(entry));
        }
        Ok(state)
    }

    /// The operations that turn this state into `target`: deletes, then updates, then creates,
    /// each sorted by id. An update is emitted when kind, meta or data differ; a kind change is a
    /// delete plus a create, since an update cannot change kind. Subtrees that the two states
    /// share are skipped, so comparing two versions costs in proportion to what changed.
    pub fn delta(&self, target: &State) -> Vec<Op> {
        let mut deletes = Vec::new();
        let mut updates = Vec::new();
        let mut creates = Vec::new();
        for item in self.entries.diff(&target.entries) {
            match item {
                DiffItem::Add(_, new) => creates.push(Op::Create(Rc::clone(new))),
                DiffItem::Remove(id, _) => deletes.push(Op::Delete { id: id.clone() }),
                DiffItem::Update {
                    old: (id, old),
                    new: (_, new),
                } => {
                    if old.kind != new.kind {
                        deletes.push(Op::Delete { id: id.clone() });
                        creates.push(Op::Create(Rc::clone(new)));
                    } else if !old.same_content(new) {
                        updates.push(Op::Update(Rc::clone(new)));
                    }
                }
            }
        }
        deletes.extend(updates);
        deletes.extend(creates);
        deletes
    }

    /// Applies one operation, checking it against the current contents.
    pub fn apply(&mut self, op: &Op) -> Result<()> {
        match op {
            Op::Create(entry) => {
                if self.entries.contains_key(&entry.id) {
                    return Err(Error::new(
                        ErrorKind::EntryExists,
                        format!("entry already exists: {}", entry.id),
                    )
                    .with("id", entry.id.as_str()));
                }
                self.insert(Rc::clone(entry));
            }
            Op::Update(entry) => {
                let old = self.require(&entry.id)?;
                if old.kind != entry.kind {
                    return Err(Error::new(
                        ErrorKind::KindChange,
                        format!(
                            "cannot change kind of {} from {} to {}",
                            entry.id, old.kind, entry.kind
                        ),
                    )
                    .with("id", entry.id.as_str()));
                }
                self.insert(Rc::clone(entry));
            }
            Op::Delete { id } => {
                let old = self
                    .entries
                    .remove(id)
                    .ok_or_else(|| not_found(id.as_str()))?;
                self.unindex(&old);
            }
        }
        Ok(())
    }

    fn insert(&mut self, entry: Rc<Entry>) {
        if let Some(old) = self.entries.insert(entry.id.clone(), Rc::clone(&entry))
            && old.kind != entry.kind
        {
            self.unindex(&old);
        }
        self.by_kind
            .entry(Rc::clone(&entry.kind))
            .or_default()
            .insert(entry.id.clone(), entry);
    }

    fn unindex(&mut self, entry: &Entry) {
        if let Some(entries) = self.by_kind.get_mut(&entry.kind) {
            entries.remove(&entry.id);
            if entries.is_empty() {
                self.by_kind.remove(&entry.kind);
            }
        }
    }
}

pub(crate) fn not_found(id: &str) -> Error {
    Error::new(ErrorKind::EntryNotFound, format!("entry not found: {id}")).with("id", id)
}
