//! The behaviour of the built-in functions (their signatures: names, arities, argument and
//! return types, absent handling, are the table in `ward_lang::functions`; the IAM ones
//! evaluate through `ward-iam`).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;

use ward_lang::functions::Builtin;
use ward_lang::ir::Ir;
use ward_model::Json;

use crate::eval::{Env, EvalError, EvalResult, Frame, Truth, apply, truth, values_equal};
use crate::value::{Path, Text, V, Val, format_number};

fn err<T>(msg: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError(msg.into()))
}

/// ` at `path`` when the value was read from one, for error messages.
pub(crate) fn at_path(v: &Val<'_>) -> String {
    v.path
        .as_ref()
        .map(|p| format!(" at `{}`", p.render()))
        .unwrap_or_default()
}

fn list_of<'a>(b: Builtin, v: &Val<'a>) -> Result<Vec<Val<'a>>, EvalError> {
    v.elements().ok_or_else(|| {
        EvalError(format!(
            "`{}` needs a list, found a {}{}",
            b.name(),
            v.kind(),
            at_path(v)
        ))
    })
}

/// The functions that take a `v => …` argument.
pub fn higher_order<'a>(
    b: Builtin,
    list: Val<'a>,
    slot: usize,
    body: &Ir,
    env: &Env<'a>,
    frame: &mut Frame<'a>,
) -> EvalResult<'a> {
    if list.is_absent() {
        frame.note(&list);
        return Ok(list);
    }
    let items = list_of(b, &list)?;
    let start = frame.evidence.len();
    match b {
        Builtin::Any | Builtin::All | Builtin::None => {
            // any: true on the first true element (keep its evidence only);
            // all: false on the first false element; none: false on the first true element.
            let stop_on = if b == Builtin::All {
                Truth::False
            } else {
                Truth::True
            };
            let mut absent: Option<Val<'a>> = None;
            for item in items {
                let mark = frame.evidence.len();
                let v = apply(slot, body, item.clone(), env, frame)?;
                let t = truth(&v)?;
                if t == stop_on {
                    frame.note(&item);
                    // Keep only the deciding element's evidence.
                    let decisive: Vec<_> = frame.evidence.drain(mark..).collect();
                    frame.evidence.truncate(start);
                    frame.evidence.extend(decisive);
                    return Ok(Val::bool(b == Builtin::Any));
                }
                if matches!(t, Truth::Absent(_)) && absent.is_none() {
                    absent = Some(v);
                }
            }
            if let Some(a) = absent {
                return Ok(a);
            }
            Ok(Val::bool(b != Builtin::Any))
        }
        Builtin::Count | Builtin::Filter => {
            let mut kept = Vec::new();
            let mut absent: Option<Val<'a>> = None;
            for item in items {
                let mark = frame.evidence.len();
                let v = apply(slot, body, item.clone(), env, frame)?;
                match truth(&v)? {
                    Truth::True => {
                        frame.note(&item);
                        kept.push(item);
                    }
                    Truth::False => frame.evidence.truncate(mark),
                    Truth::Absent(_) => {
                        if absent.is_none() {
                            absent = Some(v);
                        }
                    }
                }
            }
            if let Some(a) = absent {
                return Ok(a);
            }
            if b == Builtin::Count {
                Ok(Val::num(kept.len() as f64))
            } else {
                Ok(Val::list(kept))
            }
        }
        Builtin::Map => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(apply(slot, body, item, env, frame)?);
            }
            Ok(Val::list(out))
        }
        Builtin::SortBy => {
            let mut keyed = Vec::with_capacity(items.len());
            for item in items {
                let key = apply(slot, body, item.clone(), env, frame)?;
                keyed.push((key, item));
            }
            let mut failure = None;
            keyed.sort_by(|(a, _), (b, _)| match (&a.v, &b.v) {
                (V::Num(x), V::Num(y)) => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
                (V::Str(x), V::Str(y)) => x.as_str().cmp(y.as_str()),
                (V::Absent, V::Absent) => std::cmp::Ordering::Equal,
                (V::Absent, _) => std::cmp::Ordering::Greater,
                (_, V::Absent) => std::cmp::Ordering::Less,
                _ => {
                    failure = Some(format!("cannot sort by a {} and a {}", a.kind(), b.kind()));
                    std::cmp::Ordering::Equal
                }
            });
            if let Some(f) = failure {
                return err(f);
            }
            Ok(Val::list(keyed.into_iter().map(|(_, v)| v).collect()))
        }
        Builtin::GroupBy => {
            // The keys find elements; they decide nothing: what the key function read is not
            // evidence (the caller tests what it looks up).
            let mut groups: BTreeMap<String, Vec<Val<'a>>> = BTreeMap::new();
            for item in items {
                let key = apply(slot, body, item.clone(), env, frame)?;
                frame.evidence.truncate(start);
                let mut filed: Vec<String> = Vec::new();
                match (&key.v, key.elements()) {
                    (V::Absent, _) => {}
                    (V::Str(k), _) => filed.push(k.as_str().to_string()),
                    (_, Some(ks)) => {
                        for k in ks {
                            let Some(k) = k.as_str() else {
                                return err(format!(
                                    "`group_by` needs a string or a list of strings as the key, found a list holding a {}{}",
                                    k.kind(),
                                    at_path(&k)
                                ));
                            };
                            filed.push(k.to_string());
                        }
                        // Once under each key, however many times the list names it.
                        filed.sort_unstable();
                        filed.dedup();
                    }
                    _ => {
                        return err(format!(
                            "`group_by` needs a string or a list of strings as the key, found a {}{}",
                            key.kind(),
                            at_path(&key)
                        ));
                    }
                }
                for k in filed {
                    groups.entry(k).or_default().push(item.clone());
                }
            }
            let groups = groups.into_iter().map(|(k, v)| (k, Val::list(v))).collect();
            Ok(Val::new(V::Obj(Rc::new(groups))))
        }
        other => err(format!("internal: `{}` takes no function", other.name())),
    }
}

fn num_arg(b: Builtin, v: &Val<'_>) -> Result<f64, EvalError> {
    v.as_num().ok_or_else(|| {
        EvalError(format!(
            "`{}` needs a number, found a {}",
            b.name(),
            v.kind()
        ))
    })
}

fn str_arg<'v>(b: Builtin, v: &'v Val<'_>) -> Result<&'v str, EvalError> {
    v.as_str().ok_or_else(|| {
        EvalError(format!(
            "`{}` needs a string, found a {}{}",
            b.name(),
            v.kind(),
            at_path(v)
        ))
    })
}

/// Every other built-in, with its arguments evaluated (absent ones already handled unless
/// the function accepts them).
pub fn call<'a>(
    b: Builtin,
    args: Vec<Val<'a>>,
    env: &Env<'a>,
    frame: &mut Frame<'a>,
) -> EvalResult<'a> {
    let absent = Val::absent(None);
    let a0 = args.first().unwrap_or(&absent);
    let a1 = args.get(1).unwrap_or(&absent);
    let a2 = args.get(2).unwrap_or(&absent);
    let a3 = args.get(3).unwrap_or(&absent);
    use Builtin as B;
    Ok(match b {
        B::Count => Val::num(list_of(b, a0)?.len() as f64),
        B::First => list_of(b, a0)?.into_iter().next().unwrap_or(absent.clone()),
        B::Last => list_of(b, a0)?.into_iter().last().unwrap_or(absent.clone()),
        B::Flatten => {
            let mut out = Vec::new();
            for item in list_of(b, a0)? {
                match item.elements() {
                    Some(inner) => out.extend(inner),
                    None => out.push(item),
                }
            }
            Val::list(out)
        }
        B::Distinct => {
            let mut out: Vec<Val<'a>> = Vec::new();
            for item in list_of(b, a0)? {
                if !out.iter().any(|o| values_equal(o, &item)) {
                    out.push(item);
                }
            }
            Val::list(out)
        }
        B::Concat => {
            let mut out = Vec::new();
            for a in &args {
                out.extend(list_of(b, a)?);
            }
            Val::list(out)
        }
        B::Sum | B::Min | B::Max => {
            let nums = list_of(b, a0)?
                .iter()
                .map(|v| num_arg(b, v))
                .collect::<Result<Vec<_>, _>>()?;
            match b {
                B::Sum => Val::num(nums.iter().sum()),
                B::Min => nums
                    .into_iter()
                    .reduce(f64::min)
                    .map_or(absent.clone(), Val::num),
                _ => nums
                    .into_iter()
                    .reduce(f64::max)
                    .map_or(absent.clone(), Val::num),
            }
        }
        B::Len => match &a0.v {
            _ if a0.json_map().is_some() => Val::num(a0.json_map().map_or(0, |m| m.len()) as f64),
            V::Str(t) => Val::num(t.as_str().chars().count() as f64),
            V::Tags(t) => Val::num(t.len() as f64),
            V::Obj(m) => Val::num(m.len() as f64),
            _ => Val::num(list_of(b, a0)?.len() as f64),
        },
        B::Keys | B::Values => {
            let pairs: Vec<(String, Val<'a>)> = match (&a0.v, a0.json_map()) {
                (_, Some(m)) => m
                    .entries()
                    .map(|(k, v)| (k.to_string(), Val::json(v, a0.child_path(k))))
                    .collect(),
                (V::Tags(t), _) => t
                    .iter()
                    .map(|(k, v)| (k.clone(), Val::new(V::Str(Text::Borrowed(v)))))
                    .collect(),
                (V::Obj(m), _) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                _ => {
                    return err(format!(
                        "`{}` needs an object, found a {}",
                        b.name(),
                        a0.kind()
                    ));
                }
            };
            Val::list(
                pairs
                    .into_iter()
                    .map(|(k, v)| if b == B::Keys { Val::string(k) } else { v })
                    .collect(),
            )
        }
        B::Get => crate::eval::field(a0, &std::sync::Arc::from(str_arg(b, a1)?))?,
        B::AsList => match &a0.v {
            V::Absent => a0.clone(),
            _ => match a0.elements() {
                Some(_) => a0.clone(),
                None => Val::list(vec![a0.clone()]),
            },
        },
        B::Exists => {
            frame.note(a0);
            Val::bool(!a0.is_absent())
        }
        B::Default => {
            if a0.is_absent() {
                a1.clone()
            } else {
                a0.clone()
            }
        }
        B::Bool => match &a0.v {
            V::Bool(_) => a0.clone(),
            V::Str(t) => match t.as_str().to_ascii_lowercase().as_str() {
                "true" => Val {
                    v: V::Bool(true),
                    path: a0.path.clone(),
                },
                "false" => Val {
                    v: V::Bool(false),
                    path: a0.path.clone(),
                },
                other => return err(format!("`bool` cannot convert `{other}`")),
            },
            _ => return err(format!("`bool` cannot convert a {}", a0.kind())),
        },
        B::Number => match &a0.v {
            V::Num(_) => a0.clone(),
            V::Str(t) => match t.as_str().trim().parse::<f64>() {
                Ok(n) => Val {
                    v: V::Num(n),
                    path: a0.path.clone(),
                },
                Err(_) => return err(format!("`number` cannot convert `{}`", t.as_str())),
            },
            _ => return err(format!("`number` cannot convert a {}", a0.kind())),
        },
        B::String => match &a0.v {
            V::Str(_) => a0.clone(),
            V::Num(n) => Val::string(format_number(*n)),
            _ => Val::string(a0.display()),
        },
        B::Lower => Val::string(str_arg(b, a0)?.to_lowercase()),
        B::Upper => Val::string(str_arg(b, a0)?.to_uppercase()),
        B::Trim => Val::string(str_arg(b, a0)?.trim()),
        B::StartsWith => Val::bool(str_arg(b, a0)?.starts_with(str_arg(b, a1)?)),
        B::EndsWith => Val::bool(str_arg(b, a0)?.ends_with(str_arg(b, a1)?)),
        B::Contains => match a0.elements() {
            Some(_) => Val::bool(crate::eval::contains(frame, a0, a1)?),
            None => Val::bool(str_arg(b, a0)?.contains(str_arg(b, a1)?)),
        },
        B::Split => Val::list(
            str_arg(b, a0)?
                .split(str_arg(b, a1)?)
                .map(Val::string)
                .collect(),
        ),
        B::Join => {
            let sep = str_arg(b, a1)?;
            Val::string(
                list_of(b, a0)?
                    .iter()
                    .map(Val::display)
                    .collect::<Vec<_>>()
                    .join(sep),
            )
        }
        B::Matches => Val::bool(regex_is_match(str_arg(b, a1)?, str_arg(b, a0)?)?),
        B::Wildcard => Val::bool(ward_iam::pattern::matches(str_arg(b, a0)?, str_arg(b, a1)?)),
        B::IsWorld => {
            let (_, prefix) = parse_cidr(str_arg(b, a0)?)?;
            Val::bool(prefix == 0)
        }
        B::CidrContains => Val::bool(cidr_contains(str_arg(b, a0)?, str_arg(b, a1)?)?),
        B::IsPrivateCidr => Val::bool(is_private(str_arg(b, a0)?)?),
        B::ProtocolMatches => {
            let p = protocol_name(
                str_arg(b, a0)
                    .map(str::to_string)
                    .or_else(|_| num_arg(b, a0).map(format_number))?
                    .as_str(),
            );
            let want = protocol_name(str_arg(b, a1)?);
            Val::bool(p == "all" || want == "all" || p == want)
        }
        B::PortInRange => {
            let port = num_arg(b, a0)?;
            let protocol = match &a1.v {
                V::Absent => "all".to_string(),
                V::Num(n) => protocol_name(&format_number(*n)),
                _ => protocol_name(str_arg(b, a1)?),
            };
            for v in [a0, a1, a2, a3] {
                frame.note(v);
            }
            if protocol == "all" {
                Val::bool(true)
            } else {
                let from = a2.as_num();
                let to = a3.as_num();
                Val::bool(match (from, to) {
                    (None, _) => true,
                    (Some(f), _) if f < 0.0 => true,
                    (Some(f), None) => port == f,
                    (Some(f), Some(t)) if t < 0.0 => port >= f,
                    (Some(f), Some(t)) => f <= port && port <= t,
                })
            }
        }
        B::RangesOverlap => {
            let (f1, t1, f2, t2) = (
                num_arg(b, a0)?,
                num_arg(b, a1)?,
                num_arg(b, a2)?,
                num_arg(b, a3)?,
            );
            Val::bool(f1 <= t2 && f2 <= t1)
        }
        B::Statements => statements(a0)?,
        B::ActionMatches => {
            let action = str_arg(b, a1)?;
            Val::bool(
                patterns(a0)?
                    .iter()
                    .any(|p| ward_iam::pattern::matches_action(p, action)),
            )
        }
        B::GrantedActions => return granted_actions(a0, a1, frame),
        B::Allows => {
            let (action, resource) = (str_arg(b, a1)?, str_arg(b, a2)?);
            let allowed =
                ward_iam::policy::may_allow(&a0.to_json(), action, resource).map_err(|e| {
                    EvalError(format!("allows: the policy document{}: {e}", at_path(a0)))
                })?;
            Val::bool(allowed)
        }
        B::Now => match env.now {
            Some(t) => Val::string(t.to_string()),
            None => absent.clone(),
        },
        B::AgeDays | B::AgeHours => {
            let Some(now) = env.now else {
                return Ok(absent);
            };
            let t = time_arg(b, a0)?;
            Val::num(if b == B::AgeDays {
                whole_days(t, now)
            } else {
                whole_hours(t, now)
            })
        }
        B::DaysBetween | B::HoursBetween => {
            let a = time_arg(b, a0)?;
            let c = time_arg(b, a1)?;
            Val::num(if b == B::DaysBetween {
                whole_days(a, c)
            } else {
                whole_hours(a, c)
            })
        }
        B::TypeOf => Val::string(match a0.kind() {
            "boolean" => "bool",
            other => other,
        }),
        B::ParseJson => match &a0.v {
            V::Str(text) => match serde_json::from_str::<serde_json::Value>(text.as_str()) {
                Ok(value) => owned_json(&value),
                Err(e) => return err(format!("`parse_json`: not JSON{}: {e}", at_path(a0))),
            },
            // Already structured (Config decodes some JSON strings itself): as is.
            _ => a0.clone(),
        },
        B::AwsManagedPolicy => match ward_iam::access::aws_managed_policy_document(str_arg(b, a0)?)
        {
            Some(doc) => Val::json(doc, None),
            None => Val::absent(None),
        },
        B::Lookup => {
            let t = str_arg(b, a0)?;
            let id = str_arg(b, a1)?;
            match near(env, t, id) {
                Some(r) => Val::new(V::Resource(r)),
                None => Val::absent(Some(Rc::new(Path::Label(format!("{t}/{id}"))))),
            }
        }
        B::LookupArn => {
            let arn = str_arg(b, a0)?;
            match env.inventory.by_arn(arn) {
                Some(r) => Val::new(V::Resource(r)),
                None => Val::absent(Some(Rc::new(Path::Label(format!(
                    "resource with ARN {arn}"
                ))))),
            }
        }
        B::Related => {
            let t = str_arg(b, a0)?;
            let mut out = Vec::new();
            for rel in &env.resource.relationships {
                if rel.resource_type != t {
                    continue;
                }
                if let Some(r) = rel.resource_id.as_deref().and_then(|id| near(env, t, id))
                    && !out
                        .iter()
                        .any(|v: &Val<'a>| matches!(v.v, V::Resource(x) if std::ptr::eq(x, r)))
                {
                    out.push(Val::new(V::Resource(r)));
                }
            }
            Val::list(out)
        }
        B::Resources => {
            let t = str_arg(b, a0)?;
            let account = env.resource.account_id.as_deref();
            Val::list(
                env.inventory
                    .of_type_in_account(t, account)
                    .filter(|r| !r.is_deleted())
                    .map(|r| Val::new(V::Resource(r)))
                    .collect(),
            )
        }
        B::AllResources => {
            let t = str_arg(b, a0)?;
            Val::list(
                env.inventory
                    .of_type(t)
                    .filter(|r| !r.is_deleted())
                    .map(|r| Val::new(V::Resource(r)))
                    .collect(),
            )
        }
        B::Any | B::All | B::None | B::Filter | B::Map | B::SortBy | B::GroupBy => {
            return err(format!("`{}` needs a function argument", b.name()));
        }
    })
}

/// The resource of type `t` and id `id` as the resource under evaluation sees it: in its own
/// account and Region first ([`ward_model::Inventory::get_near`]).
fn near<'a>(env: &Env<'a>, t: &str, id: &str) -> Option<&'a ward_model::Resource> {
    env.inventory.get_near(
        t,
        id,
        env.resource.account_id.as_deref(),
        env.resource.aws_region.as_deref(),
    )
}

fn whole_hours(from: jiff::Timestamp, to: jiff::Timestamp) -> f64 {
    let secs = to.as_second() - from.as_second();
    (secs.div_euclid(3_600)) as f64
}

/// A time argument: an RFC 3339 string or date, or a number of milliseconds since the epoch
/// (AWS Config writes some timestamps that way).
fn time_arg(b: Builtin, v: &Val<'_>) -> Result<jiff::Timestamp, EvalError> {
    match &v.v {
        V::Num(ms) if ms.is_finite() => {
            jiff::Timestamp::from_millisecond(*ms as i64).map_err(|e| {
                EvalError(format!(
                    "`{}`: {ms} is not a time{}: {e}",
                    b.name(),
                    at_path(v)
                ))
            })
        }
        _ => parse_time(str_arg(b, v)?),
    }
}

/// A JSON value decoded at run time, as a run-time value.
fn owned_json<'a>(value: &serde_json::Value) -> Val<'a> {
    match value {
        serde_json::Value::Null => Val::absent(None),
        serde_json::Value::Bool(b) => Val::bool(*b),
        serde_json::Value::Number(n) => n.as_f64().map_or(Val::absent(None), Val::num),
        serde_json::Value::String(s) => Val::string(s.as_str()),
        serde_json::Value::Array(items) => Val::list(items.iter().map(owned_json).collect()),
        serde_json::Value::Object(map) => Val::new(V::Obj(Rc::new(
            map.iter()
                .map(|(k, v)| (k.clone(), owned_json(v)))
                .collect(),
        ))),
    }
}

fn whole_days(from: jiff::Timestamp, to: jiff::Timestamp) -> f64 {
    let secs = to.as_second() - from.as_second();
    (secs.div_euclid(86_400)) as f64
}

/// Parses an RFC 3339 time, or a plain date (taken as midnight UTC), as every backend does
/// (`ward_backend::parse_time`).
pub fn parse_time(text: &str) -> Result<jiff::Timestamp, EvalError> {
    match ward_backend::parse_time(text) {
        Some(t) => Ok(t),
        None => err(format!("`{text}` is not a date or an RFC 3339 time")),
    }
}

fn protocol_name(p: &str) -> String {
    match p.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" | "any" => "all".into(),
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "58" | "icmpv6" => "icmpv6".into(),
        other => other.to_string(),
    }
}

fn parse_cidr(text: &str) -> Result<(IpAddr, u8), EvalError> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| EvalError(format!("`{text}` is not a CIDR block or IP address")))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| EvalError(format!("`{text}` has an invalid prefix length")))?,
        None => max,
    };
    Ok((ip, prefix))
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn cidr_contains(outer: &str, inner: &str) -> Result<bool, EvalError> {
    let (oip, op) = parse_cidr(outer)?;
    let (iip, ip) = parse_cidr(inner)?;
    let ((ob, width), (ib, iwidth)) = (bits(oip), bits(iip));
    if width != iwidth || op > ip {
        return Ok(false);
    }
    let shift = u32::from(width - op);
    let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
    Ok((ob & mask) == (ib & mask))
}

fn is_private(cidr: &str) -> Result<bool, EvalError> {
    const PRIVATE: [&str; 9] = [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    ];
    for p in PRIVATE {
        if cidr_contains(p, cidr)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The strings of an IAM element that is a string or a list of strings. Anything else (a
/// number, an object, a list holding one) is not a policy Ward can read: an error, never
/// an element that quietly matches nothing.
fn patterns(v: &Val<'_>) -> Result<Vec<String>, EvalError> {
    let not_text = |i: &Val<'_>| {
        EvalError(format!(
            "unexpected shape: an IAM policy element{} is {} {} ({}), not a string or a list of strings",
            at_path(i),
            crate::eval::article(i.kind()),
            i.kind(),
            crate::eval::excerpt(i)
        ))
    };
    match v.elements() {
        Some(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(|| not_text(i)))
            .collect(),
        None => v
            .as_str()
            .map(|s| vec![s.to_string()])
            .ok_or_else(|| not_text(v)),
    }
}

/// `granted_actions(s, actions)`: the actions of `actions` that IAM statement `s` grants,
/// through its `Action` or a `NotAction` that does not exclude them, in the list's order.
/// Evaluates, records and fails as
/// `filter(actions, a => action_matches(s.Action ?? [], a) or (exists(s.NotAction) and not
/// action_matches(s.NotAction, a)))` does, in one step instead of a few per action.
fn granted_actions<'a>(
    statement: &Val<'a>,
    actions: &Val<'a>,
    frame: &mut Frame<'a>,
) -> EvalResult<'a> {
    if actions.is_absent() {
        frame.note(actions);
        return Ok(actions.clone());
    }
    let items = list_of(Builtin::GrantedActions, actions)?;
    if items.is_empty() {
        // Nothing asked: the statement is not read (and cannot fail).
        return Ok(Val::list(Vec::new()));
    }
    // Read as the expression reads them: `Action` at the first action, its patterns once an
    // action's name is known; `NotAction` at the first action `Action` does not grant.
    let allowed = match crate::eval::field(statement, &Arc::from("Action"))? {
        a if a.is_absent() => Val::list(Vec::new()),
        a => a,
    };
    let mut allowed_patterns: Option<Vec<String>> = None;
    let mut excluded: Option<Option<(Val<'a>, Vec<String>)>> = None;
    let mut kept = Vec::new();
    let mut absent: Option<Val<'a>> = None;
    for item in items {
        let mark = frame.evidence.len();
        frame.note(&allowed);
        frame.note(&item);
        if item.is_absent() {
            absent.get_or_insert(item);
            continue;
        }
        let name = str_arg(Builtin::ActionMatches, &item)?.to_string();
        if allowed_patterns.is_none() {
            allowed_patterns = Some(patterns(&allowed)?);
        }
        let matches = |ps: &[String]| {
            ps.iter()
                .any(|p| ward_iam::pattern::matches_action(p, &name))
        };
        let granted = if matches(allowed_patterns.as_deref().unwrap_or_default()) {
            true
        } else {
            if excluded.is_none() {
                let element = crate::eval::field(statement, &Arc::from("NotAction"))?;
                excluded = Some(if element.is_absent() {
                    None
                } else {
                    let listed = patterns(&element)?;
                    Some((element, listed))
                });
            }
            match excluded.as_ref().and_then(Option::as_ref) {
                None => false,
                Some((element, listed)) => {
                    frame.note(element);
                    frame.note(&item);
                    !matches(listed)
                }
            }
        };
        if granted {
            kept.push(item);
        } else {
            frame.evidence.truncate(mark);
        }
    }
    Ok(absent.unwrap_or_else(|| Val::list(kept)))
}

/// A policy document's statements, with `Action`, `NotAction`, `Resource`, `NotResource`
/// and `Principal` as lists of strings.
fn statements<'a>(doc: &Val<'a>) -> EvalResult<'a> {
    let stmt = crate::eval::field(doc, &std::sync::Arc::from("Statement"))?;
    if stmt.is_absent() {
        return Ok(Val::list(Vec::new()));
    }
    let items = match stmt.elements() {
        Some(items) => items,
        None => vec![stmt],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let fields: Vec<(String, Val<'a>)> = match &item.v {
            V::Json(Json::Object(m)) => m
                .entries()
                .map(|(k, v)| (k.to_string(), Val::json(v, item.child_path(k))))
                .collect(),
            _ => {
                return err(format!(
                    "a policy statement is a {}, not an object",
                    item.kind()
                ));
            }
        };
        let mut map = BTreeMap::new();
        for (k, v) in fields {
            let v = match k.as_str() {
                "Action" | "NotAction" | "Resource" | "NotResource" => match v.elements() {
                    Some(_) => v,
                    None if v.is_absent() => v,
                    None => Val {
                        v: V::List(Rc::new(vec![v.clone()])),
                        path: v.path.clone(),
                    },
                },
                "Principal" | "NotPrincipal" => principals(&v),
                _ => v,
            };
            map.insert(k, v);
        }
        out.push(Val {
            v: V::Obj(Rc::new(map)),
            path: item.path.clone(),
        });
    }
    Ok(Val::list(out))
}

fn principals<'a>(v: &Val<'a>) -> Val<'a> {
    let mut out = Vec::new();
    match &v.v {
        V::Str(_) => out.push(v.clone()),
        V::Json(Json::Object(m)) => {
            for (k, inner) in m.entries() {
                let inner = Val::json(inner, v.child_path(k));
                match inner.elements() {
                    Some(items) => out.extend(items),
                    None => out.push(inner),
                }
            }
        }
        _ => return v.clone(),
    }
    Val {
        v: V::List(Rc::new(out)),
        path: v.path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_java_style_times_are_read_as_utc() {
        let t = super::parse_time("Feb 21, 2022 6:37:48 PM").unwrap();
        assert_eq!(t.to_string(), "2022-02-21T18:37:48Z");
        let t = super::parse_time("Dec 1, 2023 12:05:00 AM").unwrap();
        assert_eq!(t.to_string(), "2023-12-01T00:05:00Z");
    }

    #[test]
    fn cidrs() {
        assert!(cidr_contains("10.0.0.0/8", "10.1.2.0/24").unwrap());
        assert!(!cidr_contains("10.0.0.0/8", "11.0.0.0/24").unwrap());
        assert!(cidr_contains("0.0.0.0/0", "8.8.8.8").unwrap());
        assert!(cidr_contains("::/0", "2001:db8::/32").unwrap());
        assert!(!cidr_contains("::/0", "8.8.8.8").unwrap());
        assert!(!cidr_contains("10.1.0.0/16", "10.0.0.0/8").unwrap());
        assert!(is_private("172.20.0.0/16").unwrap());
        assert!(!is_private("0.0.0.0/0").unwrap());
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("nonsense").is_err());
    }

    #[test]
    fn times() {
        let a = parse_time("2026-01-01T00:00:00Z").unwrap();
        let b = parse_time("2026-04-01").unwrap();
        assert_eq!(whole_days(a, b), 90.0);
    }
}

/// How many distinct patterns each thread keeps compiled (patterns come from rule text and
/// parameters, so a run has few; the bound only guards against pathological rules).
const REGEX_CACHE_SIZE: usize = 256;

thread_local! {
    static REGEX_CACHE: std::cell::RefCell<HashMap<String, regex::Regex>> =
        std::cell::RefCell::new(HashMap::new());
}

/// `matches(text, pattern)`: the pattern is compiled once per thread, not once per call
/// (a rule over 100k resources would otherwise compile it 100k times).
fn regex_is_match(pattern: &str, text: &str) -> Result<bool, EvalError> {
    REGEX_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(re) = cache.get(pattern) {
            return Ok(re.is_match(text));
        }
        let re = regex::Regex::new(pattern)
            .map_err(|e| EvalError(format!("invalid regular expression: {e}")))?;
        let found = re.is_match(text);
        if cache.len() >= REGEX_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re);
        Ok(found)
    })
}
