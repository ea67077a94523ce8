//! Calls: of a `def` (its arity) and of a built-in, whose arity, argument types, `v => …`
//! argument and result type come from its row in [`crate::functions`]; the checks of one
//! built-in only (`matches`' regular expression, compiled now) are here too.

use std::sync::Arc;

use super::Checker;
use super::rule::DefRef;
use super::types::Ty;
use crate::ast::{self, Arg, Expr, ExprKind, Span};
use crate::diagnostic::{LangDiagnostic, did_you_mean};
use crate::functions::{ArgType, Builtin, MANY, Returns};
use crate::ir::{Ir, IrArg};

impl Checker<'_> {
    pub(super) fn call(&mut self, name: &ast::Ident, args: &[Arg], span: Span) -> (Ir, Ty) {
        if let Some(def) = self.defs.get(&name.name).copied() {
            return self.call_def(def, name, args, span);
        }
        let Some(builtin) = Builtin::by_name(&name.name) else {
            let mut candidates: Vec<&str> = Builtin::ALL.iter().map(|b| b.name()).collect();
            candidates.extend(self.defs.keys().map(String::as_str));
            let help = did_you_mean(&name.name, candidates.iter().copied());
            self.diags.push(
                LangDiagnostic::new(
                    self.file,
                    name.span,
                    "unknown-function",
                    format!("unknown function `{}`", name.name),
                )
                .with_label("not a built-in or imported function")
                .with_help(help),
            );
            for a in args {
                if let Arg::Expr(e) = a {
                    self.expr(e);
                }
            }
            return (Ir::Bool(false), Ty::Any);
        };
        self.call_builtin(builtin, args, span)
    }

    fn call_def(&mut self, def: DefRef, name: &ast::Ident, args: &[Arg], span: Span) -> (Ir, Ty) {
        if args.len() != def.arity {
            self.error(
                span,
                "arity",
                format!(
                    "`{}` takes {} argument(s), given {}",
                    name.name,
                    def.arity,
                    args.len()
                ),
            );
        }
        let mut irs = Vec::new();
        for a in args {
            match a {
                Arg::Expr(e) => irs.push(self.expr(e).0),
                Arg::Lambda { span, .. } => {
                    self.error(
                        *span,
                        "lambda",
                        format!("`{}` does not take a function argument", name.name),
                    );
                }
            }
        }
        (Ir::CallDef(def.index, irs), Ty::Any)
    }

    fn call_builtin(&mut self, builtin: Builtin, args: &[Arg], span: Span) -> (Ir, Ty) {
        let (min, max) = builtin.arity();
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if max == MANY {
                format!("at least {min}")
            } else {
                format!("{min} or {max}")
            };
            self.error(
                span,
                "arity",
                format!(
                    "`{}` takes {expected} argument(s), given {}",
                    builtin.name(),
                    args.len()
                ),
            );
        }
        let mut irs = Vec::new();
        let mut tys = Vec::new();
        let mut lambda_ty = Ty::Any;
        for (i, a) in args.iter().enumerate() {
            let wants_lambda = builtin.lambda_position() == Some(i);
            match a {
                Arg::Lambda { param, body, span } => {
                    if !wants_lambda {
                        self.error(
                            *span,
                            "lambda",
                            format!("`{}` does not take a function here", builtin.name()),
                        );
                    }
                    let elem = match tys.first() {
                        Some(t) => match Ty::element(t) {
                            Some(e) => e,
                            None => Ty::Any,
                        },
                        None => Ty::Any,
                    };
                    self.scopes.push(Vec::new());
                    let slot = self.bind(&param.name, elem);
                    let (b, bt) = self.expr(body);
                    self.scopes.pop();
                    if builtin.takes_predicate() {
                        self.expect_bool(
                            &bt,
                            body.span,
                            &format!("the function given to `{}`", builtin.name()),
                        );
                    }
                    lambda_ty = bt;
                    irs.push(IrArg::Lambda { slot, body: b });
                    tys.push(Ty::Any);
                }
                Arg::Expr(e) => {
                    if wants_lambda && !builtin.lambda_optional() {
                        self.diags.push(
                            LangDiagnostic::new(
                                self.file,
                                e.span,
                                "lambda",
                                format!("`{}` needs a function here", builtin.name()),
                            )
                            .with_help(format!("write `{}(xs, x => …)`", builtin.name())),
                        );
                    }
                    if wants_lambda && builtin.lambda_optional() {
                        self.error(
                            e.span,
                            "lambda",
                            format!(
                                "the second argument of `{}` is a function: `x => …`",
                                builtin.name()
                            ),
                        );
                    }
                    let (ir, ty) = self.expr(e);
                    // `matches(x, "literal")`: compile the regular expression now.
                    if builtin == Builtin::Matches
                        && i == 1
                        && let ExprKind::Str(s) = &e.kind
                    {
                        match regex::Regex::new(&ast::unescape(&s.raw)) {
                            Ok(re) => {
                                irs.push(IrArg::Value(Ir::Str(Arc::from(re.as_str()))));
                                tys.push(ty);
                                continue;
                            }
                            Err(err) => {
                                self.diags.push(
                                    LangDiagnostic::new(
                                        self.file,
                                        e.span,
                                        "regex",
                                        "invalid regular expression",
                                    )
                                    .with_help(
                                        err.to_string().lines().last().unwrap_or("").to_string(),
                                    ),
                                );
                            }
                        }
                    }
                    irs.push(IrArg::Value(ir));
                    tys.push(ty);
                }
            }
        }
        self.check_arg_types(builtin, args, &tys);
        let ret = self.return_type(builtin, args, &tys, lambda_ty);
        // Pre-compile literal regular expressions.
        if builtin == Builtin::Matches
            && let (Some(IrArg::Value(x)), Some(IrArg::Value(Ir::Str(pattern)))) =
                (irs.first(), irs.get(1))
            && let Ok(re) = regex::Regex::new(pattern)
        {
            return (Ir::Matches(Box::new(x.clone()), Arc::new(re)), Ty::Bool);
        }
        (Ir::Call(builtin, irs), ret)
    }

    /// Reports each argument whose type is not what the function's row says it must be.
    fn check_arg_types(&mut self, b: Builtin, args: &[Arg], tys: &[Ty]) {
        for (i, (arg, ty)) in args.iter().zip(tys).enumerate() {
            let Arg::Expr(e) = arg else { continue };
            let Some(expected) = expected_ty(b.arg_type(i)) else {
                continue;
            };
            if !ty.compatible(&expected) {
                let help = match (&expected, ty) {
                    (Ty::TypeName, _) => Some(format!(
                        "write the type itself: `{}(AWS::EC2::SecurityGroup, …)`",
                        b.name()
                    )),
                    (Ty::Str, Ty::List(_)) => {
                        Some("apply it to each element: `any(xs, x => …)`".to_string())
                    }
                    _ => None,
                };
                let mut d = LangDiagnostic::new(
                    self.file,
                    e.span,
                    "type",
                    format!(
                        "argument {} of `{}` must be {}, found {}",
                        i + 1,
                        b.name(),
                        expected.describe(),
                        ty.describe()
                    ),
                );
                if let Some(h) = help {
                    d = d.with_help(h);
                }
                self.diags.push(d);
            }
        }
    }

    /// The type of the call's result, by the function's row and the arguments' types.
    fn return_type(&mut self, b: Builtin, args: &[Arg], tys: &[Ty], lambda_ty: Ty) -> Ty {
        let first = tys.first().cloned().unwrap_or(Ty::Any);
        let type_arg = || -> Vec<String> {
            match args.first() {
                Some(Arg::Expr(Expr {
                    kind: ExprKind::Type(t),
                    ..
                })) => vec![t.clone()],
                _ => Vec::new(),
            }
        };
        match b.signature().returns {
            Returns::Bool => Ty::Bool,
            Returns::Num => Ty::Num,
            Returns::Str => Ty::Str,
            Returns::Any => Ty::Any,
            Returns::ListOfStr => Ty::List(Box::new(Ty::Str)),
            Returns::ListOfAny => Ty::List(Box::new(Ty::Any)),
            Returns::First => first,
            Returns::ElementOfFirst => first.element().unwrap_or(Ty::Any),
            Returns::ListOfFunctionBody => Ty::List(Box::new(lambda_ty)),
            Returns::FlattenedFirst => match first {
                Ty::List(inner) => match *inner {
                    Ty::List(x) => Ty::List(x),
                    _ => Ty::List(Box::new(Ty::Any)),
                },
                _ => Ty::List(Box::new(Ty::Any)),
            },
            Returns::FirstIfList => match first {
                Ty::List(_) => first,
                _ => Ty::List(Box::new(Ty::Any)),
            },
            Returns::FirstAsList => match first {
                Ty::List(_) => first,
                Ty::Any => Ty::List(Box::new(Ty::Any)),
                other => Ty::List(Box::new(other)),
            },
            Returns::FirstOrSecond => Ty::join(first, tys.get(1).cloned().unwrap_or(Ty::Any)),
            Returns::ResourceOfType => Ty::Resource(type_arg()),
            Returns::ResourcesOfType => Ty::List(Box::new(Ty::Resource(type_arg()))),
            Returns::AnyResource => Ty::Resource(Vec::new()),
        }
    }
}

/// The type an argument of this kind must have; `None` when it is not checked: any value, or
/// a `v => …` function (a value given there is reported as not being a function).
fn expected_ty(a: ArgType) -> Option<Ty> {
    match a {
        ArgType::Any | ArgType::Predicate | ArgType::Function => None,
        ArgType::List => Some(Ty::List(Box::new(Ty::Any))),
        ArgType::Str => Some(Ty::Str),
        ArgType::Num => Some(Ty::Num),
        ArgType::Type => Some(Ty::TypeName),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic, clippy::unwrap_used)]

    use crate::functions::{ArgType, Builtin, MANY, Returns};
    use crate::{PackError, SourceFile, load_pack_sources};

    /// The diagnostics of a rule asserting `cond`, as `code: message`.
    fn problems(cond: &str) -> Vec<String> {
        let text = format!(
            "rule t {{\n  title: \"T\"\n  severity: high\n  resource: AWS::EC2::SecurityGroup\n  hipaa: [\"164.312(b)\"]\n  assert {cond} else \"m\"\n}}\n"
        );
        let source = SourceFile::new("t.ward", "t.ward", text);
        match load_pack_sources(vec![source], &mut |p| panic!("no imports: {p:?}")) {
            Ok(_) => Vec::new(),
            Err(PackError::Invalid(diags)) => diags
                .into_iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect(),
            Err(e) => panic!("{e}"),
        }
    }

    /// A call of `b` with as many arguments as it takes (its least, for `concat`): a function
    /// where it takes one, `tags` (of unknown type, so always accepted) elsewhere, and
    /// `wrong` at `position`.
    fn call(b: Builtin, position: Option<usize>, wrong: &str) -> String {
        let (min, max) = b.arity();
        let n = if max == MANY { min } else { max };
        let args: Vec<&str> = (0..n)
            .map(|i| match b.arg_type(i) {
                _ if Some(i) == position => wrong,
                a if a.is_function() => "x => true",
                _ => "tags",
            })
            .collect();
        format!("{}({})", b.name(), args.join(", "))
    }

    #[test]
    fn every_function_accepts_arguments_of_unknown_type() {
        for b in Builtin::ALL {
            let cond = format!("exists({})", call(*b, None, ""));
            assert_eq!(problems(&cond), Vec::<String>::new(), "{cond}");
        }
    }

    #[test]
    fn every_typed_argument_rejects_a_value_of_another_type() {
        let mut kinds = Vec::new();
        for b in Builtin::ALL {
            let (min, max) = b.arity();
            for i in 0..if max == MANY { min } else { max } {
                let (wrong, found, expected) = match b.arg_type(i) {
                    ArgType::Any | ArgType::Predicate | ArgType::Function => continue,
                    ArgType::List => ("1", "a number", "a list"),
                    ArgType::Str => ("1", "a number", "a string"),
                    ArgType::Num => ("\"1\"", "a string", "a number"),
                    ArgType::Type => ("1", "a number", "a resource type"),
                };
                kinds.push(b.arg_type(i));
                let cond = format!("exists({})", call(*b, Some(i), wrong));
                assert_eq!(
                    problems(&cond),
                    [format!(
                        "ward::type: argument {} of `{}` must be {expected}, found {found}",
                        i + 1,
                        b.name()
                    )],
                    "{cond}"
                );
            }
        }
        for kind in [ArgType::List, ArgType::Str, ArgType::Num, ArgType::Type] {
            assert!(kinds.contains(&kind), "no argument of kind {kind:?}");
        }
    }

    #[test]
    fn a_result_of_a_fixed_type_is_that_type() {
        for b in Builtin::ALL {
            let found = match b.signature().returns {
                Returns::Bool => None,
                Returns::Num => Some("a number"),
                Returns::Str => Some("a string"),
                Returns::ListOfStr | Returns::ListOfAny => Some("a list"),
                _ => continue,
            };
            let cond = call(*b, None, "");
            let expected: Vec<String> = found
                .map(|t| format!("ward::type: `assert` needs a boolean, found {t}"))
                .into_iter()
                .collect();
            assert_eq!(problems(&cond), expected, "{cond}");
        }
    }

    #[test]
    fn a_result_that_depends_on_the_arguments_follows_them() {
        for (cond, found) in [
            ("filter([\"a\"], x => true)", "a list"),
            ("first([\"a\"])", "a string"),
            ("map([1], x => \"a\")[0]", "a string"),
            ("flatten([[1]])[0]", "a number"),
            ("concat([1], [2])[0]", "a number"),
            ("as_list(1)[0]", "a number"),
            ("default(1, 2)", "a number"),
            ("lookup(AWS::S3::Bucket, \"b\")", "a resource"),
            ("resources(AWS::S3::Bucket)[0]", "a resource"),
        ] {
            assert_eq!(
                problems(cond),
                [format!(
                    "ward::type: `assert` needs a boolean, found {found}"
                )],
                "{cond}"
            );
        }
    }

    #[test]
    fn only_a_predicate_must_be_boolean() {
        assert_eq!(
            problems("any([1], x => 1)"),
            ["ward::type: the function given to `any` needs a boolean, found a number"]
        );
        assert_eq!(
            problems("count(map([1], x => 1)) > 0"),
            Vec::<String>::new()
        );
    }
}
