//! IAM wildcard patterns: `*` matches any run of characters, `?` exactly one.
//!
//! Actions are matched case-insensitively (IAM action names are), ARNs case-sensitively.
//! Besides matching a name, the analysis asks two questions about *sets* of ARNs written
//! as patterns (`arn:aws:s3:::phi-data/*` is every object of the bucket):
//! [`intersects`] (could one ARN be in both?) and [`covers`] (is every ARN of the target in
//! the pattern?). `covers` is sound but not complete: when it answers `false` for an exotic
//! pair, the grant is kept — the stricter reading.

/// True when `pattern` matches `text` exactly (`text` has no wildcards).
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    run(&p, &t, |pc, tc| pc == '?' || pc == tc)
}

/// [`matches`], ignoring ASCII case (for action names).
pub fn matches_ignore_case(pattern: &str, text: &str) -> bool {
    matches(&pattern.to_ascii_lowercase(), &text.to_ascii_lowercase())
}

/// True when some string matches both patterns.
pub fn intersects(a: &str, b: &str) -> bool {
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

/// True when every string `target` matches is matched by `pattern`. Sound approximation:
/// a `*` in the target can only be absorbed by a `*` of the pattern, a `?` by `?` or `*`.
pub fn covers(pattern: &str, target: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = target.chars().collect();
    run(&p, &t, |pc, tc| match tc {
        '*' => false,
        '?' => pc == '?',
        _ => pc == '?' || pc == tc,
    })
}

/// Glob matching of `p` against `t` where `p`'s `*` absorbs any characters of `t` and
/// `single` decides whether one pattern character matches one text character.
fn run(p: &[char], t: &[char], single: impl Fn(char, char) -> bool) -> bool {
    let (n, m) = (p.len(), t.len());
    // reach[j]: p[..i] can produce t[..j]; rolled over i.
    let mut reach = vec![false; m + 1];
    if let Some(first) = reach.first_mut() {
        *first = true;
    }
    for i in 0..n {
        let pc = p.get(i).copied().unwrap_or('\0');
        let mut next = vec![false; m + 1];
        if pc == '*' {
            let mut any = false;
            for j in 0..=m {
                any = any || reach.get(j).copied().unwrap_or(false);
                if let Some(c) = next.get_mut(j) {
                    *c = any;
                }
            }
        } else {
            for j in 0..m {
                if reach.get(j).copied().unwrap_or(false)
                    && t.get(j).is_some_and(|tc| single(pc, *tc))
                    && let Some(c) = next.get_mut(j + 1)
                {
                    *c = true;
                }
            }
        }
        reach = next;
    }
    reach.get(m).copied().unwrap_or(false)
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
        assert!(matches_ignore_case("S3:getobject", "s3:GetObject"));
        assert!(!matches("s3:GetObject", "s3:GetObjectAcl"));
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
