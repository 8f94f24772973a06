//! One stable sort for every element type.
//!
//! `slice::sort*` is generic: each element type the gateway sorts (headers, query pairs, part
//! lists, bucket names, ...) got its own copy of std's driftsort or ipnsort, about 3.5 KB of
//! wasm each. Here the merge sort runs once, on indices, through a `dyn` comparison; what is
//! generic is the closure and a loop of swaps. The lists sorted are short (headers, query
//! parameters) or at most 10,000 parts: O(n log n) either way.

use std::cmp::Ordering;

/// Sorts `v` by `cmp`, stable (equal elements keep their order).
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = {
        let s = &*v;
        order(s.len(), &|i, j| cmp(&s[i], &s[j]) == Ordering::Greater)
    };
    permute(v, order);
}

/// Sorts `v` by `key`, stable.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in its natural order, stable.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The sorted order of `0..n` (`order[k]` = the index that goes to position `k`), by a bottom-up
/// merge sort; `greater(i, j)`: does element `i` sort after element `j`?
fn order(n: usize, greater: &dyn Fn(usize, usize) -> bool) -> Vec<usize> {
    let mut a: Vec<usize> = (0..n).collect();
    let mut b = vec![0usize; n];
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut l, mut r) = (start, mid);
            for slot in &mut b[start..end] {
                // the left run wins ties: stable
                if r < end && (l >= mid || greater(a[l], a[r])) {
                    *slot = a[r];
                    r += 1;
                } else {
                    *slot = a[l];
                    l += 1;
                }
            }
            start = end;
        }
        std::mem::swap(&mut a, &mut b);
        width *= 2;
    }
    a
}

/// Rearranges `v` so that position `k` holds what was at `order[k]` (a permutation of
/// `0..v.len()`), one cycle at a time, by swaps.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut k = start;
        loop {
            let src = order[k];
            order[k] = k;
            if src == start || src == k {
                break;
            }
            v.swap(k, src);
            k = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_as_the_std_stable_sort(v in proptest::collection::vec((0u8..8, any::<u16>()), 0..300)) {
            let mut ours = v.clone();
            sort_by_key(&mut ours, |p| p.0);
            let mut theirs = v.clone();
            theirs.sort_by_key(|p| p.0);
            prop_assert_eq!(ours, theirs);
            let mut ours = v.clone();
            sort(&mut ours);
            let mut theirs = v;
            theirs.sort();
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn edge_cases() {
        let mut e: Vec<String> = Vec::new();
        sort(&mut e);
        assert!(e.is_empty());
        let mut one = vec!["x".to_string()];
        sort(&mut one);
        assert_eq!(one, ["x"]);
        let mut rev: Vec<u32> = (0..10_000).rev().collect();
        sort(&mut rev);
        assert!(rev.iter().copied().eq(0..10_000));
        let mut pairs = vec![("b", 1), ("a", 2), ("b", 0), ("a", 1)];
        sort_by(&mut pairs, |x, y| x.0.cmp(y.0));
        assert_eq!(pairs, [("a", 2), ("a", 1), ("b", 1), ("b", 0)]);
    }
}
