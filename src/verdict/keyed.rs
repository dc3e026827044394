//! Hash maps and sets keyed by a directory's bytes: the tree-wide checks and the directory
//! lookup build and probe them once per directory of the tree, after the walk, on one thread.
//! std's SipHash was a measurable part of that serial tail on a large tree; foldhash is
//! several times faster on such keys, and its seed is still chosen per process.

pub(crate) type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
