//! IAM wildcard patterns: `*` matches any run of characters (none included), `?` exactly one.
//!
//! Two ways of comparing a pattern with a name, as AWS compares them:
//! - [`matches`]: case-sensitive. ARNs in `Resource` / `NotResource`, `StringLike` condition
//!   values, tag values, S3 event names.
//! - [`matches_action`]: ASCII case-insensitive. IAM action names (`s3:getobject` is
//!   `s3:GetObject`).
//!
//! Besides matching a name, the least-privilege analysis asks two questions about *sets* of
//! ARNs written as patterns (`arn:aws:s3:::phi-data/*` is every object of the bucket):
//! [`intersects`] (could one ARN be in both?) and [`covers`] (is every ARN of the target in
//! the pattern?). `covers` is sound but not complete: when it answers `false` for an exotic
//! pair, the grant is kept — the stricter reading.

/// True when `pattern` matches `text`, case-sensitively (ARNs, condition and tag values).
pub fn matches(pattern: &str, text: &str) -> bool {
    glob(pattern, text, |pc, tc| pc == '?' || pc == tc)
}

/// True when `pattern` matches the action name `action`, ignoring ASCII case, as IAM
/// compares action names.
pub fn matches_action(pattern: &str, action: &str) -> bool {
    glob(pattern, action, |pc, tc| {
        pc == '?' || pc.eq_ignore_ascii_case(&tc)
    })
}

/// True when some string matches both patterns.
///
/// The literal parts both patterns begin (and end) with are compared first: a mismatch there
/// decides at once, and only what lies between the first and the last wildcard is left to
/// the general comparison, one row of states at a time.
pub fn intersects(a: &str, b: &str) -> bool {
    if a == b || a == "*" || b == "*" {
        return true;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let wild = |c: char| c == '*' || c == '?';
    // Trim the literal prefix both share, and the literal suffix.
    let (mut lo_a, mut lo_b) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(lo_a), b.get(lo_b)) {
        if wild(x) || wild(y) {
            break;
        }
        if x != y {
            return false;
        }
        lo_a += 1;
        lo_b += 1;
    }
    let (mut hi_a, mut hi_b) = (a.len(), b.len());
    while hi_a > lo_a && hi_b > lo_b {
        let (Some(&x), Some(&y)) = (a.get(hi_a - 1), b.get(hi_b - 1)) else {
            break;
        };
        if wild(x) || wild(y) {
            break;
        }
        if x != y {
            return false;
        }
        hi_a -= 1;
        hi_b -= 1;
    }
    let a = a.get(lo_a..hi_a).unwrap_or_default();
    let b = b.get(lo_b..hi_b).unwrap_or_default();
    // states[j]: a's first i characters and b's first j can produce the same string.
    let m = b.len();
    let mut previous = vec![false; m + 1];
    let mut current = vec![false; m + 1];
    for i in 0..=a.len() {
        for j in 0..=m {
            let here = if i == 0 && j == 0 {
                true
            } else {
                let a_prev = i.checked_sub(1).and_then(|k| a.get(k)).copied();
                let b_prev = j.checked_sub(1).and_then(|k| b.get(k)).copied();
                let up = previous.get(j).copied().unwrap_or(false) && i > 0;
                let left = j > 0 && current.get(j - 1).copied().unwrap_or(false);
                let diagonal = i > 0 && j > 0 && previous.get(j - 1).copied().unwrap_or(false);
                // a's star at i-1 produces nothing more, or b's star at j-1 absorbs it.
                (up && (a_prev == Some('*') || b.get(j) == Some(&'*')))
                    // b's star at j-1 produces nothing more, or a's star at i absorbs it.
                    || (left && (b_prev == Some('*') || a.get(i) == Some(&'*')))
                    || (diagonal
                        && matches!((a_prev, b_prev), (Some(x), Some(y))
                            if x != '*' && y != '*' && (x == y || x == '?' || y == '?')))
            };
            if let Some(cell) = current.get_mut(j) {
                *cell = here;
            }
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous.get(m).copied().unwrap_or(false)
}

/// True when every string `target` matches is matched by `pattern`. Sound approximation:
/// a `*` in the target can only be absorbed by a `*` of the pattern, a `?` by `?` or `*`.
pub fn covers(pattern: &str, target: &str) -> bool {
    glob(pattern, target, |pc, tc| match tc {
        '*' => false,
        '?' => pc == '?',
        _ => pc == '?' || pc == tc,
    })
}

/// Matches `pattern` against `text` where a `*` of the pattern absorbs any run of `text`'s
/// characters and `single` decides whether one other pattern character matches one text
/// character. Greedy with one backtrack point (the last `*`): linear for the patterns
/// policies hold, at worst `pattern × text` steps. ASCII names and patterns (nearly all) are
/// compared byte by byte without allocating; others as lists of characters.
fn glob(pattern: &str, text: &str, single: impl Fn(char, char) -> bool) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return glob_in(pattern.as_bytes(), text.as_bytes(), b'*', |p, t| {
            single(char::from(p), char::from(t))
        });
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_in(&p, &t, '*', single)
}

fn glob_in<T: Copy + PartialEq>(
    p: &[T],
    t: &[T],
    any_run: T,
    single: impl Fn(T, T) -> bool,
) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // The last `*` seen and the text position it has absorbed up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some(pc), _) if *pc == any_run => {
                star = Some((pi, ti));
                pi += 1;
            }
            (Some(pc), Some(tc)) if single(*pc, *tc) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == any_run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching() {
        assert!(matches("s3:Get*", "s3:GetObject"));
        assert!(!matches("s3:Get*", "s3:PutObject"));
        assert!(matches("*", ""));
        assert!(matches("s3:?etObject", "s3:GetObject"));
        assert!(matches_action("S3:getobject", "s3:GetObject"));
        assert!(matches_action("s3:get*", "s3:GetObject"));
        assert!(matches_action("s3:*", "S3:GetObject"));
        assert!(matches_action("s3:Get*Acl", "s3:GetBucketAcl"));
        assert!(matches_action("ec2:Describe?pcs", "ec2:DescribeVpcs"));
        assert!(!matches_action("s3:Get*", "s3:PutObject"));
        // ARNs and condition values keep their case, as AWS compares them.
        assert!(!matches("arn:aws:s3:::Logs/*", "arn:aws:s3:::logs/a"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        assert!(matches("**", "x"));
        assert!(matches("", ""));
        assert!(!matches("", "x"));
        assert!(!matches("s3:GetObject", "s3:GetObjectAcl"));
        // `?` is one character, not one byte, where either side is not ASCII.
        assert!(matches("tag-?", "tag-é"));
        assert!(!matches("tag-??", "tag-é"));
        assert!(matches("*é*", "café-logs"));
        assert!(matches("caf?-*", "café-logs"));
        assert!(!matches("cafe*", "café"));
        assert!(matches_action("S3:*É", "s3:xÉ"));
        assert!(covers("phi-*", "phi-?"));
        assert!(!covers("phi-?", "phi-*"));
    }

    #[test]
    fn intersection() {
        assert!(intersects("arn:aws:s3:::phi-*", "arn:aws:s3:::phi-data/*"));
        assert!(intersects("arn:aws:s3:::*/*", "arn:aws:s3:::phi-data/*"));
        assert!(!intersects(
            "arn:aws:s3:::logs/*",
            "arn:aws:s3:::phi-data/*"
        ));
        assert!(intersects(
            "arn:aws:s3:::phi-data/reports/*",
            "arn:aws:s3:::phi-data/*"
        ));
        assert!(!intersects(
            "arn:aws:s3:::phi-data",
            "arn:aws:s3:::phi-data/*"
        ));
        assert!(intersects("*", "arn:aws:s3:::phi-data/*"));
    }

    /// The first implementation: every state of the two patterns, pushed forward.
    fn intersects_reference(a: &str, b: &str) -> bool {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        // reach[i][j]: the prefixes a[..i] and b[..j] can produce the same string.
        let (n, m) = (a.len(), b.len());
        let mut reach = vec![vec![false; m + 1]; n + 1];
        let at = |v: &Vec<char>, i: usize| v.get(i).copied();
        if let Some(first) = reach.first_mut().and_then(|r| r.first_mut()) {
            *first = true;
        }
        for i in 0..=n {
            for j in 0..=m {
                if !reach
                    .get(i)
                    .and_then(|r| r.get(j))
                    .copied()
                    .unwrap_or(false)
                {
                    continue;
                }
                let mut set = |x: usize, y: usize| {
                    if let Some(c) = reach.get_mut(x).and_then(|r| r.get_mut(y)) {
                        *c = true;
                    }
                };
                let (ca, cb) = (at(&a, i), at(&b, j));
                if ca == Some('*') {
                    set(i + 1, j); // the star produces nothing more
                    if cb.is_some() {
                        set(i, j + 1); // the star absorbs what b produces next
                    }
                }
                if cb == Some('*') {
                    set(i, j + 1);
                    if ca.is_some() {
                        set(i + 1, j);
                    }
                }
                if let (Some(x), Some(y)) = (ca, cb)
                    && x != '*'
                    && y != '*'
                    && (x == y || x == '?' || y == '?')
                {
                    set(i + 1, j + 1);
                }
            }
        }
        reach
            .get(n)
            .and_then(|r| r.get(m))
            .copied()
            .unwrap_or(false)
    }

    /// Every pair of patterns of up to four characters over `a`, `b`, `*` and `?`.
    #[test]
    fn intersection_agrees_with_the_reference_on_every_small_pattern() {
        let mut patterns = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|p| ['a', 'b', '*', '?'].map(|c| format!("{p}{c}")))
                .collect();
            patterns.extend(last.iter().cloned());
        }
        for x in &patterns {
            for y in &patterns {
                assert_eq!(
                    intersects(x, y),
                    intersects_reference(x, y),
                    "{x:?} and {y:?}"
                );
            }
        }
    }

    #[test]
    fn containment() {
        assert!(covers("arn:aws:s3:::phi-data/*", "arn:aws:s3:::phi-data/*"));
        assert!(covers("arn:aws:s3:::phi-*", "arn:aws:s3:::phi-data/*"));
        assert!(covers("*", "arn:aws:s3:::phi-data/*"));
        assert!(!covers(
            "arn:aws:s3:::phi-data/reports/*",
            "arn:aws:s3:::phi-data/*"
        ));
        assert!(covers("arn:aws:s3:::phi-data", "arn:aws:s3:::phi-data"));
        assert!(!covers("arn:aws:s3:::phi-data", "arn:aws:s3:::phi-data/*"));
    }
}
