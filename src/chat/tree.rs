//! A session's messages as a tree (pure): each message follows its parent, so a reply asked for
//! again, or a message edited and sent again, is a sibling of the one it replaces, and both stay
//! reachable. The transcript shows one path, from a first message down to the shown leaf; the
//! stepper on a message moves between its siblings, each showing its own continuation.

use serde::{Deserialize, Serialize};

/// Where a message sits in its session's tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parent {
    /// Stored before versions existed: it follows the message stored before it
    /// ([`link_unlinked`] settles this when a session is read).
    #[default]
    Unlinked,
    /// A first message of the conversation (an edit of the first message is another one).
    Root,
    /// The message this one follows.
    Of(u64),
}

/// Settles messages stored before versions existed: each follows the message stored before it
/// (in id order, which is the order they were written). `messages` is sorted by id.
pub fn link_unlinked<T>(messages: &mut [T], parent_of: impl Fn(&mut T) -> (&mut Parent, u64)) {
    let mut previous: Option<u64> = None;
    for m in messages.iter_mut() {
        let (parent, id) = parent_of(m);
        if *parent == Parent::Unlinked {
            *parent = previous.map_or(Parent::Root, Parent::Of);
        }
        previous = Some(id);
    }
}

/// The shape of a session's messages: who follows whom. Built from `(id, parent)` pairs in any
/// order; siblings are kept in id order (oldest version first). Sorted lists searched by halves,
/// not hash maps: as fast for a session's few thousand messages, and much smaller in the wasm.
#[derive(Debug, Default, PartialEq)]
pub struct Tree {
    /// Every `(id, parent)`, by id.
    links: Vec<(u64, Parent)>,
    /// The same pairs by parent, then id: a parent's children are one run of `child_ids`.
    child_parents: Vec<Parent>,
    child_ids: Vec<u64>,
}

impl Tree {
    pub fn new(links: impl IntoIterator<Item = (u64, Parent)>) -> Self {
        let mut links: Vec<(u64, Parent)> = links.into_iter().collect();
        links.sort_unstable_by_key(|l| l.0);
        let mut by_parent: Vec<(Parent, u64)> = links.iter().map(|&(id, parent)| (parent, id)).collect();
        by_parent.sort_unstable();
        let (child_parents, child_ids) = by_parent.into_iter().unzip();
        Tree { links, child_parents, child_ids }
    }

    fn parent_of(&self, id: u64) -> Option<Parent> {
        self.links.binary_search_by_key(&id, |l| l.0).ok().map(|i| self.links[i].1)
    }

    fn len(&self) -> usize {
        self.links.len()
    }

    pub fn contains(&self, id: u64) -> bool {
        self.parent_of(id).is_some()
    }

    /// The messages that follow `parent`, oldest first.
    pub fn children(&self, parent: Parent) -> &[u64] {
        let from = self.child_parents.partition_point(|p| *p < parent);
        let to = self.child_parents.partition_point(|p| *p <= parent);
        &self.child_ids[from..to]
    }

    /// `id` and the other versions beside it (the same parent), oldest first.
    pub fn siblings(&self, id: u64) -> &[u64] {
        self.parent_of(id).map_or(&[], |p| self.children(p))
    }

    /// Which version `id` is (from 1) and how many there are.
    pub fn version_of(&self, id: u64) -> (usize, usize) {
        let siblings = self.siblings(id);
        (siblings.iter().position(|&s| s == id).map_or(0, |i| i + 1), siblings.len())
    }

    /// The leaf reached from `id` by following the newest version at each step: what is shown
    /// when a person steps to `id`.
    pub fn newest_leaf_under(&self, id: u64) -> u64 {
        let mut at = id;
        // Each step goes to a child, which was stored after its parent: a stored cycle (never
        // written by us) cannot loop forever because the walk is bounded by the size.
        for _ in 0..self.len() {
            match self.children(Parent::Of(at)).last() {
                Some(&child) => at = child,
                None => break,
            }
        }
        at
    }

    /// The path from a first message down to `leaf` (empty if `leaf` is not in the tree).
    pub fn path_to(&self, leaf: u64) -> Vec<u64> {
        let mut path = Vec::new();
        let mut at = Some(leaf);
        while let Some(id) = at.filter(|id| self.contains(*id)) {
            if path.contains(&id) {
                break; // a cycle in a stored or imported file (never written by us): each message once
            }
            path.push(id);
            at = match self.parent_of(id) {
                Some(Parent::Of(parent)) => Some(parent),
                _ => None,
            };
        }
        path.reverse();
        path
    }

    /// What the transcript shows: the path to `shown` if it is a message of this tree (a leaf
    /// or not: the path runs on to the newest leaf below it), else to the newest leaf of all.
    pub fn shown_path(&self, shown: Option<u64>) -> Vec<u64> {
        let start = shown.filter(|id| self.contains(*id)).or_else(|| self.children(Parent::Root).last().copied());
        start.map_or_else(Vec::new, |id| self.path_to(self.newest_leaf_under(id)))
    }

    /// The leaf to show after stepping `delta` versions from `id` (−1: the one before), or
    /// `None` when there is no such version.
    pub fn step(&self, id: u64, delta: isize) -> Option<u64> {
        let siblings = self.siblings(id);
        let at = siblings.iter().position(|&s| s == id)?;
        let to = at.checked_add_signed(delta).filter(|&i| i < siblings.len())?;
        Some(self.newest_leaf_under(siblings[to]))
    }

    /// The replies that reply `reply` replaced: its earlier versions, and the replies to earlier
    /// versions of the message it answers (what they saved to memory is offered to forget).
    pub fn replaced_by(&self, reply: u64) -> Vec<u64> {
        let before = |id: u64| self.siblings(id).iter().copied().take_while(move |&s| s != id);
        let mut out: Vec<u64> = before(reply).collect();
        if let Some(Parent::Of(asked)) = self.parent_of(reply) {
            for earlier in before(asked) {
                out.extend(self.children(Parent::Of(earlier)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 → 2 → 3 → 4, with 2 asked again (5, then 6 under it) and 3 edited (7 → 8).
    fn sample() -> Tree {
        Tree::new([
            (1, Parent::Root),
            (2, Parent::Of(1)),
            (3, Parent::Of(2)),
            (4, Parent::Of(3)),
            (5, Parent::Of(1)),
            (6, Parent::Of(5)),
            (7, Parent::Of(2)),
            (8, Parent::Of(7)),
        ])
    }

    #[test]
    fn a_linear_conversation_is_one_path() {
        let tree = Tree::new([(1, Parent::Root), (2, Parent::Of(1)), (3, Parent::Of(2))]);
        assert_eq!(tree.shown_path(None), vec![1, 2, 3]);
        assert_eq!(tree.version_of(2), (1, 1));
        assert_eq!(tree.step(2, 1), None);
        assert!(Tree::default().shown_path(None).is_empty());
    }

    #[test]
    fn the_newest_branch_shows_unless_another_was_chosen() {
        let tree = sample();
        assert_eq!(tree.shown_path(None), vec![1, 5, 6]);
        assert_eq!(tree.shown_path(Some(4)), vec![1, 2, 3, 4]);
        // A message inside a branch shows that branch down to its newest leaf.
        assert_eq!(tree.shown_path(Some(2)), vec![1, 2, 7, 8]);
        assert_eq!(tree.shown_path(Some(99)), vec![1, 5, 6], "an unknown choice falls back");
    }

    #[test]
    fn stepping_between_versions_shows_each_ones_continuation() {
        let tree = sample();
        assert_eq!(tree.siblings(2), &[2, 5]);
        assert_eq!(tree.version_of(5), (2, 2));
        assert_eq!(tree.step(5, -1), Some(8));
        assert_eq!(tree.step(2, 1), Some(6));
        assert_eq!(tree.step(2, -1), None);
        assert_eq!(tree.step(5, 1), None);
        assert_eq!(tree.version_of(3), (1, 2));
        assert_eq!(tree.step(3, 1), Some(8));
        assert_eq!(tree.step(7, -1), Some(4));
        assert_eq!(tree.version_of(42), (0, 0));
    }

    #[test]
    fn a_new_version_replaces_the_earlier_replies_to_its_turn() {
        // 1 asked; 2 and 5 answer it. 3 is answered by 4; 7, its edit, by 8.
        let tree = sample();
        assert_eq!(tree.replaced_by(5), vec![2]);
        assert_eq!(tree.replaced_by(2), Vec::<u64>::new());
        assert_eq!(tree.replaced_by(8), vec![4], "an edit replaces the replies to the earlier wording");
        assert_eq!(tree.replaced_by(4), Vec::<u64>::new());
    }

    #[test]
    fn edits_of_the_first_message_are_roots_side_by_side() {
        let tree = Tree::new([(1, Parent::Root), (2, Parent::Of(1)), (3, Parent::Root), (4, Parent::Of(3))]);
        assert_eq!(tree.version_of(3), (2, 2));
        assert_eq!(tree.shown_path(None), vec![3, 4]);
        assert_eq!(tree.step(3, -1), Some(2));
    }

    #[test]
    fn messages_stored_before_versions_follow_each_other() {
        let mut messages =
            vec![(1, Parent::Unlinked), (2, Parent::Unlinked), (3, Parent::Unlinked), (9, Parent::Of(2))];
        link_unlinked(&mut messages, |m| (&mut m.1, m.0));
        assert_eq!(messages, vec![(1, Parent::Root), (2, Parent::Of(1)), (3, Parent::Of(2)), (9, Parent::Of(2))]);
    }

    #[test]
    fn a_stored_cycle_never_hangs() {
        let tree = Tree::new([(1, Parent::Of(2)), (2, Parent::Of(1)), (3, Parent::Of(3))]);
        assert_eq!(tree.path_to(1), vec![2, 1]);
        assert_eq!(tree.path_to(3), vec![3], "its own parent");
        let _ = tree.newest_leaf_under(1);
        assert!(tree.shown_path(None).is_empty(), "no first message");
        assert_eq!(tree.shown_path(Some(3)), vec![3]);
    }

    #[test]
    fn parents_are_stored_as_kinds_and_absent_means_unlinked() {
        assert_eq!(serde_json::to_string(&Parent::Root).unwrap(), r#""root""#);
        assert_eq!(serde_json::to_string(&Parent::Of(7)).unwrap(), r#"{"of":7}"#);
        assert_eq!(serde_json::from_str::<Parent>(r#"{"of":7}"#).unwrap(), Parent::Of(7));
    }
}
