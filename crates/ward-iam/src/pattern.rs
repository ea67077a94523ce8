//! IAM wildcard patterns: `*` matches any run of characters, `?` exactly one.
//!
//! Actions are matched case-insensitively (IAM action names are), ARNs case-sensitively.
//! Besides matching a name, the analysis asks two questions about *sets* of ARNs written
//! as patterns (`arn:aws:s3:::phi-data/*` is every object of the bucket):
//! [`intersects`] (could one ARN be in both?) and [`covers`] (is every ARN of the target in
//! the pattern?). `covers` is sound but not complete: when it answers `false` for an exotic
//! pair, the grant is kept — the stricter reading.

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
    glob(pattern, target, |pc, tc| match tc {
        '*' => false,
        '?' => pc == '?',
        _ => pc == '?' || pc == tc,
    })
}

/// Matches `pattern` against `text` where a `*` of the pattern absorbs any run of `text`'s
/// characters and `single` decides whether one other pattern character matches one text
/// character. Greedy with one backtrack point (the last `*`): linear for the patterns
/// policies hold, at worst `pattern × text` steps, and it allocates only the two character
/// lists.
fn glob(pattern: &str, text: &str, single: impl Fn(char, char) -> bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    // The last `*` seen and the text position it has absorbed up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (p.get(pi), t.get(ti)) {
            (Some('*'), _) => {
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
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
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
